"""The examples under examples/python and the Python snippets of docs/migration.md, run
against the local emulator and a loopback HTTP service (nothing leaves the machine).

docs/migration.md marks each code block with <!-- snippet: ID before|after -->. Every
Python "after" snippet is executed here, straight from the markdown, by the test
registered for its ID; a snippet without a test, or a test without a snippet, fails
test_every_python_snippet_has_a_test. The boto3 "before" snippets run too when boto3 is
installed, and must give the same token as their "after".
"""

import base64
import hashlib
import http.server
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import threading
import types
import urllib.parse
from pathlib import Path

import pytest

import iamcore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "python"
MIGRATION = ROOT / "docs" / "migration.md"

AKID = "AKIDEXAMPLEMIGRATION"
SECRET = "migration/secret+key=0123456789abcdef"
RDS_HOST = "mydb.c1x2y3z4.eu-west-1.rds.amazonaws.com"


# ---------------------------------------------------------------- utilities


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def apikey_subject(apikey):
    # The emulator's `sub` for an API key (tests/emulator/README.md).
    return "apikey-" + hashlib.sha256(apikey.encode()).hexdigest()[:8]


def query(token):
    return dict(urllib.parse.parse_qsl(token.split("?", 1)[1], keep_blank_values=True))


def without_time(token):
    """The token without the parts that depend on the signing second."""
    prefix, rest = token.split("?", 1)
    kept = [p for p in rest.split("&") if not p.startswith(("X-Amz-Date=", "X-Amz-Signature="))]
    return prefix + "?" + "&".join(kept)


def assert_same_token(before, after):
    assert without_time(before) == without_time(after)
    if query(before)["X-Amz-Date"] == query(after)["X-Amz-Date"]:
        assert before == after


