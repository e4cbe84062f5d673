"""The code blocks of the feature docs, run straight from the markdown (tests/python/
doc_snippets.py has the marker rules): the Python, shell, C, JSON and sample-output
blocks here, the JavaScript ones in tests/node/docs.test.js.

Everything runs on this machine: tokens from the IAM emulator over real sockets,
services as loopback servers, the RDS recipes against the real PostgreSQL of
tests/python/pg_server.py, the command line as child processes. A snippet's free names
(``apikey``, ``host``, ...) are filled in by its test; where a snippet leaves IBM's IAM
URL or the platform's token file at their defaults, the ``iamcore`` it imports points
them at the emulator and a test file (doc_snippets.iamcore_with_defaults).
"""

import base64
import datetime
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.parse
import warnings

import pytest

import iamcore
from adapter_support import RecordingServer, bearer_of, emulator_claims
from cli_run import LANGUAGES, clean_env, command, run
from doc_snippets import (Doc, bash, build_c, c_program, command_dir, console, iamcore_with_defaults, run_python,
                          without_annotations)
from pg_server import PostgresServer, StartError, Unavailable, required

ADAPTERS = Doc("docs/adapters.md")
POSTGRES = Doc("docs/postgres.md")
ENVIRONMENT = Doc("docs/environment.md")
CLI = Doc("docs/cli.md")
EMULATOR = Doc("docs/emulator.md")
LOGGING = Doc("docs/logging.md")
BEHAVIOUR = Doc("docs/behaviour.md")
SHARED = Doc("docs/shared-cache.md")
REDIS_CACHE = Doc("docs/redis-cache.md")
DOCS = [ADAPTERS, POSTGRES, ENVIRONMENT, CLI, EMULATOR, LOGGING, BEHAVIOUR, SHARED, REDIS_CACHE]


def apikey_subject(apikey):
    # The emulator's `sub` for an API key (tests/emulator/README.md).
    return "apikey-" + hashlib.sha256(apikey.encode()).hexdigest()[:8]


@pytest.fixture
def here(emulator, cr_token_file):
    """iamcore as the snippets import it: IAM URL and token file defaulting to the emulator's."""
    return iamcore_with_defaults(url=emulator.http, cr_token_filename=cr_token_file("cr-of-the-docs\n"))


@pytest.fixture
def server():
    with RecordingServer() as s:
        yield s


# ---------------------------------------------------------------- docs/adapters.md


@ADAPTERS.runs("py-requests")
def test_adapters_requests(emulator, here, server):
    ns = run_python(ADAPTERS.block("py-requests"), names={"apikey": "docs-api-key", "url": server.url + "/v1/things"},
                    modules={"iamcore": here})

    assert [r["path"] for r in server.requests] == ["/v1/things", "/v1/things"]
    first, second = (bearer_of(r["headers"]["authorization"]) for r in server.requests)
    assert first == second == ns["auth"].token()
    assert emulator_claims(first)["sub"] == apikey_subject("docs-api-key")
    assert ns["session"].auth is ns["auth"]
    assert emulator.count("iam") == 1


@ADAPTERS.runs("py-httpx")
def test_adapters_httpx(emulator, here, server):
    ns = run_python(ADAPTERS.block("py-httpx"), names={"apikey": "docs-api-key", "url": server.url + "/v1/things"},
                    modules={"iamcore": here})

    assert len(server.requests) == 2
    tokens = {bearer_of(r["headers"]["authorization"]) for r in server.requests}
    assert tokens == {ns["auth"].token()}
    assert emulator.count("iam") == 1


@ADAPTERS.runs("py-token-async")
def test_adapters_token_async(emulator, iam):
    auth = iam("docs-api-key")
    ns = run_python(ADAPTERS.block("py-token-async"), names={"auth": auth})

    assert emulator_claims(ns["token"])["sub"] == apikey_subject("docs-api-key")
    assert ns["token"] == auth.token()
    assert emulator.count("iam") == 1


@ADAPTERS.runs("py-sdk-core")
def test_adapters_sdk_core(emulator, here, server, monkeypatch):
    pytest.importorskip("ibmcloudant")
    for name in list(os.environ):
        if name.startswith("CLOUDANT_"):
            monkeypatch.delenv(name)
    ns = run_python(ADAPTERS.block("py-sdk-core"), names={"service_url": server.url}, modules={"iamcore": here})

    assert [r["path"] for r in server.requests] == ["/_all_dbs"]
    token = bearer_of(server.authorization())
    assert emulator_claims(token)["sub"] == "profile-app"
    [request] = emulator.requests("iam")
    assert request["form"]["cr_token"] == "cr-of-the-docs"
    assert ns["service"].authenticator.authentication_type() == "container"


