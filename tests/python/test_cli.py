"""The iamcore command line (docs/cli.md), Python (`python -m iamcore`) and Node (the npm
bin) alike: each test runs the real program in a child process, against the emulator
where a token service is needed, and most compare the two programs' outputs."""

import base64
import datetime
import hashlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.parse

import pytest

import iamcore
from iamcore import aws

from cli_run import LANGUAGES, ROOT, clean_env, command, run

APIKEY = "cli-Secret-ApiKey-0123456789"
SECRET = "S3cr3t-Value-9f8e7d"  # stands for any secret typed where it does not belong
RDS_HOST = "mydb.c1x2y3z4.eu-central-1.rds.amazonaws.com"
DSQL_HOST = "abcdefghijklmnopqrst.dsql.us-east-1.on.aws"
AKID, AWS_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "session/token+with=reserved/characters=="

both = pytest.mark.parametrize("lang", LANGUAGES)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def cli(home):
    """cli(lang, *args, env={...}): run the command line with a clean environment."""

    def call(lang, *args, env=None, timeout=30):
        return run(lang, args, clean_env(home, **(env or {})), home, timeout)

    return call


@pytest.fixture
def cli_both(cli):
    """Run both programs with the same arguments; return (python, node) results."""

    def call(*args, env=None, timeout=30):
        return tuple(cli(lang, *args, env=env, timeout=timeout) for lang in LANGUAGES)

    return call


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def query(token):
    return dict(urllib.parse.parse_qsl(token.split("?", 1)[1], keep_blank_values=True))


def signed_at(token):
    return datetime.datetime.strptime(query(token)["X-Amz-Date"], "%Y%m%dT%H%M%SZ")


def one_line_error(result, status, prefix):
    """A failure: the exit status, nothing on stdout, one stderr line starting with prefix."""
    assert result.returncode == status, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert result.stderr.startswith(prefix), result.stderr
    assert "Traceback" not in result.stderr and "    at " not in result.stderr


# ------------------------------------------------------------------- help, version

def test_version_is_the_package_version(cli_both):
    py, node = cli_both("--version")
    package = json.loads((ROOT / "package.json").read_text())
    assert py.stdout == node.stdout == f"iamcore {iamcore.__version__}\n"
    assert package["version"] == iamcore.__version__
    assert py.returncode == node.returncode == 0 and py.stderr == node.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["token", "--help"],
                                  ["token", "--apikey-env", "K", "-h"], ["rds-token", "--help"],
                                  ["dsql-token", "-h"], ["emulator", "--help"]])
def test_help_is_the_same_in_both(cli_both, args):
    py, node = cli_both(*args)
    assert py.returncode == node.returncode == 0
    assert py.stdout == node.stdout and py.stdout.startswith("usage: iamcore")
    assert py.stderr == node.stderr == ""


def test_help_documents_every_exit_status(cli):
    text = cli("python", "--help").stdout
    for status in range(10):
        assert re.search(rf"^  {status}  \S", text, re.M), status


def test_command_help_lists_every_option(cli):
    from iamcore import _cli

    for name, (spec, _, _, _) in _cli.COMMANDS.items():
        text = cli("python", name, "--help").stdout
        for option in spec:
            assert option in text, (name, option)


# ------------------------------------------------------------------- usage errors