class Service:
    """A loopback HTTP service that records what it receives and answers JSON."""

    def __init__(self):
        self.requests = []
        self.statuses = []  # statuses of the next answers; then 200
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                service.requests.append({"path": self.path, "headers": dict(self.headers)})
                status = service.statuses.pop(0) if service.statuses else 200
                body = json.dumps(["db-one", "db-two"] if status == 200 else {"error": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/things"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bearer_tokens(self):
        tokens = []
        for request in self.requests:
            kind, _, token = request["headers"].get("Authorization", "").partition(" ")
            assert kind == "Bearer"
            tokens.append(token)
        return tokens

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service():
    svc = Service()
    yield svc
    svc.close()


def load_example(name):
    """Import examples/python/<name>.py as a fresh module (fresh module-level state)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name, env, *args):
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), full_env.get("PYTHONPATH")]))
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        env=full_env, capture_output=True, text=True, timeout=60,
    )


# ---------------------------------------------------------------- Cloud Functions action


def test_cloud_function_calls_the_service_with_a_token_cached_across_invocations(emulator, service):
    action = load_example("cloud_function")
    params = {"service_url": service.url, "apikey": "fn-api-key",
              "iam_url": emulator.https, "iam_ca_file": emulator.ca_file}

    assert action.main(params) == {"status": 200, "body": ["db-one", "db-two"]}
    assert action.main(dict(params)) == {"status": 200, "body": ["db-one", "db-two"]}

    # Two invocations of a warm container: one token request, two service calls.
    iam = emulator.requests("iam")
    assert len(iam) == 1
    assert iam[0]["form"]["apikey"] == "fn-api-key"
    tokens = service.bearer_tokens()
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    assert jwt_claims(tokens[0])["sub"] == apikey_subject("fn-api-key")


def test_cloud_function_takes_the_api_key_of_a_bound_service(emulator, service):
    action = load_example("cloud_function")
    params = {"service_url": service.url, "iam_url": emulator.http,
              "__bx_creds": {"cloudantnosqldb": {"apikey": "bound-api-key", "url": "https://x.invalid"}}}

    assert action.main(params)["status"] == 200
    assert emulator.requests("iam")[0]["form"]["apikey"] == "bound-api-key"


def test_cloud_function_gets_a_new_token_once_after_a_401(emulator, service):
    action = load_example("cloud_function")
    service.statuses = [401]
    params = {"service_url": service.url, "apikey": "fn-api-key", "iam_url": emulator.http}

    assert action.main(params) == {"status": 200, "body": ["db-one", "db-two"]}
    assert emulator.count("iam") == 2
    first, second = service.bearer_tokens()
    assert first != second


def test_cloud_function_reports_a_refused_api_key_without_it(emulator, service, assert_secret_free):
    action = load_example("cloud_function")
    result = action.main({"service_url": service.url, "apikey": "bad-key", "iam_url": emulator.http})

    assert set(result) == {"error"}
    assert "AuthenticationError" in result["error"] and "BXNIM0415E" in result["error"]
    assert_secret_free(result["error"], "bad-key", where="the action's error")
    assert service.requests == []


def test_cloud_function_reports_a_service_error(emulator, service):
    action = load_example("cloud_function")
    service.statuses = [503]
    result = action.main({"service_url": service.url, "apikey": "fn-api-key", "iam_url": emulator.http})
    assert result == {"error": f"{service.url} answered HTTP 503"}


@pytest.mark.parametrize("params, missing", [
    ({"apikey": "k"}, "service_url"),
    ({"service_url": "http://127.0.0.1:9/x", "__bx_creds": {"svc": {"url": "u"}}}, "apikey"),
])
def test_cloud_function_names_a_missing_parameter(emulator, params, missing):
    result = load_example("cloud_function").main(params)
    assert set(result) == {"error"} and missing in result["error"]
    assert emulator.count() == 0


# ---------------------------------------------------------------- Code Engine job


def job_env(emulator, service, cr_token_filename, **extra):
    env = {"TRUSTED_PROFILE_NAME": "report-writer", "CR_TOKEN_FILENAME": cr_token_filename,
           "IAM_URL": emulator.https, "IAM_CA_FILE": emulator.ca_file,
           "SERVICE_URL": service.url, "JOB_INDEX": "3"}
    env.update(extra)
    return env


def test_code_engine_job_calls_the_service_as_the_trusted_profile(emulator, service, cr_token_file,
                                                                  assert_secret_free):
    path = cr_token_file("cr-token-of-the-job\n")
    result = run_example("code_engine_job", job_env(emulator, service, path))

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"job index 3: GET {service.url}: HTTP 200, 2 items\n"
    [request] = emulator.requests("iam")
    assert request["form"]["grant_type"] == "urn:ibm:params:oauth:grant-type:cr-token"
    assert request["form"]["cr_token"] == "cr-token-of-the-job"
    assert request["form"]["profile_name"] == "report-writer"
    [token] = service.bearer_tokens()
    assert jwt_claims(token)["sub"] == "profile-report-writer"
    assert_secret_free(result.stdout + result.stderr, "cr-token-of-the-job", token, where="the job's output")


def test_code_engine_job_without_a_token_file_names_the_path(emulator, service, tmp_path):
    missing = str(tmp_path / "no-such-token")
    result = run_example("code_engine_job", job_env(emulator, service, missing))

    assert result.returncode == 1
    assert "TokenFileError" in result.stderr and missing in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.count() == 0 and service.requests == []


def test_code_engine_job_without_a_profile_is_a_configuration_error(emulator, service, cr_token_file):
    env = job_env(emulator, service, cr_token_file(), TRUSTED_PROFILE_NAME=None)
    result = run_example("code_engine_job", env)

    assert result.returncode == 1
    assert "ConfigError" in result.stderr and "Traceback" not in result.stderr
    assert emulator.count() == 0


def test_code_engine_job_reports_a_refusal_of_the_service(emulator, service, cr_token_file):
    service.statuses = [403]
    result = run_example("code_engine_job", job_env(emulator, service, cr_token_file()))

    assert result.returncode == 1
    assert result.stderr == "the service answered HTTP 403\n"


# ---------------------------------------------------------------- the other examples


def test_quickstart_gets_both_kinds_of_token(emulator, cr_token_file):
    env = {"IBMCLOUD_API_KEY": "quickstart-key", "TRUSTED_PROFILE_NAME": "quickstart-profile",
           "CR_TOKEN_FILENAME": cr_token_file(), "IAM_URL": emulator.https, "IAM_CA_FILE": emulator.ca_file}
    result = run_example("quickstart", env)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"Python, API key: +Authorization: Bearer \S{12}… \(\d+ chars\)", lines[0])
    assert re.fullmatch(r"Python, trusted profile: token \S{12}… \(\d+ chars\)", lines[1])
    grants = [r["form"]["grant_type"].rsplit(":", 1)[1] for r in emulator.requests("iam")]
    assert grants == ["apikey", "cr-token"]


def test_rds_token_example_prints_a_shortened_token(aws_env):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
    host = "mydb.abc123.eu-central-1.rds.amazonaws.com"
    result = run_example("rds_token", {}, host, "5432", "app_user")

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"Python, RDS token: +{re.escape(host)}:5432/\?… \(\d+ chars, region eu-central-1\)\n",
                        result.stdout)
    assert SECRET not in result.stdout


# ---------------------------------------------------------------- Db2 + pandas


def db2_keywords(connection_string):
    pairs = [part.split("=", 1) for part in connection_string.split(";") if part.strip()]
    return {key.strip().upper(): value for key, value in pairs}


def test_db2_example_connection_string_carries_the_access_token(emulator, monkeypatch):
    monkeypatch.setenv("DB2_HOSTNAME", "db2.example.databases.appdomain.cloud")
    monkeypatch.setenv("DB2_PORT", "31198")
    monkeypatch.delenv("DB2_DATABASE", raising=False)
    example = load_example("db2_pandas")
    auth = iamcore.IAMAuthenticator("db2-api-key", url=emulator.http)

    keywords = db2_keywords(example.db2_connection_string(auth))

    assert keywords["DATABASE"] == "BLUDB"
    assert keywords["HOSTNAME"] == "db2.example.databases.appdomain.cloud"
    assert keywords["PORT"] == "31198"
    assert keywords["AUTHENTICATION"].upper() == "GSSPLUGIN"
    assert keywords["SECURITY"].upper() == "SSL"
    assert keywords["ACCESSTOKEN"] == auth.token()
    assert jwt_claims(keywords["ACCESSTOKEN"])["sub"] == apikey_subject("db2-api-key")


def test_db2_example_reads_a_frame_through_a_db_api_connection(emulator, monkeypatch):
    if sys.version_info < (3, 11):
        pytest.skip("pandas 3, the pinned test dependency, needs Python 3.11")
    import pandas  # noqa: F401  (a test dependency: scripts/build.sh installs it)
    import sqlite3

    monkeypatch.setenv("DB2_HOSTNAME", "db2.example.databases.appdomain.cloud")
    example = load_example("db2_pandas")
    auth = iamcore.IAMAuthenticator("db2-api-key", url=emulator.http)
    seen = []

    def connect(connection_string, user, password):
        # Stands in for ibm_db_dbi.connect: the SQL runs in SQLite, the string is recorded.
        seen.append((connection_string, user, password))
        return sqlite3.connect(":memory:")

    frame = example.read_frame("SELECT 1 AS one, 'x' AS two", auth, connect=connect)

    assert list(frame.columns) == ["one", "two"] and frame.iloc[0].tolist() == [1, "x"]
    [(connection_string, user, password)] = seen
    assert (user, password) == ("", "")
    assert db2_keywords(connection_string)["ACCESSTOKEN"] == auth.token()


# ---------------------------------------------------------------- docs/migration.md

SNIPPET = re.compile(
    r"<!-- snippet: (?P<id>[a-z0-9-]+) (?P<role>before|after) -->\n"
    r"```(?P<lang>[a-z]+)\n(?P<code>.*?)\n```\n",
    re.S,
)


def migration_snippets():
    """{(id, role): (lang, code)} of docs/migration.md."""
    text = MIGRATION.read_text(encoding="utf-8")
    snippets = {}
    for match in SNIPPET.finditer(text):
        key = (match["id"], match["role"])
        assert key not in snippets, f"snippet {key} appears twice"
        snippets[key] = (match["lang"], match["code"])
    return snippets


SNIPPET_TESTS = {}


def snippet_test(snippet_id):
    """Register a test as the one that runs the "after" snippet `snippet_id`."""
    def register(function):
        SNIPPET_TESTS[snippet_id] = function.__name__
        return function
    return register


def run_snippet(snippet_id, role="after", **names):
    """Execute a Python snippet of docs/migration.md with `names` defined; return its namespace."""
    lang, code = migration_snippets()[(snippet_id, role)]
    assert lang == "python"
    namespace = dict(names)
    exec(compile(code, f"docs/migration.md [{snippet_id} {role}]", "exec"), namespace)
    return namespace


def test_every_code_block_of_the_migration_guide_is_a_marked_snippet():
    text = MIGRATION.read_text(encoding="utf-8")
    fences = re.findall(r"^```", text, re.M)  # opening and closing
    snippets = migration_snippets()
    assert len(fences) == 2 * len(snippets), "a code block without a <!-- snippet: ID before|after --> marker"
    ids = {snippet_id for snippet_id, _ in snippets}
    for snippet_id in ids:
        before, after = snippets.get((snippet_id, "before")), snippets.get((snippet_id, "after"))
        assert before and after, f"snippet {snippet_id} needs a before and an after"
        expected = "python" if snippet_id.startswith("py-") else "js"
        assert snippet_id.startswith(("py-", "node-")), snippet_id
        assert before[0] == after[0] == expected, snippet_id


def test_every_python_snippet_has_a_test():
    python_ids = {i for (i, role), (lang, _) in migration_snippets().items() if role == "after" and lang == "python"}
    assert python_ids == set(SNIPPET_TESTS)


@snippet_test("py-iam")
def test_snippet_iam_authenticator(emulator):
    # The emulator also answers absolute-form requests, so it plays the proxy here.
    ns = run_snippet("py-iam", apikey="migration-api-key", iam_url="http://iam.invalid.example",
                     client_id="my-client", client_secret="my-client-secret", correlation_id="corr-1",
                     proxy_url=emulator.http, service_url="https://service.invalid/v1")

    assert isinstance(ns["authenticator"], iamcore.IAMAuthenticator)
    assert ns["request"]["headers"]["Authorization"] == "Bearer " + ns["token"]
    [request] = emulator.requests("iam")
    assert request["form"]["apikey"] == "migration-api-key"
    assert request["form"]["scope"] == "ibm openid"
    assert request["headers"]["x-correlation-id"] == "corr-1"
    basic = base64.b64encode(b"my-client:my-client-secret").decode()
    assert request["headers"]["authorization"] == "Basic " + basic


@snippet_test("py-container")
def test_snippet_container_authenticator(emulator, cr_token_file, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROFILE_NAME", "migrated-profile")
    ns = run_snippet("py-container", cr_token_filename=cr_token_file("cr-migrated\n"), iam_url=emulator.http)

    assert jwt_claims(ns["token"])["sub"] == "profile-migrated-profile"
    [request] = emulator.requests("iam")
    assert request["form"]["cr_token"] == "cr-migrated"
    assert request["form"]["profile_name"] == "migrated-profile"


@snippet_test("py-errors")
def test_snippet_errors(emulator, caplog):
    log = logging.getLogger("migration.errors")
    refused = iamcore.IAMAuthenticator("bad-key", url=emulator.http)
    with caplog.at_level(logging.ERROR, logger="migration.errors"):
        with pytest.raises(iamcore.AuthenticationError):
            run_snippet("py-errors", authenticator=refused, log=log)
        unreachable = iamcore.IAMAuthenticator("k", url="http://127.0.0.1:9", max_retries=1, timeout=5)
        with pytest.raises(iamcore.TransportError):
            run_snippet("py-errors", authenticator=unreachable, log=log)

    # The snippet's own records (iamcore logs its events to the "iamcore" logger too).
    refusal, transport = [r.getMessage() for r in caplog.records if r.name == "migration.errors"]
    assert refusal.startswith("IAM refused: HTTP 400, BXNIM0415E Provided API key could not be found")
    assert re.search(r"\(transaction emu-\d+\)$", refusal)
    assert transport.startswith("IAM not reached after 2 attempts: ")
    assert "bad-key" not in refusal


@snippet_test("py-env")
def test_snippet_authenticator_from_environment(emulator, cr_token_file, monkeypatch):
    for name in list(os.environ):
        if name.startswith("MY_SERVICE_"):
            monkeypatch.delenv(name)

    monkeypatch.setenv("MY_SERVICE_APIKEY", "env-api-key")
    monkeypatch.setenv("MY_SERVICE_AUTH_URL", emulator.http)
    monkeypatch.setenv("MY_SERVICE_SCOPE", "ibm openid")
    auth = run_snippet("py-env")["authenticator"]
    assert auth.authentication_type() == "iam"
    assert jwt_claims(auth.token())["sub"] == apikey_subject("env-api-key")
    assert emulator.requests("iam")[-1]["form"]["scope"] == "ibm openid"

    monkeypatch.delenv("MY_SERVICE_APIKEY")
    monkeypatch.setenv("MY_SERVICE_AUTH_TYPE", "Container")
    monkeypatch.setenv("MY_SERVICE_IAM_PROFILE_NAME", "env-profile")
    monkeypatch.setenv("MY_SERVICE_CR_TOKEN_FILENAME", cr_token_file("cr-env\n"))
    auth = run_snippet("py-env")["authenticator"]
    assert auth.authentication_type() == "container"
    assert jwt_claims(auth.token())["sub"] == "profile-env-profile"
    assert emulator.requests("iam")[-1]["form"]["cr_token"] == "cr-env"

    monkeypatch.setenv("MY_SERVICE_AUTH_TYPE", "basic")
    with pytest.raises(iamcore.ConfigError, match="MY_SERVICE_AUTH_TYPE names an authenticator"):
        run_snippet("py-env")


def boto3_or_skip():
    return pytest.importorskip("boto3", reason="boto3 is not installed: the 'before' is not compared")


@snippet_test("py-boto3-rds")
def test_snippet_boto3_generate_db_auth_token(aws_env):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
    password = run_snippet("py-boto3-rds", host=RDS_HOST, region="eu-west-1")["password"]

    assert password.startswith(f"{RDS_HOST}:5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=")
    assert query(password)["X-Amz-Credential"].startswith(f"{AKID}/")
    assert query(password)["X-Amz-Credential"].endswith("/eu-west-1/rds-db/aws4_request")

    boto3_or_skip()
    before = run_snippet("py-boto3-rds", "before", host=RDS_HOST, region="eu-west-1")["password"]
    assert_same_token(before, password)


@snippet_test("py-boto3-profile")
def test_snippet_boto3_profile(aws_env):
    # The environment holds other credentials: a named profile must win over them.
    aws_env.set(AWS_ACCESS_KEY_ID="AKIDOFTHEENVIRONMENT", AWS_SECRET_ACCESS_KEY="other-secret")
    aws_env.credentials("[reporting]\naws_access_key_id = AKIDREPORTING\n"
                        "aws_secret_access_key = reporting/secret\n")
    aws_env.config("[profile reporting]\nregion = eu-west-1\n")
    password = run_snippet("py-boto3-profile", host=RDS_HOST)["password"]

    assert query(password)["X-Amz-Credential"].startswith("AKIDREPORTING/")
    assert "/eu-west-1/rds-db/" in query(password)["X-Amz-Credential"]

    boto3_or_skip()
    before = run_snippet("py-boto3-profile", "before", host=RDS_HOST)["password"]
    assert_same_token(before, password)


@snippet_test("py-boto3-credentials")
def test_snippet_boto3_explicit_credentials(aws_env):
    names = dict(host=RDS_HOST, key_id="AKIDEXPLICIT", secret="explicit/secret",
                 session_token="session+token/with=chars")
    password = run_snippet("py-boto3-credentials", **names)["password"]

    assert query(password)["X-Amz-Credential"].startswith("AKIDEXPLICIT/")
    assert query(password)["X-Amz-Security-Token"] == "session+token/with=chars"

    boto3_or_skip()
    before = run_snippet("py-boto3-credentials", "before", **names)["password"]
    assert_same_token(before, password)


@snippet_test("py-aws-wrapper")
def test_snippet_aws_python_wrapper(aws_env, monkeypatch):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
    rds_host = "mydb.cluster-c1x2y3z4.eu-west-1.rds.amazonaws.com"

    # Stands in for the psycopg driver: the first login is refused, as with a stale token.
    calls = []

    class OperationalError(Exception):
        pass

    def connect(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("password authentication failed")
        return "a connection"

    monkeypatch.setitem(sys.modules, "psycopg",
                        types.SimpleNamespace(connect=connect, OperationalError=OperationalError))
    ns = run_snippet("py-aws-wrapper", rds_host=rds_host)

    assert ns["conn"] == "a connection"
    assert ns["rds"].expiration == 600 and ns["rds"].signing_hostname == rds_host
    assert len(calls) == 2
    for call in calls:
        assert (call["host"], call["port"], call["user"], call["sslmode"]) == ("localhost", 15432, "app_user", "require")
        assert call["password"].startswith(f"{rds_host}:5432/?Action=connect&DBUser=app_user&")
        assert query(call["password"])["X-Amz-Credential"].endswith("/eu-west-1/rds-db/aws4_request")