def db2_comment_pattern(block, after):
    """The connection string a comment of the Db2 snippet shows, as a regex: the comment
    lines after the line that starts with `after`, joined; <...> stands for a value."""
    lines = block.code.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    shown = ""
    for line in lines[start + 1:]:
        if not line.startswith("#"):
            break
        shown += re.split(r"\s{2,}\(", line[1:].strip())[0]  # without "(one line)" remarks
    parts = re.split(r"(<[^>]+>|\.\.\.)", shown.strip())
    return "".join(".+" if p.startswith("<") or p == "..." else re.escape(p) for p in parts)


@ADAPTERS.runs("py-db2")
def test_adapters_db2_connection_strings(emulator, here):
    block = ADAPTERS.block("py-db2")
    host = "db2.example.databases.appdomain.cloud"
    ns = run_python(block, names={"host": host, "apikey": "db2-api-key"}, modules={"iamcore": here})

    token = ns["auth"].token()
    assert emulator_claims(token)["sub"] == "profile-db2-reader"
    assert ns["dsn"] == (f"DATABASE=bludb;HOSTNAME={host};PORT=30376;PROTOCOL=TCPIP;Security=SSL;"
                         f"Authentication=GSSPLUGIN;ACCESSTOKEN={token}")
    assert re.fullmatch(db2_comment_pattern(block, "dsn ="), ns["dsn"])
    assert ns["key_dsn"].endswith(";Authentication=GSSPLUGIN;APIKEY=db2-api-key")
    assert re.fullmatch(db2_comment_pattern(block, "key_dsn ="), ns["key_dsn"])


class IbmDbStandIn:
    """Stands in for the ibm_db driver (its installation downloads IBM's Db2 client):
    records the connection it is asked for."""

    def __init__(self):
        self.connections = []
        self.statements = []

    def connect(self, dsn, user, password):
        self.connections.append((dsn, user, password))
        return "connection"

    def exec_immediate(self, conn, sql):
        assert conn == "connection"
        self.statements.append(sql)
        return "statement"

    def fetch_tuple(self, stmt):
        assert stmt == "statement"
        return ("DB2-READER",)


@ADAPTERS.runs("py-ibm-db")
def test_adapters_ibm_db(emulator, container, capsys):
    auth = container(iam_profile_name="db2-reader")
    ibm_db = IbmDbStandIn()
    run_python(ADAPTERS.block("py-ibm-db"), names={"iamcore": iamcore, "host": "db2.example", "port": 30376, "auth": auth},
               modules={"ibm_db": ibm_db})

    [(dsn, user, password)] = ibm_db.connections
    assert (user, password) == ("", "")
    assert dsn == iamcore.db2.connection_string("bludb", "db2.example", 30376, authenticator=auth)
    assert dsn.endswith(";ACCESSTOKEN=" + auth.token())
    assert ibm_db.statements == ["SELECT CURRENT USER FROM SYSIBM.SYSDUMMY1"]
    assert capsys.readouterr().out == "('DB2-READER',)\n"


# ---------------------------------------------------------------- docs/postgres.md

AKID, AWS_SECRET = "ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = base64.b64encode(bytes(range(256)) * 2).decode()  # as long as STS's
REGION = "us-east-1"
NOT_CONNINFO = ("autocommit", "prepare_threshold", "context", "row_factory", "cursor_factory")