USAGE_ERRORS = [
    ([], "no command given", "iamcore --help"),
    (["frobnicate"], "unknown command (", "iamcore --help"),
    ([SECRET], "unknown command (", "iamcore --help"),
    (["--frobnicate"], "unknown option --frobnicate", "iamcore --help"),
    (["token"], "token needs --service NAME, an API key", "iamcore token --help"),
    (["token", "--apikey", SECRET], "option --apikey does not exist: secrets are never option",
     "iamcore token --help"),
    (["token", f"--apikey={SECRET}"], "option --apikey does not exist", "iamcore token --help"),
    (["token", f"--api-key={SECRET}"], "option --api-key does not exist", "iamcore token --help"),
    (["token", SECRET], "unexpected argument", "iamcore token --help"),
    (["token", "--apikey-env", "K", SECRET], "unexpected argument", "iamcore token --help"),
    (["token", f"--nope={SECRET}"], "unknown option --nope;", "iamcore token --help"),
    (["token", "--apikey-env"], "option --apikey-env needs a value", "iamcore token --help"),
    (["token", "--apikey-env", "--json"], "option --apikey-env needs a value",
     "iamcore token --help"),
    (["token", "--apikey-env", "A", "--apikey-env=B"], "option --apikey-env given twice",
     "iamcore token --help"),
    (["token", "--apikey-env", "K", f"--json={SECRET}"], "option --json takes no value",
     "iamcore token --help"),
    (["token", "--apikey-env", ""], "option --apikey-env must not be empty",
     "iamcore token --help"),
    (["token", "--apikey-env", "K", "--apikey-file", "f"],
     "give only one of --apikey-env and --apikey-file", "iamcore token --help"),
    (["token", "--apikey-env", "K", "--profile-name", "p"],
     "--apikey-env (iam) and --profile-name (container) exclude each other",
     "iamcore token --help"),
    (["token", "--auth-type", "iam", "--apikey-env", "K", "--cr-token-file", "f"],
     "--cr-token-file is for --auth-type container", "iamcore token --help"),
    (["token", "--auth-type", "CONTAINER", "--apikey-file", "f", "--profile-id", "i"],
     "--apikey-file is for --auth-type iam", "iamcore token --help"),
    (["token", "--auth-type", "iam"], "--auth-type iam needs --apikey-env VAR or --apikey-file",
     "iamcore token --help"),
    (["token", "--cr-token-file", "f"], "--auth-type container needs --profile-name",
     "iamcore token --help"),
    (["token", "--auth-type", SECRET, "--apikey-env", "K"], "--auth-type must be iam or container",
     "iamcore token --help"),
    (["token", "--service", "s", "--url", "http://x"],
     "--service takes everything from the environment configuration; it cannot be combined "
     "with --url", "iamcore token --help"),
    (["token", "--json", "--timeout", "5", "--service", "s"], "cannot be combined with --timeout",
     "iamcore token --help"),
    (["token", "--apikey-env", "K", "--timeout", "0"],
     "--timeout must be a number of seconds from 0.001 to 86400", "iamcore token --help"),
    (["token", "--apikey-env", "K", "--timeout", "1e3"], "--timeout must be a number",
     "iamcore token --help"),
    (["token", "--apikey-env", "K", "--timeout", "-1"], "--timeout must be a number",
     "iamcore token --help"),
    (["token", "--apikey-env", "K", "--connect-timeout", "0.0001"],
     "--connect-timeout must be a number of seconds", "iamcore token --help"),
    (["token", "--apikey-env", "K", "--timeout", "86400.5"], "--timeout must be a number",
     "iamcore token --help"),
    (["token", "--apikey-env", "K", "--max-retries", "101"],
     "--max-retries must be a whole number from 0 to 100", "iamcore token --help"),
    (["token", "--apikey-env", "K", "--max-retries", "1.5"], "--max-retries must be a whole",
     "iamcore token --help"),
    (["rds-token", "--hostname", "h", "--port", "5432"], "missing option --username",
     "iamcore rds-token --help"),
    (["rds-token", "--username", "u"], "missing option --hostname", "iamcore rds-token --help"),
    (["rds-token", "--hostname", "h", "--port", "0", "--username", "u"],
     "--port must be a whole number from 1 to 65535", "iamcore rds-token --help"),
    (["rds-token", "--hostname", "h", "--port", "65536", "--username", "u"],
     "--port must be a whole number", "iamcore rds-token --help"),
    (["rds-token", "--hostname", "h", "--port", "\uff15\uff14\uff13\uff12", "--username", "u"],
     "--port must be a whole number", "iamcore rds-token --help"),
    (["rds-token", "--hostname", "h", "--port", "5432", "--username", "u", "--admin"],
     "unknown option --admin", "iamcore rds-token --help"),
    (["dsql-token"], "missing option --hostname", "iamcore dsql-token --help"),
    (["dsql-token", "--hostname", "h", "--expires-in", "604801"],
     "--expires-in must be a whole number from 1 to 604800", "iamcore dsql-token --help"),
    (["dsql-token", "--hostname", "h", "--admin=true"], "option --admin takes no value",
     "iamcore dsql-token --help"),
]


