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
import urllib.request
from pathlib import Path

import pytest

import iamcore
from adapter_support import RecordingServer, bearer_of

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


SNIPPET_TESTS = {}  # snippet ID -> the test that runs its "after"
BEFORE_TESTS = set()  # the snippet IDs whose test also runs the "before"
# The "before" snippets no test runs, and why.
BEFORE_NOT_RUN = {"py-aws-wrapper": "aws-advanced-python-wrapper is not a test dependency"}


def snippet_test(snippet_id, before=False):
    """Register a test as the one that runs the "after" snippet `snippet_id` and, with
    before=True, its "before" too (when the package it uses is installed)."""
    def register(function):
        SNIPPET_TESTS[snippet_id] = function.__name__
        if before:
            BEFORE_TESTS.add(snippet_id)
        return function
    return register


def run_snippet(snippet_id, role="after", **names):
    """Execute a Python snippet of docs/migration.md with `names` defined; return its namespace."""
    assert role == "after" or snippet_id in BEFORE_TESTS, f"{snippet_id}: register its test with before=True"
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
    # Every "before" runs too, but those whose package is not a test dependency.
    assert not BEFORE_TESTS & set(BEFORE_NOT_RUN)
    assert python_ids == BEFORE_TESTS | set(BEFORE_NOT_RUN)


def ibm_core_or_skip():
    return pytest.importorskip("ibm_cloud_sdk_core", reason="ibm-cloud-sdk-core is not installed: the 'before' is not run")


def without(form, *names):
    return {key: value for key, value in form.items() if key not in names}


@snippet_test("py-iam", before=True)
def test_snippet_iam_authenticator(emulator):
    # The emulator also answers absolute-form requests, so it plays the proxy here.
    names = dict(apikey="migration-api-key", iam_url="http://iam.invalid.example",
                 client_id="my-client", client_secret="my-client-secret", correlation_id="corr-1",
                 proxy_url=emulator.http, service_url="https://service.invalid/v1")
    ns = run_snippet("py-iam", **names)

    assert isinstance(ns["authenticator"], iamcore.IAMAuthenticator)
    assert ns["request"]["headers"]["Authorization"] == "Bearer " + ns["token"]
    [request] = emulator.requests("iam")
    assert request["form"]["apikey"] == "migration-api-key"
    assert request["form"]["scope"] == "ibm openid"
    assert request["headers"]["x-correlation-id"] == "corr-1"
    basic = base64.b64encode(b"my-client:my-client-secret").decode()
    assert request["headers"]["authorization"] == "Basic " + basic

    ibm_core_or_skip()
    before = run_snippet("py-iam", "before", **names)
    assert before["request"]["headers"]["Authorization"] == "Bearer " + before["token"]
    ibm_request = emulator.requests("iam")[-1]
    assert ibm_request["form"] == request["form"]
    for header in ("x-correlation-id", "authorization"):
        assert ibm_request["headers"][header] == request["headers"][header]


@snippet_test("py-container", before=True)
def test_snippet_container_authenticator(emulator, cr_token_file, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROFILE_NAME", "migrated-profile")
    names = dict(cr_token_filename=cr_token_file("cr-migrated\n"), iam_url=emulator.http)
    ns = run_snippet("py-container", **names)

    assert jwt_claims(ns["token"])["sub"] == "profile-migrated-profile"
    [request] = emulator.requests("iam")
    assert request["form"]["cr_token"] == "cr-migrated"
    assert request["form"]["profile_name"] == "migrated-profile"

    ibm_core_or_skip()
    before = run_snippet("py-container", "before", **names)
    assert jwt_claims(before["token"])["sub"] == "profile-migrated-profile"
    ibm_form = emulator.requests("iam")[-1]["form"]
    assert without(ibm_form, "cr_token") == without(request["form"], "cr_token")
    assert ibm_form["cr_token"] == "cr-migrated\n"  # the IBM core sends the file as read


@snippet_test("py-errors", before=True)
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

    sdk_core = ibm_core_or_skip()
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="migration.errors"):
        with pytest.raises(sdk_core.ApiException):
            run_snippet("py-errors", "before", authenticator=IAMAuthenticator("bad-key", url=emulator.http), log=log)
    [ibm_refusal] = [r.getMessage() for r in caplog.records if r.name == "migration.errors"]
    assert re.fullmatch(r"IAM refused: HTTP 400, .+ \(transaction emu-\d+\)", ibm_refusal)