@pytest.fixture(scope="module")
def pg():
    """The real PostgreSQL (tests/python/pg_server.py) with the snippets' database "app"
    and user "app_user", a member of rds_iam (a clear-text password, as RDS asks)."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg 3.3 is not installed")
    try:
        server = PostgresServer.start()
    except Unavailable as exc:
        if required():
            pytest.fail(f"PostgreSQL is required (IAMCORE_REQUIRE_POSTGRES is set): {exc}", pytrace=False)
        pytest.skip(str(exc))
    except StartError as exc:
        pytest.fail(f"PostgreSQL is installed but could not be started: {exc}", pytrace=False)
    try:
        with psycopg.connect(host=server.socket_dir, port=server.port, user=server.superuser,
                             dbname=server.database, autocommit=True) as admin:
            admin.execute("CREATE DATABASE app")
            admin.execute("CREATE ROLE app_user LOGIN IN ROLE " + server.iam_group)
            server.admin = admin
            yield server
    finally:
        server.stop()


def valid_rds_token(token, host, port, user):
    """Whether `token` is what RDS takes: signed by the test's credentials for this
    host, port and user, and not expired (the signature is computed anew)."""
    prefix, sep, query = token.partition("/?")
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    try:
        when = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        age = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - when
        fresh = datetime.timedelta(seconds=-5) <= age <= datetime.timedelta(seconds=int(params["X-Amz-Expires"]))
    except (KeyError, ValueError):
        return False
    if not sep or prefix != f"{host}:{port}" or params.get("DBUser") != user or not fresh:
        return False
    credentials = iamcore.aws.Credentials(AKID, AWS_SECRET, session_token=params.get("X-Amz-Security-Token"))
    expected = iamcore.generate_db_auth_token(host, port, user, Region=REGION, credentials=credentials, timestamp=when)
    return hmac.compare_digest(expected, token)


class RdsLogin:
    """The local PostgreSQL checks IAM tokens as RDS does: before the driver logs in, the
    password libpq is about to send is checked (valid_rds_token); the role's password
    becomes that token when it passes, else a random one. So a login succeeds exactly
    when the driver sends a valid token, intact. ``refuse(n)`` makes the next n logins
    fail, as with an expired token."""

    def __init__(self, pg):
        self.pg = pg
        self.logins = []  # (password was a valid token, refused on purpose)
        self.to_refuse = 0
        self.lock = threading.Lock()

    def refuse(self, n=1):
        self.to_refuse = n

    def check(self, params):
        from psycopg import sql

        with self.lock:
            password = params.get("password") or ""
            valid = valid_rds_token(password, params.get("host"), int(params.get("port") or 5432), params.get("user"))
            refused, self.to_refuse = self.to_refuse > 0, max(0, self.to_refuse - 1)
            accepted = password if valid and not refused else secrets.token_hex(16)
            self.pg.admin.execute(sql.SQL("ALTER ROLE app_user PASSWORD {}").format(sql.Literal(accepted)))
            self.logins.append((valid, refused))

    def modules(self):
        """psycopg and psycopg_pool as the snippets import them: the real ones, every
        connection (a pool's too) checked first."""
        import psycopg
        import psycopg_pool

        login = self

        class Connection(psycopg.Connection):
            @classmethod
            def connect(cls, conninfo="", **kwargs):
                login.check(psycopg.conninfo.conninfo_to_dict(
                    conninfo, **{k: v for k, v in kwargs.items() if k not in NOT_CONNINFO}))
                return super().connect(conninfo, **kwargs)

        class ConnectionPool(psycopg_pool.ConnectionPool):
            def __init__(self, conninfo="", **kwargs):
                kwargs.setdefault("connection_class", Connection)
                super().__init__(conninfo, **kwargs)

        return {"psycopg": _module_with(psycopg, connect=Connection.connect, Connection=Connection),
                "psycopg_pool": _module_with(psycopg_pool, ConnectionPool=ConnectionPool)}


def _module_with(module, **changes):
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__dict__.update(vars(module))
    copy.__dict__.update(changes)
    return copy


@pytest.fixture
def rds_login(pg, aws_env):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=AWS_SECRET, AWS_SESSION_TOKEN=SESSION_TOKEN,
                AWS_REGION=REGION)
    return RdsLogin(pg)


def pg_names(pg):
    return {"host": pg.host, "port": pg.port, "ca_file": pg.ca_file}