@pytest.mark.parametrize("args, message, where", USAGE_ERRORS,
                         ids=[" ".join(c[0])[:60] or "(none)" for c in USAGE_ERRORS])
def test_usage_errors(cli_both, assert_secret_free, args, message, where):
    py, node = cli_both(*args)
    for result in (py, node):
        one_line_error(result, 2, "iamcore: usage error: ")
        assert message in result.stderr
        assert result.stderr.endswith(f"; see '{where}'\n")
        assert_secret_free(result.stderr, SECRET, where="the usage error")
    assert py.stderr == node.stderr


# ------------------------------------------------------------------- IBM: iam

@both
def test_iam_token_over_http(cli, emulator, assert_secret_free, lang):
    result = cli(lang, "token", "--apikey-env", "MY_KEY", "--url", emulator.http,
                 env={"MY_KEY": APIKEY})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    token = result.stdout[:-1]
    assert result.stdout.endswith("\n") and "\n" not in token
    sent = emulator.requests("iam")
    assert len(sent) == 1 and sent[0]["form"]["apikey"] == APIKEY
    assert claims(token)["sub"] == "apikey-" + hashlib.sha256(APIKEY.encode()).hexdigest()[:8]
    assert_secret_free(result.stdout, APIKEY, where="stdout")


@both
def test_iam_token_over_https_with_the_test_ca(cli, emulator, lang):
    result = cli(lang, "token", "--auth-type", "IAM", "--apikey-env", "K", "--url",
                 emulator.https, "--ca-file", emulator.ca_file, env={"K": APIKEY})
    assert result.returncode == 0, result.stderr
    assert emulator.requests("iam")[0]["scheme"] == "https"


def test_https_without_the_ca_is_a_tls_error_in_both(cli_both, emulator):
    py, node = cli_both("token", "--apikey-env", "K", "--url", emulator.https,
                        "--max-retries", "0", env={"K": APIKEY})
    for result in (py, node):
        one_line_error(result, 7, "iamcore: TLS error: ")
    assert py.stderr == node.stderr


@both
def test_json_output(cli, emulator, lang):
    result = cli(lang, "token", "--apikey-env", "K", "--url", emulator.http, "--json",
                 env={"K": APIKEY})
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("}\n") and result.stdout.count("\n") == 1
    value = json.loads(result.stdout)
    assert list(value) == ["token", "expires_at", "type"]
    assert value["type"] == "iam"
    assert value["expires_at"] == rfc3339(claims(value["token"])["exp"])


@both
def test_json_output_of_an_opaque_token_has_no_expiry(cli, emulator, lang):
    emulator.token_settings(jwt=False)
    result = cli(lang, "token", "--apikey-env", "K", "--url", emulator.http, "--json",
                 env={"K": APIKEY})
    value = json.loads(result.stdout)
    assert value["token"].startswith("opaque-") and value["expires_at"] is None