REFRESH_SEED_KEY = "refresh-seed-key"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def issued_refresh_token(emulator):
    """A refresh token the emulator issued, with an API-key grant sent by hand."""
    emulator.token_settings(issue_refresh_tokens=True)
    form = urllib.parse.urlencode({"grant_type": "urn:ibm:params:oauth:grant-type:apikey",
                                   "apikey": REFRESH_SEED_KEY, "response_type": "cloud_iam"}).encode()
    request = urllib.request.Request(emulator.http + "/identity/token", data=form,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with _NO_PROXY.open(request, timeout=10) as response:
        token = json.loads(response.read())["refresh_token"]
    assert token.startswith("emu-refresh-")
    return token


def refresh_grants(emulator):
    return [r for r in emulator.requests("iam") if r["form"]["grant_type"] == "refresh_token"]


@snippet_test("py-refresh", before=True)
def test_snippet_refresh_token(emulator, assert_secret_free):
    names = dict(iam_url=emulator.http, client_id="my-client", client_secret="my-client-secret")
    first = issued_refresh_token(emulator)
    ns = run_snippet("py-refresh", refresh_token=first, **names)

    claims = jwt_claims(ns["token"])
    assert (claims["sub"], claims["grant_type"]) == (apikey_subject(REFRESH_SEED_KEY), "refresh_token")
    [grant] = refresh_grants(emulator)
    assert grant["form"] == {"grant_type": "refresh_token", "refresh_token": first, "response_type": "cloud_iam"}
    basic = base64.b64encode(b"my-client:my-client-secret").decode()
    assert grant["headers"]["authorization"] == "Basic " + basic
    assert_secret_free(repr(ns["authenticator"]), first, "my-client-secret", where="repr(authenticator)")
    # The next fetch sends the refresh token of the last answer, not the first one.
    ns["authenticator"].invalidate()
    ns["authenticator"].token()
    second = refresh_grants(emulator)[-1]["form"]["refresh_token"]
    assert second.startswith("emu-refresh-") and second != first

    pytest.importorskip("requests", reason="requests is not installed: the 'before' is not run")
    given = issued_refresh_token(emulator)
    before = run_snippet("py-refresh", "before", refresh_token=given, **names)
    assert jwt_claims(before["token"])["sub"] == apikey_subject(REFRESH_SEED_KEY)
    by_hand = refresh_grants(emulator)[-1]
    assert by_hand["form"] == dict(grant["form"], refresh_token=given)
    assert by_hand["headers"]["authorization"] == "Basic " + basic
    assert before["refresh_token"].startswith("emu-refresh-") and before["refresh_token"] != given


def vpc_requests(emulator):
    return [(r["endpoint"], r["method"], r["path"], r["query"], r["json"])
            for r in emulator.requests(["vpc-token", "vpc-iam-token"])]


@snippet_test("py-vpc", before=True)
def test_snippet_vpc_instance_authenticator(emulator):
    crn = "crn:v1:bluemix:public:iam-identity::a/0123456789abcdef::profile:Profile-migrated"
    names = dict(iam_profile_crn=crn, metadata_url=emulator.http)
    ns = run_snippet("py-vpc", **names)

    assert isinstance(ns["authenticator"], iamcore.VPCInstanceAuthenticator)
    assert jwt_claims(ns["token"])["sub"] == "profile-" + crn
    after = vpc_requests(emulator)
    assert after == [
        ("vpc-token", "PUT", "/instance_identity/v1/token", "version=2022-03-01", {"expires_in": 300}),
        ("vpc-iam-token", "POST", "/instance_identity/v1/iam_token", "version=2022-03-01",
         {"trusted_profile": {"crn": crn}}),
    ]

    ibm_core_or_skip()
    emulator.reset()
    before = run_snippet("py-vpc", "before", **names)
    assert jwt_claims(before["token"])["sub"] == "profile-" + crn
    assert vpc_requests(emulator) == after


@snippet_test("py-assume", before=True)
def test_snippet_iam_assume_authenticator(emulator):
    names = dict(apikey="assume-api-key", iam_profile_id="Profile-assumed", iam_url=emulator.http)
    ns = run_snippet("py-assume", **names)

    assert jwt_claims(ns["token"])["sub"] == "profile-Profile-assumed"
    forms = [without(r["form"], "access_token") for r in emulator.requests("iam")]
    assert forms == [
        {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "assume-api-key", "response_type": "cloud_iam"},
        {"grant_type": "urn:ibm:params:oauth:grant-type:assume", "profile_id": "Profile-assumed"},
    ]
    # invalidate() drops the assumed token only: one request, the assume grant.
    ns["authenticator"].invalidate()
    ns["authenticator"].token()
    assert emulator.requests("iam")[-1]["form"]["grant_type"] == "urn:ibm:params:oauth:grant-type:assume"
    assert emulator.count("iam") == 3

    ibm_core_or_skip()
    emulator.reset()
    before = run_snippet("py-assume", "before", **names)
    assert jwt_claims(before["token"])["sub"] == "profile-Profile-assumed"
    assert [without(r["form"], "access_token") for r in emulator.requests("iam")] == forms


def simple_headers(ns):
    """The headers set by the three authenticators a py-simple snippet made."""
    bearer, no_auth = {"headers": {}}, {"headers": {}}
    ns["bearer"].authenticate(bearer)
    ns["no_auth"].authenticate(no_auth)
    types = [ns[name].authentication_type() for name in ("bearer", "basic", "no_auth")]
    return ns["request"]["headers"], bearer["headers"], no_auth["headers"], types


@snippet_test("py-simple", before=True)
def test_snippet_bearer_basic_no_auth(assert_secret_free):
    names = dict(access_token="first-access-token", new_access_token="second-access-token",
                 username="usér", password="pässwörd:with colon", service_url="https://service.invalid/v1")
    ns = run_snippet("py-simple", **names)

    basic = "Basic " + base64.b64encode("usér:pässwörd:with colon".encode()).decode()
    after = simple_headers(ns)
    assert after == ({"Authorization": basic}, {"Authorization": "Bearer second-access-token"}, {},
                     ["bearerToken", "basic", "noAuth"])
    for name in ("bearer", "basic"):
        assert_secret_free(repr(ns[name]), "second-access-token", "pässwörd", where=f"repr({name})")
    assert not hasattr(ns["bearer"], "bearer_token") and not hasattr(ns["basic"], "password")
    # What iamcore refuses and the IBM core accepts.
    for make in (lambda: iamcore.BearerTokenAuthenticator(""),
                 lambda: iamcore.BearerTokenAuthenticator("token\r\nX-Injected: 1"),
                 lambda: iamcore.BasicAuthenticator("user:name", "password")):
        with pytest.raises(iamcore.ConfigError):
            make()

    ibm_core_or_skip()
    from ibm_cloud_sdk_core.authenticators import BasicAuthenticator, BearerTokenAuthenticator

    assert simple_headers(run_snippet("py-simple", "before", **names)) == after
    BearerTokenAuthenticator("")
    BearerTokenAuthenticator("token\r\nX-Injected: 1")
    BasicAuthenticator("user:name", "password")


@pytest.fixture
def service_config(monkeypatch, tmp_path):
    """A clean external configuration of IBM services: an empty credentials file (the
    returned Path), no VCAP_SERVICES, no MY_SERVICE_* or CLOUDANT_* variables."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    credentials = tmp_path / "ibm-credentials.env"
    credentials.write_text("")
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("VCAP_SERVICES", raising=False)
    for name in list(os.environ):
        if name.startswith(("MY_SERVICE_", "CLOUDANT_")):
            monkeypatch.delenv(name)
    return credentials


@snippet_test("py-env", before=True)
def test_snippet_environment_credentials_file(emulator, service_config, monkeypatch):
    service_config.write_text(f"# the service's credentials\nMY_SERVICE_APIKEY=file-api-key\n"
                              f"MY_SERVICE_AUTH_URL={emulator.http}\n")
    monkeypatch.setenv("MY_SERVICE_SCOPE", "not read")  # sources are not merged: the file wins
    auth = run_snippet("py-env")["authenticator"]

    assert type(auth) is iamcore.IAMAuthenticator
    assert jwt_claims(auth.token())["sub"] == apikey_subject("file-api-key")
    assert "scope" not in emulator.requests("iam")[-1]["form"]

    ibm_core_or_skip()
    before = run_snippet("py-env", "before")["authenticator"]
    assert type(before).__name__ == "IAMAuthenticator"
    assert jwt_claims(before.token_manager.get_token())["sub"] == apikey_subject("file-api-key")
    assert "scope" not in emulator.requests("iam")[-1]["form"]


def test_snippet_environment_variables(emulator, service_config, cr_token_file, monkeypatch):
    for name, value in {"AUTH_TYPE": "Container", "AUTH_URL": emulator.http, "IAM_PROFILE_NAME": "env-profile",
                        "CR_TOKEN_FILENAME": cr_token_file("cr-env\n")}.items():
        monkeypatch.setenv("MY_SERVICE_" + name, value)
    auth = run_snippet("py-env")["authenticator"]

    assert type(auth) is iamcore.ContainerAuthenticator
    assert jwt_claims(auth.token())["sub"] == "profile-env-profile"
    after = emulator.requests("iam")[-1]["form"]
    assert (after["cr_token"], after["profile_name"]) == ("cr-env", "env-profile")

    ibm_core_or_skip()
    before = run_snippet("py-env", "before")["authenticator"]
    assert type(before).__name__ == "ContainerAuthenticator"
    assert jwt_claims(before.token_manager.get_token())["sub"] == "profile-env-profile"
    assert without(emulator.requests("iam")[-1]["form"], "cr_token") == without(after, "cr_token")


def test_snippet_environment_vcap_services(service_config, monkeypatch):
    user_provided = {"user-provided": [{"name": "my-service", "credentials": {"username": "vcap-user", "password": "vcap-pw"}}]}
    # Cloudant's entries hold an API key and a username and password.
    cloudant = {"cloudantNoSQLDB": [{"name": "my-service", "credentials": {
        "apikey": "vcap-api-key", "username": "vcap-user", "password": "vcap-pw", "url": "https://x.invalid"}}]}
    basic = "Basic " + base64.b64encode(b"vcap-user:vcap-pw").decode()

    monkeypatch.setenv("VCAP_SERVICES", json.dumps(user_provided))
    request = {"headers": {}}
    run_snippet("py-env")["authenticator"].authenticate(request)
    assert request["headers"] == {"Authorization": basic}
    monkeypatch.setenv("VCAP_SERVICES", json.dumps(cloudant))
    auth = run_snippet("py-env")["authenticator"]
    # An API key wins; no token is fetched: the URL is IBM Cloud's (VCAP_SERVICES has no AUTH_URL).
    assert type(auth) is iamcore.IAMAuthenticator
    assert repr(auth) == "IAMAuthenticator(url='https://iam.cloud.ibm.com')"

    ibm_core_or_skip()
    monkeypatch.setenv("VCAP_SERVICES", json.dumps(user_provided))
    request = {"headers": {}}
    run_snippet("py-env", "before")["authenticator"].authenticate(request)
    assert request["headers"] == {"Authorization": basic}
    monkeypatch.setenv("VCAP_SERVICES", json.dumps(cloudant))
    assert type(run_snippet("py-env", "before")["authenticator"]).__name__ == "BasicAuthenticator"


def test_snippet_environment_errors(service_config, monkeypatch, assert_secret_free):
    with pytest.raises(iamcore.ConfigError, match=r'^no configuration found for service "my-service" \(looked in: '):
        run_snippet("py-env")
    monkeypatch.setenv("MY_SERVICE_AUTH_TYPE", "kerberos")
    with pytest.raises(iamcore.ConfigError, match="unknown AUTH_TYPE"):
        run_snippet("py-env")
    monkeypatch.setenv("MY_SERVICE_AUTH_TYPE", "iam")
    monkeypatch.setenv("MY_SERVICE_CLIENT_SECRET", "env-client-secret")
    with pytest.raises(iamcore.ConfigError, match="needs APIKEY") as info:
        run_snippet("py-env")
    assert_secret_free(str(info.value), "env-client-secret", where="the error")
    monkeypatch.delenv("MY_SERVICE_CLIENT_SECRET")
    service_config.unlink()
    service_config.mkdir()  # a credentials file that cannot be read
    with pytest.raises(iamcore.ConfigError, match=re.escape(str(service_config))):
        run_snippet("py-env")

    ibm_core_or_skip()
    service_config.rmdir()
    service_config.write_text("")
    for auth_type in (None, "kerberos", "iam"):  # nothing configured, unknown, no APIKEY
        if auth_type:
            monkeypatch.setenv("MY_SERVICE_AUTH_TYPE", auth_type)
        assert run_snippet("py-env", "before")["authenticator"] is None
    service_config.unlink()
    service_config.mkdir()
    assert run_snippet("py-env", "before")["authenticator"] is None  # iam, no APIKEY: the file was skipped


@snippet_test("py-sdk-service", before=True)
def test_snippet_sdk_service_class(emulator, service_config, monkeypatch):
    pytest.importorskip("ibmcloudant", reason="ibmcloudant is not installed")
    with RecordingServer() as server:
        monkeypatch.setenv("CLOUDANT_APIKEY", "cloudant-api-key")
        monkeypatch.setenv("CLOUDANT_AUTH_URL", emulator.http)
        monkeypatch.setenv("CLOUDANT_URL", server.url)
        ns = run_snippet("py-sdk-service")

        assert ns["databases"] == ["movies", "reviews"]
        authenticator = ns["service"].authenticator
        assert type(authenticator) is iamcore.IAMAuthenticator
        token = bearer_of(server.authorization())
        assert token == authenticator.token()
        assert jwt_claims(token)["sub"] == apikey_subject("cloudant-api-key")
        assert [r["path"] for r in server.requests] == ["/_all_dbs"]

        before = run_snippet("py-sdk-service", "before")
        assert before["databases"] == ["movies", "reviews"]
        assert type(before["service"].authenticator).__module__.startswith("ibm_cloud_sdk_core.")
        assert jwt_claims(bearer_of(server.authorization()))["sub"] == apikey_subject("cloudant-api-key")
        assert emulator.count("iam") == 2


def test_snippet_sdk_service_class_with_a_refused_api_key(emulator, service_config, monkeypatch):
    pytest.importorskip("ibmcloudant", reason="ibmcloudant is not installed")
    with RecordingServer() as server:
        monkeypatch.setenv("CLOUDANT_APIKEY", "bad-key")
        monkeypatch.setenv("CLOUDANT_AUTH_URL", emulator.http)
        monkeypatch.setenv("CLOUDANT_URL", server.url)
        with pytest.raises(iamcore.AuthenticationError) as info:
            run_snippet("py-sdk-service")
        assert info.value.error_code == "BXNIM0415E"
        assert server.requests == []


@snippet_test("py-requests", before=True)
def test_snippet_requests(emulator):
    pytest.importorskip("requests", reason="requests is not installed")
    with RecordingServer() as server:
        names = dict(apikey="requests-api-key", iam_url=emulator.http, service_url=server.url + "/v1/things")
        ns = run_snippet("py-requests", **names)

        assert ns["response"].json()["path"] == "/v1/things"
        token = bearer_of(server.authorization())
        assert token == ns["authenticator"].token()
        assert jwt_claims(token)["sub"] == apikey_subject("requests-api-key")

        ibm_core_or_skip()
        before = run_snippet("py-requests", "before", **names)
        assert before["response"].status_code == 200
        assert jwt_claims(bearer_of(server.authorization()))["sub"] == apikey_subject("requests-api-key")
        assert emulator.count("iam") == 2


def boto3_or_skip():
    return pytest.importorskip("boto3", reason="boto3 is not installed: the 'before' is not compared")


@snippet_test("py-boto3-rds", before=True)
def test_snippet_boto3_generate_db_auth_token(aws_env):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
    password = run_snippet("py-boto3-rds", host=RDS_HOST, region="eu-west-1")["password"]

    assert password.startswith(f"{RDS_HOST}:5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=")
    assert query(password)["X-Amz-Credential"].startswith(f"{AKID}/")
    assert query(password)["X-Amz-Credential"].endswith("/eu-west-1/rds-db/aws4_request")

    boto3_or_skip()
    before = run_snippet("py-boto3-rds", "before", host=RDS_HOST, region="eu-west-1")["password"]
    assert_same_token(before, password)


@snippet_test("py-boto3-profile", before=True)
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


@snippet_test("py-boto3-credentials", before=True)
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