def whoami(conn):
    row = conn.execute("SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    return row


@POSTGRES.runs("token-sample")
def test_postgres_token_sample(aws_env):
    sample = POSTGRES.block("token-sample").code
    host = "mydb.123456789012.us-east-1.rds.amazonaws.com"
    token = iamcore.generate_db_auth_token(
        host, 5432, "app_user", Region=REGION, timestamp=datetime.datetime(2025, 1, 1, 12),
        credentials=iamcore.aws.Credentials(AKID, AWS_SECRET, session_token="IQoJb3JpZ2luX2VjE/" + SESSION_TOKEN))
    assert re.fullmatch(".+?".join(re.escape(part) for part in sample.split("…")), token)


@POSTGRES.runs("py-psycopg")
def test_postgres_psycopg(rds_login):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ns = run_python(POSTGRES.block("py-psycopg"), names=pg_names(rds_login.pg), modules=rds_login.modules())
    with ns["conn"] as conn:
        assert whoami(conn) == ("app_user", "app", True)
    assert rds_login.logins == [(True, False)]
    assert ns["rds"].region == REGION


@POSTGRES.runs("py-pool")
def test_postgres_pool(rds_login):
    modules = rds_login.modules()
    rds = iamcore.RDSAuthenticator(rds_login.pg.host, rds_login.pg.port, "app_user")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ns = run_python(POSTGRES.block("py-pool"), names={**pg_names(rds_login.pg), "rds": rds}, modules=modules)
    with ns["pool"] as pool:
        pool.wait(timeout=30)
        with pool.connection() as first, pool.connection() as second:
            assert whoami(first) == whoami(second) == ("app_user", "app", True)
    assert len(rds_login.logins) >= 2 and all(valid for valid, _ in rds_login.logins)


@POSTGRES.runs("py-retry")
def test_postgres_retry_after_a_refused_login(rds_login):
    rds = iamcore.RDSAuthenticator(rds_login.pg.host, rds_login.pg.port, "app_user")
    rds_login.refuse(1)
    invalidated = []

    class Watched:  # the snippet's rds, counting invalidate() calls
        def token(self):
            return rds.token()

        def invalidate(self):
            invalidated.append(1)
            rds.invalidate()

    modules = rds_login.modules()
    ns = run_python(POSTGRES.block("py-retry"),
                    names={**pg_names(rds_login.pg), "rds": Watched(), "psycopg": modules["psycopg"]})
    with ns["conn"] as conn:
        assert whoami(conn)[0] == "app_user"
    assert rds_login.logins == [(True, True), (True, False)]
    assert invalidated == [1]


# ---------------------------------------------------------------- docs/environment.md

IBM_CONFIGURATION = re.compile(r"(MY_SERVICE|MY_SVC|NATURAL_LANGUAGE|NLU_PROD)_|IBM_CREDENTIALS_FILE$|VCAP_SERVICES$")


@pytest.fixture
def ibm_env(monkeypatch, tmp_path):
    """No IBM configuration from the machine: none of the services' variables, a fresh
    working directory and HOME (no ibm-credentials.env)."""
    for name in list(os.environ):
        if IBM_CONFIGURATION.match(name):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def child_env(**extra):
    """The environment of a child process without IBM configuration, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not IBM_CONFIGURATION.match(k)}
    env.update(extra)
    return env


@ENVIRONMENT.runs("py-env")
def test_environment_python(emulator, ibm_env):
    ibm_env.setenv("MY_SERVICE_APIKEY", "env-docs-key")
    ibm_env.setenv("MY_SERVICE_AUTH_URL", emulator.http)
    request = {"method": "GET", "url": "https://service.example/v1", "headers": {}}
    ns = run_python(ENVIRONMENT.block("py-env"), names={"request": request})

    assert isinstance(ns["auth"], iamcore.IAMAuthenticator)
    token = bearer_of(request["headers"]["Authorization"])
    assert emulator_claims(token)["sub"] == apikey_subject("env-docs-key")


C_ENV_MAIN = """
int main(void)
{
    snippet();
    return 0;
}
"""


@ENVIRONMENT.runs("c-env")
def test_environment_c(emulator, tmp_path):
    source = c_program(ENVIRONMENT.block("c-env").code, "#include <iamcore_env.h>\n#include <stdio.h>\n", C_ENV_MAIN)
    exe = build_c(source, tmp_path)
    home = tmp_path / "home"
    home.mkdir()

    found = subprocess.run([str(exe)], cwd=str(tmp_path), capture_output=True, text=True, timeout=30,
                           env=child_env(HOME=str(home), MY_SERVICE_APIKEY="c-docs-key", MY_SERVICE_AUTH_URL=emulator.http))
    assert (found.returncode, found.stdout, found.stderr) == (0, "iam from environment\n", "")

    missing = subprocess.run([str(exe)], cwd=str(tmp_path), capture_output=True, text=True, timeout=30,
                             env=child_env(HOME=str(home)))
    assert missing.returncode == 0 and missing.stdout == ""
    assert missing.stderr.startswith('no configuration found for service "my-service" (looked in: ')


@ENVIRONMENT.runs("credentials-file")
def test_environment_credentials_file(emulator, ibm_env, tmp_path):
    text = without_annotations(ENVIRONMENT.block("credentials-file").code)
    assert "<-" not in text
    path = tmp_path / "ibm-credentials.env"
    path.write_text(text + f"\nMY_SERVICE_AUTH_URL={emulator.http}\n")  # the token request goes to the emulator
    ibm_env.setenv("IBM_CREDENTIALS_FILE", str(path))

    auth = iamcore.get_authenticator_from_environment("my-service")
    auth.token()
    [request] = emulator.requests("iam")
    assert request["form"]["apikey"] == "V4HXmoUtMjohnsnow=KotN"
    assert request["form"]["scope"] == "my scope"
    basic = base64.b64encode(b"my-client:==my-client-secret==").decode()
    assert request["headers"]["authorization"] == "Basic " + basic


@ENVIRONMENT.runs("vcap-services")
def test_environment_vcap_services(ibm_env):
    text = ENVIRONMENT.block("vcap-services").code
    vcap = json.loads(text)
    ibm_env.setenv("VCAP_SERVICES", text)

    # By the name of an entry, else the first entry of the list keyed by the service.
    for service in ("nlu-prod", "natural-language"):
        auth = iamcore.get_authenticator_from_environment(service)
        assert isinstance(auth, iamcore.IAMAuthenticator), service
    basic = iamcore.get_authenticator_from_environment("my-service")
    assert basic.authentication_type() == "basic"
    request = {"headers": {}}
    basic.authenticate(request)
    credentials = vcap["user-provided"][0]["credentials"]
    expected = base64.b64encode(f"{credentials['username']}:{credentials['password']}".encode()).decode()
    assert request["headers"]["Authorization"] == "Basic " + expected


def shown_messages(code):
    """The messages of a block that wraps long ones onto lines indented by two spaces."""
    messages = []
    for line in code.split("\n"):
        if line.startswith("  ") and messages:
            messages[-1] += " " + line.strip()
        elif line:
            messages.append(line)
    return messages


def load_error(cwd, env):
    """The message of the ConfigError that loading "my-svc" raises in a child process."""
    code = ("import iamcore\ntry:\n    iamcore.get_authenticator_from_environment('my-svc')\n"
            "except iamcore.ConfigError as e:\n    print(e)\n")
    pythonpath = os.path.dirname(os.path.dirname(iamcore.__file__))
    done = subprocess.run([sys.executable, "-c", code], cwd=str(cwd), env=child_env(PYTHONPATH=pythonpath, **env),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.rstrip("\n")


@ENVIRONMENT.runs("error-messages")
def test_environment_error_messages(tmp_path):
    app, home, etc = tmp_path / "app", tmp_path / "home" / "u", tmp_path / "etc"
    for d in (app, home, etc):
        d.mkdir(parents=True)
    paths = {"/app/": f"{app}/", "/home/u/": f"{home}/", "/etc/": f"{etc}/"}
    shown = shown_messages(ENVIRONMENT.block("error-messages").code)
    expected = []
    for message in shown:
        for doc_path, real in paths.items():
            message = message.replace(doc_path, real)
        expected.append(message)

    home_env = {"HOME": str(home)}
    actual = [load_error(app, home_env),
              load_error(app, dict(home_env, MY_SVC_SCOPE="ibm openid"))]
    (app / "ibm-credentials.env").write_text("MY_SVC_AUTH_TYPE=cp4d\n")
    actual.append(load_error(app, home_env))
    (app / "ibm-credentials.env").unlink()
    actual.append(load_error(app, dict(home_env, VCAP_SERVICES='{"my-svc": [{"name": "my-svc", "credentials": {"username": "u"}}]}')))
    unreadable = etc / "creds.env"
    if os.geteuid() == 0:
        # Root reads a file of any mode: a symbolic-link loop is unreadable to it too.
        (etc / "loop").symlink_to(unreadable)
        unreadable.symlink_to(etc / "loop")
        index = next(i for i, m in enumerate(expected) if m.startswith("cannot read"))
        expected[index] = expected[index].replace(os.strerror(errno.EACCES), os.strerror(errno.ELOOP))
    else:
        unreadable.write_text("MY_SVC_APIKEY=k\n")
        unreadable.chmod(0)
    actual.append(load_error(app, dict(home_env, IBM_CREDENTIALS_FILE=str(unreadable))))
    actual.append(load_error(app, dict(home_env, VCAP_SERVICES="{not json")))

    assert actual == expected


# ---------------------------------------------------------------- docs/cli.md

both = pytest.mark.parametrize("lang", LANGUAGES)
RDS_HOST = "mydb.123456789012.us-east-1.rds.amazonaws.com"
DSQL_HOST = "abcdefghijklmnopqrst.dsql.us-east-1.on.aws"

# Before a shell snippet: `iamcore` is the command line under test ($DOCS_IAMCORE), with
# IBM's IAM URL and the platform's token file (which a snippet leaves at their defaults)
# pointed at the emulator and a test file, and `emulator` stopped by the end of stdin;
# `curl` and `psql` record their arguments (and PGPASSWORD) in $DOCS_LOG.
SHELL_PRELUDE = r"""
iamcore() {
  case "$1" in
    token)
      case " $* " in *" --service "*) ;; *) set -- "$@" --url "$DOCS_IAM_URL" ;; esac
      case " $* " in *" --profile-"*) set -- "$@" --cr-token-file "$DOCS_CR_TOKEN_FILE" ;; esac ;;
    emulator) set -- "$@" --exit-on-stdin-eof ;;
  esac
  $DOCS_IAMCORE "$@"
}
curl() { printf '%s\x1f' curl "$@" >> "$DOCS_LOG"; echo >> "$DOCS_LOG"; }
psql() { printf '%s\x1f' psql "PGPASSWORD=$PGPASSWORD" "$@" >> "$DOCS_LOG"; echo >> "$DOCS_LOG"; }
"""


def recorded(log):
    if not log.exists():
        return []
    return [line.rstrip("\x1f").split("\x1f") for line in log.read_text().splitlines()]


def cli_env(tmp_path, emulator, cr_token_file, lang, **extra):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return home, clean_env(home, DOCS_IAMCORE=" ".join(command(lang)), DOCS_IAM_URL=emulator.http,
                           DOCS_CR_TOKEN_FILE=cr_token_file("cr-of-the-cli\n"), DOCS_LOG=tmp_path / "log", **extra)


def rds_query(token):
    return dict(urllib.parse.parse_qsl(token.split("?", 1)[1], keep_blank_values=True))


@both
@CLI.runs("overview")
def test_cli_overview(emulator, cr_token_file, tmp_path, lang):
    home, env = cli_env(tmp_path, emulator, cr_token_file, lang, DB=RDS_HOST, CLUSTER=DSQL_HOST,
                        MY_SERVICE_APIKEY="service-docs-key", MY_SERVICE_AUTH_URL=emulator.http,
                        AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=AWS_SECRET)
    done = bash(SHELL_PRELUDE + CLI.block("overview").code, env, home)
    assert (done.returncode, done.stderr) == (0, "")

    (curl_call, rds_call, dsql_call) = recorded(tmp_path / "log")
    [_, option, header, url] = curl_call
    assert (option, url) == ("-H", "https://…")
    assert header.startswith("Authorization: Bearer ")
    assert emulator_claims(header[len("Authorization: Bearer "):])["sub"] == apikey_subject("…")  # the key exported

    profile_token, service_json, *emulator_env = done.stdout.splitlines()
    assert emulator_claims(profile_token)["sub"] == "profile-my-profile"
    out = json.loads(service_json)
    assert (out["type"], emulator_claims(out["token"])["sub"]) == ("iam", apikey_subject("service-docs-key"))
    assert [line.split("=")[0] for line in emulator_env] == [
        "export IAMCORE_EMULATOR_HTTP", "export IAMCORE_EMULATOR_HTTPS", "export IAMCORE_EMULATOR_CA_FILE",
        "export MY_SERVICE_AUTH_URL", "export AWS_ENDPOINT_URL_STS", "export AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "export AWS_EC2_METADATA_SERVICE_ENDPOINT"]

    assert rds_call[2:] == [f"host={RDS_HOST} user=app_user dbname=app sslmode=require"]
    rds_token = rds_call[1][len("PGPASSWORD="):]
    assert rds_token.startswith(f"{RDS_HOST}:5432/?Action=connect&DBUser=app_user&")
    assert rds_query(rds_token)["X-Amz-Credential"].endswith("/us-east-1/rds-db/aws4_request")
    assert dsql_call[2:] == [f"host={DSQL_HOST} user=admin dbname=postgres sslmode=require"]
    assert dsql_call[1].startswith(f"PGPASSWORD={DSQL_HOST}/?Action=DbConnectAdmin&")
    grants = [r["form"]["grant_type"].rsplit(":", 1)[1] for r in emulator.requests("iam")]
    assert grants == ["apikey", "cr-token", "apikey"]


@both
@pytest.mark.parametrize("snippet", ["synopsis-token", "synopsis-rds-token", "synopsis-dsql-token"])
def test_cli_synopsis_options_are_the_programs(tmp_path, lang, snippet):
    synopsis = CLI.block(snippet).code
    name = snippet[len("synopsis-"):]
    assert all(line.startswith(f"iamcore {name} ") for line in synopsis.split("\n"))
    home = tmp_path / "home"
    home.mkdir()
    done = run(lang, [name, "--help"], clean_env(home), home)
    assert done.returncode == 0, done.stderr
    for option in sorted(set(re.findall(r"--[a-z][a-z-]*", synopsis))):
        assert re.search(rf"^\s+{option}\b", done.stdout, re.M), f"{option} is not in 'iamcore {name} --help'"


for _snippet in ("synopsis-token", "synopsis-rds-token", "synopsis-dsql-token"):
    CLI.runs(_snippet)(test_cli_synopsis_options_are_the_programs)


@both
@CLI.runs("json-output")
def test_cli_json_output(emulator, cr_token_file, tmp_path, lang):
    sample = json.loads(CLI.block("json-output").code)
    home, env = cli_env(tmp_path, emulator, cr_token_file, lang, IBMCLOUD_API_KEY="json-docs-key")
    done = run(lang, ["token", "--apikey-env", "IBMCLOUD_API_KEY", "--url", emulator.http, "--json"], env, home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.startswith('{"token":"')  # one compact line
    out = json.loads(done.stdout)
    assert list(out) == list(sample)
    assert out["type"] == sample["type"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out["expires_at"]) and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sample["expires_at"])
    exp = datetime.datetime.fromtimestamp(emulator_claims(out["token"])["exp"], datetime.timezone.utc)
    assert out["expires_at"] == exp.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert out["token"].startswith(sample["token"].rstrip("…")[:3])


@both
@CLI.runs("error-messages")
def test_cli_error_messages(emulator, cr_token_file, tmp_path, lang):
    home, env = cli_env(tmp_path, emulator, cr_token_file, lang)
    shown = CLI.block("error-messages").code.split("\n")
    runs = [
        (["rds-token", "--port", "5432", "--port", "5433"], env),
        (["token", "--apikey-env", "IBMCLOUD_API_KEY"], env),
        (["token", "--apikey-env", "IBMCLOUD_API_KEY", "--url", emulator.http], dict(env, IBMCLOUD_API_KEY="bad-key")),
    ]
    actual = [run(lang, args, e, home).stderr for args, e in runs]
    assert actual == [line + "\n" for line in shown]


# ---------------------------------------------------------------- docs/emulator.md


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def with_ports(text, ports):
    """A snippet with its fixed ports 8080 and 8443 replaced by free ones (a test machine
    may have those taken)."""
    return text.replace("8080", str(ports[0])).replace("8443", str(ports[1]))


def shell_env(tmp_path, lang="python", **extra):
    """A child environment whose PATH gives `python` and `iamcore` the ones under test."""
    bin_dir = command_dir(tmp_path / "bin", python=[sys.executable], iamcore=command(lang))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = clean_env(home, **extra)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return home, env


def start_console_command(cmd, env, cwd):
    """Start a console snippet's command (`python ...`) and read its first line."""
    proc = subprocess.Popen(["bash", "-c", "exec " + cmd], env=env, cwd=str(cwd), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@EMULATOR.runs("start")
def test_emulator_start(tmp_path):
    [(cmd, shown)] = console(EMULATOR.block("start"))
    home, env = shell_env(tmp_path)
    proc = start_console_command(cmd, env, home)
    try:
        info = json.loads(proc.stdout.readline())
        sample = json.loads(shown[0])
        assert list(info) == list(sample)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", info["http"]) and re.fullmatch(r"https://127\.0\.0\.1:\d+", info["https"])
        assert os.path.isfile(info["ca_file"]) and info["pid"] == proc.pid
    finally:
        assert stop(proc) == 0  # "Exit status: 0 after Ctrl-C, SIGTERM or stdin EOF"
    assert not os.path.exists(info["ca_file"])


@EMULATOR.runs("print-env")
def test_emulator_print_env(tmp_path):
    ports = free_ports(2)
    [(cmd, shown)] = console(EMULATOR.block("print-env"))
    home, env = shell_env(tmp_path)
    proc = start_console_command(with_ports(cmd, ports), env, home)
    try:
        lines = [proc.stdout.readline().rstrip("\n") for _ in shown]
    finally:
        stop(proc)
    ca_line = next(line for line in lines if line.startswith("export IAMCORE_EMULATOR_CA_FILE="))
    ca_file = ca_line.split("=", 1)[1]
    assert re.fullmatch(r"/.+/iamemu-[^/]+/ca\.pem", ca_file)
    expected = [with_ports(line, ports).replace("/tmp/iamemu-x1y2/ca.pem", ca_file) for line in shown]
    assert lines == expected


@both
@EMULATOR.runs("shell-script")
def test_emulator_shell_script(tmp_path, lang):
    ports = free_ports(2)
    home, env = shell_env(tmp_path, lang)
    done = bash(with_ports(EMULATOR.block("shell-script").code, ports), env, home)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert emulator_claims(done.stdout.strip())["sub"] == apikey_subject("fake-key")
    assert (home / "emulator.env").read_text().startswith(f"export IAMCORE_EMULATOR_HTTP=http://127.0.0.1:{ports[0]}\n")
    deadline = time.monotonic() + 10  # `kill %1` stopped it: its port is free again
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", ports[0])) != 0:
                break
        assert time.monotonic() < deadline, "the emulator still runs after kill %1"
        time.sleep(0.1)


MY_CLIENT = """
import iamcore as _iamcore


class _MyClient:
    def __init__(self):
        self.auth = _iamcore.get_authenticator_from_environment("my-service")

    def do_something(self):
        self.auth.token()


def make_my_client():
    return _MyClient()
"""


@EMULATOR.runs("pytest")
def test_emulator_pytest_example(tmp_path):
    home, env = shell_env(tmp_path, PYTHONPATH=os.path.dirname(os.path.dirname(iamcore.__file__)))
    (home / "test_my_client.py").write_text(MY_CLIENT + EMULATOR.block("pytest").code + "\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_client.py"],
                          cwd=str(home), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^2 passed", done.stdout, re.M), done.stdout


@EMULATOR.runs("control-curl")
def test_emulator_control_api_with_curl(emulator, iam, tmp_path):
    home, env = shell_env(tmp_path, IAMCORE_EMULATOR_HTTP=emulator.http)
    # Only curl and python's json.tool run here, no iamcore code: no sanitizer runtime for
    # them (curl hangs with AddressSanitizer preloaded).
    env.pop("LD_PRELOAD", None)
    done = bash(EMULATOR.block("control-curl").code, env, home)
    assert (done.returncode, done.stderr) == (0, "")
    answers, text = [], done.stdout
    while text.strip():
        value, end = json.JSONDecoder().raw_decode(text.lstrip())
        answers.append(value)
        text = text.lstrip()[end:]
    assert len(answers) == 3 and answers[2]["requests"] == []

    # What the first two did: a 429 with Retry-After 1, then a token that lives 30 s.
    started = time.monotonic()
    token = iam("curl-docs-key").token()
    assert time.monotonic() - started >= 1
    claims = emulator_claims(token)
    assert claims["exp"] - claims["iat"] == 30
    assert emulator.count("iam") == 2


# ---------------------------------------------------------------- docs/logging.md

FETCHED = r"token_fetched auth_type=iam url={url}/identity/token status=200 attempts=1 expires_at=\d+ duration_ms=\d+ background=false"


@LOGGING.runs("py-logging")
def test_logging_python(emulator, tmp_path):
    program = LOGGING.block("py-logging").code + (
        "\nimport iamcore\n"
        f"iamcore.IAMAuthenticator('log-docs-key', url={emulator.http!r}).token()\n")
    home, env = shell_env(tmp_path, PYTHONPATH=os.path.dirname(os.path.dirname(iamcore.__file__)))
    done = subprocess.run([sys.executable, "-c", program], cwd=str(home), env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(re.fullmatch("INFO:iamcore:" + FETCHED.format(url=re.escape(emulator.http)), line) for line in lines), lines
    assert any(line.startswith("DEBUG:iamcore:refresh_scheduled auth_type=iam ") for line in lines), lines  # setLevel(DEBUG)


C_LOG_MAIN = """
int main(int argc, char **argv)
{
    (void)argc;
    snippet();
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "log-docs-key";
    cfg.url = argv[1];
    iam_error err;
    iam_auth *auth;
    iam_token *token;
    if (iam_auth_new(&auth, IAM_AUTH_IAM, &cfg, &err) != IAM_OK)
        return 2;
    if (iam_auth_get_token(auth, &token, &err) != IAM_OK)
        return 3;
    iam_token_release(token);
    iam_auth_free(auth);
    return 0;
}
"""


@LOGGING.runs("c-log-hook")
def test_logging_c(emulator, tmp_path):
    source = c_program(LOGGING.block("c-log-hook").code, "#include <iamcore_log.h>\n#include <stdio.h>\n", C_LOG_MAIN)
    done = subprocess.run([str(build_c(source, tmp_path)), emulator.http], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(re.fullmatch("info " + FETCHED.format(url=re.escape(emulator.http)), line) for line in lines), lines
    assert any(line.startswith("debug refresh_scheduled auth_type=iam ") for line in lines), lines


# ---------------------------------------------------------------- docs/shared-cache.md


@SHARED.runs("py-shared-cache")
def test_shared_cache_python(emulator, here, tmp_path):
    apikey = "shared-docs-" + secrets.token_hex(8)
    names = {"apikey": apikey, "cache_dir": str(tmp_path / "iamcore")}
    first = run_python(SHARED.block("py-shared-cache"), names=dict(names), modules={"iamcore": here})
    second = run_python(SHARED.block("py-shared-cache"), names=dict(names), modules={"iamcore": here})
    assert first["auth"] is not second["auth"]
    assert first["token"] == second["token"]
    assert sum(1 for r in emulator.requests("iam") if r["form"].get("apikey") == apikey) == 1


@SHARED.runs("entry-format")
def test_shared_cache_entry_format(emulator, tmp_path):
    shown = SHARED.block("entry-format").code.rstrip("\n").split("\n")
    directory = tmp_path / "c"
    token = iamcore.IAMAuthenticator("format-docs-key", url=emulator.http, shared_cache=str(directory)).token()
    (entry,) = directory.glob("*.token")
    real = entry.read_text()
    assert real.endswith("\n")
    lines = real[:-1].split("\n")
    assert len(lines) == len(shown)
    assert lines[0] == shown[0]
    for have, doc in zip(lines[1:-1], shown[1:-1]):
        assert have.split(" ")[0] == doc.split(" ")[0] and re.fullmatch(r"\w+ \d+", have), have
    assert lines[-2] == f"length {len(token)}"
    assert lines[-1] == token
    assert shown[-1].startswith("eyJ") and shown[-1].endswith("…")


# ---------------------------------------------------------------- every doc


@pytest.mark.parametrize("doc", DOCS, ids=[d.relpath for d in DOCS])
def test_every_block_is_marked_and_every_snippet_has_a_test(doc):
    assert doc.problems("python") == []


CHECKED = """\
<!-- snippet: runs -->
```python
x = 1
```

```sh
unmarked
```

<!-- snippet: untested -->
   ```c
   int x;
   ```
<!-- not run: an install command -->
~~~sh
pip install iamcore
~~~
<!-- snippet: pair before -->
```python
y = 1
```
<!-- snippet: runs -->
```js
z
```
"""


def test_the_marker_check_finds_every_kind_of_problem():
    doc = Doc("docs/example.md", text=CHECKED)
    assert [(b.line, b.lang, b.id, b.reason) for b in doc.blocks] == [
        (2, "python", "runs", None), (6, "sh", None, None), (11, "c", "untested", None),
        (15, "sh", None, "an install command"), (19, "python", "pair", None), (23, "js", "runs", None)]
    assert doc.block("untested").code == "int x;"
    doc.runs("runs")(test_the_marker_check_finds_every_kind_of_problem)
    doc.runs("gone")(test_the_marker_check_finds_every_kind_of_problem)
    assert doc.problems("python") == [
        "docs/example.md:6 [block]: a ```sh block without a <!-- snippet: ID --> or <!-- not run: REASON --> "
        "marker on the line before it",
        "docs/example.md:23 [runs]: snippet id used twice (also line 2)",
        "docs/example.md: snippet pair has only its before half",
        "docs/example.md: snippet untested has no python test",
        "docs/example.md: test_the_marker_check_finds_every_kind_of_problem runs snippet gone, which is gone",
    ]