def test_json_output_is_the_same_in_both(cli_both, emulator):
    py, node = cli_both("token", "--apikey-env", "K", "--url", emulator.http, "--json",
                        env={"K": APIKEY})
    a, b = json.loads(py.stdout), json.loads(node.stdout)
    assert (a["type"], claims(a["token"])["sub"]) == (b["type"], claims(b["token"])["sub"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["expires_at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["expires_at"])
    assert py.stdout.replace(a["token"], "T").replace(a["expires_at"], "E") == \
        node.stdout.replace(b["token"], "T").replace(b["expires_at"], "E")


APIKEY_FILES = {
    "plain": APIKEY.encode(),
    "newline": APIKEY.encode() + b"\n",
    "crlf and blanks": b"  " + APIKEY.encode() + b" \r\n",
    "bom": b"\xef\xbb\xbf" + APIKEY.encode() + b"\n",
    "apikey.json": json.dumps({"name": "my-key", "description": "", "createdAt": "2026-01-01",
                               "apikey": APIKEY}, indent=2).encode(),
}


@both
@pytest.mark.parametrize("form", APIKEY_FILES)
def test_apikey_file(cli, emulator, home, lang, form):
    path = home / "apikey"
    path.write_bytes(APIKEY_FILES[form])
    result = cli(lang, "token", "--apikey-file", path, "--url", emulator.http)
    assert result.returncode == 0, result.stderr
    assert emulator.requests("iam")[0]["form"]["apikey"] == APIKEY


APIKEY_FILE_ERRORS = {
    "missing": (None, "cannot read the API key file {path} (ENOENT)"),
    "directory": ("dir", "cannot read the API key file {path} (EISDIR)"),
    "empty": (b" \n", "the API key file {path} is empty"),
    "not utf-8": (b"\xff\xfe" + APIKEY.encode(), "the API key file {path} is not UTF-8 text"),
    "json without apikey": (b'{"name": "x", "api_key": "' + APIKEY.encode() + b'"}',
                            'the API key file {path} is JSON without an "apikey" string'),
    "bad json": (b"{" + APIKEY.encode(), 'the API key file {path} is JSON without an "apikey"'),
    "json empty apikey": (b'{"apikey": " "}', 'is JSON without an "apikey" string'),
}


@pytest.mark.parametrize("case", APIKEY_FILE_ERRORS)
def test_apikey_file_errors(cli_both, emulator, home, assert_secret_free, case):
    content, message = APIKEY_FILE_ERRORS[case]
    path = home / "apikey"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    py, node = cli_both("token", "--apikey-file", path, "--url", emulator.http)
    for result in (py, node):
        one_line_error(result, 3, "iamcore: configuration error: ")
        assert message.format(path=path) in result.stderr
        assert_secret_free(result.stderr, APIKEY, where="the error")
    assert py.stderr == node.stderr
    assert emulator.count() == 0


@pytest.mark.parametrize("value", [None, ""])
def test_apikey_env_not_set(cli_both, emulator, value):
    py, node = cli_both("token", "--apikey-env", "NO_SUCH_KEY", "--url", emulator.http,
                        env={"NO_SUCH_KEY": value})
    for result in (py, node):
        one_line_error(result, 3, "iamcore: configuration error: environment variable "
                                  "NO_SUCH_KEY (--apikey-env) is not set or is empty")
    assert py.stderr == node.stderr
    assert emulator.count() == 0


def test_refused_api_key_is_an_authentication_error(cli_both, emulator, assert_secret_free):
    py, node = cli_both("token", "--apikey-env", "K", "--url", emulator.http,
                        env={"K": "bad-key"})
    for result in (py, node):
        one_line_error(result, 4, "iamcore: authentication error: ")
        assert "BXNIM0415E" in result.stderr
        assert_secret_free(result.stderr, "bad-key", where="the error")
    assert py.stderr == node.stderr


def test_library_configuration_errors_are_configuration_errors(cli_both, emulator, home):
    py, node = cli_both("token", "--apikey-env", "K", "--url", emulator.http,
                        "--ca-file", home / "no-such-ca.pem", env={"K": APIKEY})
    for result in (py, node):
        one_line_error(result, 3, "iamcore: configuration error: ")
        assert "ca_file" in result.stderr
    assert emulator.count() == 0


def test_unreachable_service_is_a_transport_error(cli_both):
    py, node = cli_both("token", "--apikey-env", "K", "--url", "http://127.0.0.1:9",
                        "--max-retries", "0", env={"K": APIKEY})
    for result in (py, node):
        one_line_error(result, 5, "iamcore: transport error: ")
    same = re.compile(r"after \d+ ms")
    assert same.sub("", py.stderr) == same.sub("", node.stderr)


@both
def test_timeout(cli, emulator, lang):
    emulator.enqueue({"hang": True})
    result = cli(lang, "token", "--apikey-env", "K", "--url", emulator.http, "--timeout", "0.5",
                 "--max-retries", "0", env={"K": APIKEY}, timeout=15)
    one_line_error(result, 6, "iamcore: timeout: ")


@both
def test_unreadable_answer_is_a_parse_error(cli, emulator, lang):
    emulator.enqueue({"body": "{not json"})
    result = cli(lang, "token", "--apikey-env", "K", "--url", emulator.http, env={"K": APIKEY})
    one_line_error(result, 8, "iamcore: parse error: ")


@both
def test_max_retries_and_connect_timeout_reach_the_authenticator(cli, emulator, lang):
    emulator.enqueue({"status": 503}, {"status": 503})
    result = cli(lang, "token", "--apikey-env", "K", "--url", emulator.http, "--max-retries",
                 "0", "--connect-timeout", "2", env={"K": APIKEY})
    one_line_error(result, 4, "iamcore: authentication error: IAM token request failed: HTTP 503")
    assert emulator.count() == 1
    emulator.reset()
    emulator.enqueue({"status": 503, "headers": {"Retry-After": "0"}})
    result = cli(lang, "token", "--apikey-env", "K", "--url", emulator.http, "--max-retries",
                 "1", env={"K": APIKEY})
    assert result.returncode == 0, result.stderr
    assert emulator.count() == 2


# ------------------------------------------------------------------- IBM: container

@both
@pytest.mark.parametrize("profile", ["--profile-name", "--profile-id", "--profile-crn"])
def test_container_token(cli, emulator, home, lang, profile):
    token_file = home / "cr-token"
    token_file.write_text("cr-token-value\n")
    result = cli(lang, "token", profile, "my-profile", "--cr-token-file", token_file,
                 "--url", emulator.http, "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert value["type"] == "container"
    form = emulator.requests("iam")[0]["form"]
    assert form["cr_token"] == "cr-token-value"
    assert form[profile[2:].replace("-", "_")] == "my-profile"


def test_missing_token_file_is_a_token_file_error(cli_both, emulator, home):
    py, node = cli_both("token", "--auth-type", "container", "--profile-name", "p",
                        "--cr-token-file", home / "missing", "--url", emulator.http)
    for result in (py, node):
        one_line_error(result, 9, "iamcore: token file error: ")
        assert str(home / "missing") in result.stderr
    assert py.stderr == node.stderr
    assert emulator.count() == 0


# ------------------------------------------------------------------- IBM: --service

@both
def test_service_token_from_environment_variables(cli, emulator, lang):
    result = cli(lang, "token", "--service", "cli-test-service", "--json",
                 env={"CLI_TEST_SERVICE_APIKEY": APIKEY, "CLI_TEST_SERVICE_AUTH_URL": emulator.http})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["type"] == "iam"
    assert emulator.requests("iam")[0]["form"]["apikey"] == APIKEY


@both
def test_service_token_from_a_credentials_file(cli, emulator, home, lang):
    token_file = home / "cr-token"
    token_file.write_text("cr-token-value")
    (home / "ibm-credentials.env").write_text(
        f"CLI_TEST_SERVICE_AUTH_TYPE=container\nCLI_TEST_SERVICE_IAM_PROFILE_NAME=p\n"
        f"CLI_TEST_SERVICE_CR_TOKEN_FILENAME={token_file}\n"
        f"CLI_TEST_SERVICE_AUTH_URL={emulator.http}\n")
    result = cli(lang, "token", "--service", "cli-test-service")
    assert result.returncode == 0, result.stderr
    assert emulator.requests("iam")[0]["form"]["profile_name"] == "p"


def test_service_without_configuration_is_a_configuration_error(cli, emulator):
    result = cli("python", "token", "--service", "cli-unconfigured-service")
    one_line_error(result, 3, "iamcore: configuration error: ")


# ------------------------------------------------------------------- AWS

def static_credentials(token=None):
    env = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": AWS_SECRET}
    if token:
        env["AWS_SESSION_TOKEN"] = token
    return env


def botocore_rds_token(when, token, host, port, user, region):
    """botocore's generate_db_auth_token with the same credentials, signed at `when`."""
    from unittest import mock

    session = pytest.importorskip("botocore.session").get_session()
    client = session.create_client("rds", region_name=region, aws_access_key_id=AKID,
                                   aws_secret_access_key=AWS_SECRET, aws_session_token=token)
    with mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: when):
        return client.generate_db_auth_token(host, port, user, Region=region)


@both
@pytest.mark.parametrize("session_token", [None, SESSION_TOKEN])
def test_rds_token_is_what_the_library_and_botocore_sign(cli, assert_secret_free, lang,
                                                         session_token):
    result = cli(lang, "rds-token", "--hostname", RDS_HOST, "--port", "5432", "--username",
                 "app_user", env=static_credentials(session_token))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.endswith("\n")
    token = result.stdout[:-1]
    assert token.startswith(RDS_HOST + ":5432/?Action=connect&DBUser=app_user&")
    when = signed_at(token)
    creds = aws.Credentials(AKID, AWS_SECRET, session_token)
    assert token == iamcore.generate_db_auth_token(RDS_HOST, 5432, "app_user",
                                                   credentials=creds, timestamp=when)
    assert token == botocore_rds_token(when, session_token, RDS_HOST, 5432, "app_user",
                                       "eu-central-1")
    assert_secret_free(result.stdout, AWS_SECRET, where="the token")


def test_rds_token_is_the_same_in_both(cli_both):
    py, node = cli_both("rds-token", "--hostname", RDS_HOST, "--port", "3306", "--username",
                        "u", "--region", "us-west-2", env=static_credentials(SESSION_TOKEN))
    a, b = py.stdout[:-1], node.stdout[:-1]
    assert query(a)["X-Amz-Credential"].split("/")[2] == "us-west-2"
    creds = aws.Credentials(AKID, AWS_SECRET, SESSION_TOKEN)
    for token in (a, b):  # each exactly what the library signs at its time
        assert token == iamcore.generate_db_auth_token(RDS_HOST, 3306, "u", "us-west-2",
                                                       credentials=creds,
                                                       timestamp=signed_at(token))
    strip = re.compile(r"X-Amz-(Date|Signature)=[^&]*")
    assert strip.sub("", a) == strip.sub("", b)


@both
def test_rds_token_json(cli, lang):
    result = cli(lang, "rds-token", "--hostname", RDS_HOST, "--port", "5432", "--username", "u",
                 "--json", env=static_credentials())
    value = json.loads(result.stdout)
    assert list(value) == ["token", "expires_at", "type"] and value["type"] == "rds"
    expires = signed_at(value["token"]) + datetime.timedelta(seconds=900)
    assert value["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")


@both
def test_rds_token_with_a_profile(cli, home, lang):
    (home / ".aws-credentials").write_text(
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n"
        "[prod]\naws_access_key_id = AKIAPRODKEY\naws_secret_access_key = p\n")
    (home / ".aws-config").write_text("[profile prod]\nregion = ap-southeast-2\n")
    result = cli(lang, "rds-token", "--hostname", "db.internal", "--port", "5432", "--username",
                 "u", "--profile", "prod")
    assert result.returncode == 0, result.stderr
    credential = query(result.stdout)["X-Amz-Credential"].split("/")
    assert (credential[0], credential[2]) == ("AKIAPRODKEY", "ap-southeast-2")


@both
def test_rds_token_with_web_identity_credentials_from_the_emulator(cli, emulator, home, lang):
    emulator.aws_settings(access_key_id="ASIAEMULATORCLI00001")
    identity = home / "web-identity-token"
    identity.write_text("oidc-token")
    result = cli(lang, "rds-token", "--hostname", RDS_HOST, "--port", "5432", "--username", "u",
                 env={"AWS_WEB_IDENTITY_TOKEN_FILE": identity, "AWS_ENDPOINT_URL_STS": emulator.http,
                      "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/cli"})
    assert result.returncode == 0, result.stderr
    q = query(result.stdout)
    assert q["X-Amz-Credential"].startswith("ASIAEMULATORCLI00001/")
    assert q["X-Amz-Security-Token"]
    assert emulator.count("sts") == 1


def test_refused_web_identity_is_an_authentication_error(cli_both, emulator, home):
    identity = home / "web-identity-token"
    identity.write_text("bad-token")
    py, node = cli_both("rds-token", "--hostname", RDS_HOST, "--port", "5432", "--username", "u",
                        env={"AWS_WEB_IDENTITY_TOKEN_FILE": identity,
                             "AWS_ENDPOINT_URL_STS": emulator.http,
                             "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/cli"})
    for result in (py, node):
        one_line_error(result, 4, "iamcore: authentication error: ")
        assert "InvalidIdentityToken" in result.stderr
    assert py.stderr == node.stderr


@pytest.mark.parametrize("args, env, message", [
    (["rds-token", "--hostname", RDS_HOST, "--port", "5432", "--username", "u"], {},
     "no AWS credentials found"),
    (["rds-token", "--hostname", "db.internal", "--port", "5432", "--username", "u"],
     static_credentials(), "no AWS region"),
    (["dsql-token", "--hostname", DSQL_HOST, "--profile", "missing"], {}, "missing"),
])
def test_aws_configuration_errors(cli_both, assert_secret_free, args, env, message):
    py, node = cli_both(*args, env=env)
    for result in (py, node):
        one_line_error(result, 3, "iamcore: configuration error: ")
        assert message in result.stderr
        assert_secret_free(result.stderr, AWS_SECRET, where="the error")
    assert py.stderr == node.stderr


@both
@pytest.mark.parametrize("args, action, expires", [
    ([], "DbConnect", "900"),
    (["--admin"], "DbConnectAdmin", "900"),
    (["--admin", "--expires-in", "3600"], "DbConnectAdmin", "3600"),
])
def test_dsql_token(cli, lang, args, action, expires):
    result = cli(lang, "dsql-token", "--hostname", DSQL_HOST, *args,
                 env=static_credentials(SESSION_TOKEN))
    assert result.returncode == 0, result.stderr
    token = result.stdout[:-1]
    assert token.startswith(f"{DSQL_HOST}/?Action={action}&")
    assert query(token)["X-Amz-Expires"] == expires
    extra = {"expires_in": int(expires)} if "--expires-in" in args else {}
    assert token == iamcore.generate_dsql_auth_token(
        DSQL_HOST, admin=action == "DbConnectAdmin", timestamp=signed_at(token),
        credentials=aws.Credentials(AKID, AWS_SECRET, SESSION_TOKEN), **extra)


@both
def test_dsql_token_json(cli, lang):
    result = cli(lang, "dsql-token", "--hostname", DSQL_HOST, "--region", "eu-west-1",
                 "--expires-in", "60", "--json", env=static_credentials())
    value = json.loads(result.stdout)
    assert value["type"] == "dsql"
    assert query(value["token"])["X-Amz-Credential"].split("/")[2] == "eu-west-1"
    expires = signed_at(value["token"]) + datetime.timedelta(seconds=60)
    assert value["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------- closed output

@both
@pytest.mark.parametrize("args", [["--help"], ["rds-token", "--hostname", RDS_HOST, "--port",
                                                "5432", "--username", "u"]])
def test_a_reader_that_went_away_is_status_1_without_a_message(home, lang, args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails with EPIPE
    try:
        result = subprocess.run(command(lang) + args, stdout=write_end, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=clean_env(home, **static_credentials()),
                                cwd=str(home), text=True, timeout=30)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (1, "")


# ------------------------------------------------------------------- Ctrl-C

@both
def test_ctrl_c_ends_a_pending_request_at_once(emulator, home, lang):
    emulator.enqueue({"hang": True})
    proc = subprocess.Popen(command(lang) + ["token", "--apikey-env", "K", "--url", emulator.http,
                                             "--timeout", "20", "--max-retries", "0"],
                            env=clean_env(home, K=APIKEY), cwd=str(home),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert emulator.wait_for_count(1, timeout=10) == 1  # the request is in flight
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert time.monotonic() - start < 3
    assert out == ""
    if lang == "python":
        assert (proc.returncode, err) == (130, "iamcore: interrupted\n")
    else:  # Node ends by the signal, as its default
        assert proc.returncode == -signal.SIGINT and err == ""


# ------------------------------------------------------------------- in-process entry

def test_main_returns_the_status_and_writes_to_the_given_streams(monkeypatch):
    import io

    from iamcore import _cli

    out, err = io.StringIO(), io.StringIO()
    assert _cli.main(["token", "--apikey-env", "NOT_SET_HERE"], environ={}, out=out,
                     err=err) == 3
    assert out.getvalue() == ""
    assert err.getvalue().startswith("iamcore: configuration error: environment variable")
    assert _cli.main(["--version"], out=out, err=err) == 0
    assert out.getvalue() == f"iamcore {iamcore.__version__}\n"
