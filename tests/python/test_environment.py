"""get_authenticator_from_environment: every auth type, every source, precedence,
strict prefixes, errors naming properties (never values), and tokens fetched
from the emulator by environment-configured authenticators."""

import json

import pytest

import iamcore

SVC = "my-test-svc"  # properties MY_TEST_SVC_*
APIKEY = "env-apikey-secret-0001"
PASSWORD = "env-password-secret-0001"
BEARER = "env-bearer-secret-0001"
REFRESH = "env-refresh-secret-0001"
CLIENT_SECRET = "env-client-secret-0001"
SECRETS = (APIKEY, PASSWORD, BEARER, REFRESH, CLIENT_SECRET)


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean configuration environment: an empty working directory and HOME,
    no IBM_CREDENTIALS_FILE, no VCAP_SERVICES, no variables of the test services.
    Returns a helper that sets MY_TEST_SVC_<PROP> variables."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    for name in ("IBM_CREDENTIALS_FILE", "VCAP_SERVICES"):
        monkeypatch.delenv(name, raising=False)
    import os

    for name in list(os.environ):
        if name.startswith(("MY_TEST_SVC_", "S1_", "S10_")):
            monkeypatch.delenv(name)

    class Env:
        cwd_dir, home_dir = cwd, home

        @staticmethod
        def set(prefix="MY_TEST_SVC_", **props):
            for name, value in props.items():
                monkeypatch.setenv(prefix + name, value)

        @staticmethod
        def var(name, value):
            monkeypatch.setenv(name, value)

    return Env


def config_error(service=SVC):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.get_authenticator_from_environment(service)
    return info.value


@pytest.mark.parametrize(
    "props, cls, kind",
    [
        ({"APIKEY": APIKEY}, iamcore.IAMAuthenticator, "iam"),
        ({"AUTH_TYPE": "iam", "REFRESH_TOKEN": REFRESH, "CLIENT_ID": "bx",
          "CLIENT_SECRET": CLIENT_SECRET}, iamcore.IAMAuthenticator, "iam"),
        ({"IAM_PROFILE_NAME": "p"}, iamcore.ContainerAuthenticator, "container"),
        ({"AUTH_TYPE": "VPC"}, iamcore.VPCInstanceAuthenticator, "vpc"),
        ({"AUTH_TYPE": "iamAssume", "APIKEY": APIKEY, "IAM_PROFILE_ID": "p"},
         iamcore.IAMAssumeAuthenticator, "iamAssume"),
        ({"AUTH_TYPE": "bearerToken", "BEARER_TOKEN": BEARER},
         iamcore.BearerTokenAuthenticator, "bearerToken"),
        ({"AUTHTYPE": "basic", "USERNAME": "u", "PASSWORD": PASSWORD},
         iamcore.BasicAuthenticator, "basic"),
        ({"AUTH_TYPE": "NOAUTH"}, iamcore.NoAuthAuthenticator, "noAuth"),
    ],
    ids=["iam", "refresh", "container", "vpc", "iamAssume", "bearer", "basic", "noauth"],
)
def test_every_auth_type(env, props, cls, kind, assert_secret_free):
    env.set(**props)
    auth = iamcore.get_authenticator_from_environment(SVC)
    assert type(auth) is cls
    assert auth.authentication_type() == kind
    assert_secret_free(repr(auth), *SECRETS, where="repr")


def test_the_values_reach_the_authenticators(env):
    env.set(AUTH_TYPE="container", IAM_PROFILE_ID="Profile-1", IAM_PROFILE_CRN="crn:v1:x",
            AUTH_URL="https://iam.test.example")
    assert repr(iamcore.get_authenticator_from_environment(SVC)) == (
        "ContainerAuthenticator(url='https://iam.test.example', iam_profile_id='Profile-1', "
        "iam_profile_crn='crn:v1:x')")
    env.set(AUTH_TYPE="vpc", IAM_PROFILE_CRN="crn:v1:y", VPC_IMS_VERSION="2025-08-26",
            AUTH_URL="http://169.254.169.254", IAM_PROFILE_ID="")
    assert repr(iamcore.get_authenticator_from_environment(SVC)) == (
        "VPCInstanceAuthenticator(url='http://169.254.169.254', iam_profile_crn='crn:v1:y', "
        "vpc_ims_version='2025-08-26')")
    env.set(AUTH_TYPE="basic", USERNAME="user-1", PASSWORD=PASSWORD)
    auth = iamcore.get_authenticator_from_environment(SVC)
    request = {}
    auth.authenticate(request)
    assert request["headers"]["Authorization"].startswith("Basic ")
    assert auth.username == "user-1"
    env.set(AUTH_TYPE="bearerToken", BEARER_TOKEN=BEARER)
    request = {}
    iamcore.get_authenticator_from_environment(SVC).authenticate(request)
    assert request["headers"]["Authorization"] == f"Bearer {BEARER}"


def test_credentials_file_sources(env, tmp_path):
    text = f"# comment\nMY_TEST_SVC_AUTH_TYPE=bearerToken\nMY_TEST_SVC_BEARER_TOKEN={BEARER}=x\n"
    (env.home_dir / "ibm-credentials.env").write_text(text)
    request = {}
    iamcore.get_authenticator_from_environment(SVC).authenticate(request)
    assert request["headers"]["Authorization"] == f"Bearer {BEARER}=x"  # value after the first '='

    (env.cwd_dir / "ibm-credentials.env").write_text("MY_TEST_SVC_AUTH_TYPE=noAuth\n")
    assert isinstance(iamcore.get_authenticator_from_environment(SVC), iamcore.NoAuthAuthenticator)

    chosen = tmp_path / "chosen.env"
    chosen.write_text(f"MY_TEST_SVC_APIKEY={APIKEY}\n")
    env.var("IBM_CREDENTIALS_FILE", str(chosen))
    assert isinstance(iamcore.get_authenticator_from_environment(SVC), iamcore.IAMAuthenticator)


def test_a_missing_credentials_file_falls_through_to_the_environment(env, tmp_path):
    (env.cwd_dir / "ibm-credentials.env").write_text("MY_TEST_SVC_AUTH_TYPE=noAuth\n")
    env.var("IBM_CREDENTIALS_FILE", str(tmp_path / "does-not-exist.env"))
    env.set(AUTH_TYPE="vpc")
    assert isinstance(iamcore.get_authenticator_from_environment(SVC),
                      iamcore.VPCInstanceAuthenticator)


def test_the_first_source_wins_and_sources_never_merge(env):
    (env.cwd_dir / "ibm-credentials.env").write_text("MY_TEST_SVC_AUTH_TYPE=iam\n")
    env.set(APIKEY=APIKEY)  # not merged into the file's configuration
    e = config_error()
    assert "credentials file" in str(e) and "APIKEY" in str(e)

    (env.cwd_dir / "ibm-credentials.env").unlink()
    env.var("VCAP_SERVICES", json.dumps({SVC: [{"credentials": {"username": "u", "password": PASSWORD}}]}))
    assert isinstance(iamcore.get_authenticator_from_environment(SVC), iamcore.IAMAuthenticator)


@pytest.mark.parametrize(
    "credentials, cls",
    [
        ({"apikey": APIKEY}, iamcore.IAMAuthenticator),
        ({"iam_apikey": APIKEY}, iamcore.IAMAuthenticator),
        ({"username": "u", "password": PASSWORD}, iamcore.BasicAuthenticator),
    ],
    ids=["apikey", "iam_apikey", "basic"],
)
def test_vcap_services(env, credentials, cls):
    env.var("VCAP_SERVICES", json.dumps({
        "other": [{"name": SVC, "credentials": credentials}],
        SVC: [{"name": "not-this-one", "credentials": {"apikey": "wrong"}}],
    }))
    assert type(iamcore.get_authenticator_from_environment(SVC)) is cls


def test_malformed_vcap_services_is_named_not_shown(env, assert_secret_free):
    env.var("VCAP_SERVICES", '{"x": [{"credentials": {"apikey": "' + APIKEY + '"')
    e = config_error()
    assert "VCAP_SERVICES" in str(e)
    assert_secret_free(str(e), APIKEY, where="the error")


def test_strict_prefix(env):
    env.set(prefix="S10_", APIKEY=APIKEY)
    e = config_error("s1")
    assert "no configuration found" in str(e)
    env.set(prefix="S1_", AUTH_TYPE="noAuth")
    assert isinstance(iamcore.get_authenticator_from_environment("s1"), iamcore.NoAuthAuthenticator)
    assert isinstance(iamcore.get_authenticator_from_environment("s10"), iamcore.IAMAuthenticator)


def test_nothing_found_says_where_it_looked(env):
    e = config_error()
    assert "no configuration found" in str(e)
    assert "MY_TEST_SVC_" in str(e) and "VCAP_SERVICES" in str(e)
    assert e.code == "config"


def test_unknown_auth_type(env):
    env.set(AUTH_TYPE="cp4d", APIKEY=APIKEY)
    e = config_error()
    assert "AUTH_TYPE" in str(e) and "bearerToken" in str(e)


@pytest.mark.parametrize(
    "props, needle",
    [
        ({"AUTH_TYPE": "iam"}, "APIKEY"),
        ({"AUTH_TYPE": "iam", "REFRESH_TOKEN": REFRESH}, "CLIENT_ID"),
        ({"AUTH_TYPE": "iam", "APIKEY": APIKEY, "CLIENT_SECRET": CLIENT_SECRET}, "CLIENT_ID"),
        ({"AUTH_TYPE": "container"}, "IAM_PROFILE_NAME"),
        ({"AUTH_TYPE": "vpc", "IAM_PROFILE_ID": "a", "IAM_PROFILE_CRN": "b"}, "not both"),
        ({"AUTH_TYPE": "vpc", "VPC_IMS_VERSION": "yesterday"}, "VPC_IMS_VERSION"),
        ({"AUTH_TYPE": "iamAssume", "APIKEY": APIKEY}, "IAM_PROFILE_ID"),
        ({"AUTH_TYPE": "iamAssume", "APIKEY": APIKEY, "IAM_PROFILE_NAME": "n"}, "IAM_ACCOUNT_ID"),
        ({"AUTH_TYPE": "bearerToken"}, "BEARER_TOKEN"),
        ({"AUTH_TYPE": "basic", "USERNAME": "u"}, "PASSWORD"),
        ({"AUTH_TYPE": "basic", "USERNAME": "u:v", "PASSWORD": PASSWORD}, "USERNAME"),
        ({"APIKEY": '"' + APIKEY + '"'}, "APIKEY"),
        ({"APIKEY": APIKEY, "AUTH_URL": "iam.cloud.ibm.com"}, "AUTH_URL"),
    ],
)
def test_missing_or_bad_properties_are_named(env, props, needle, assert_secret_free):
    env.set(**props)
    e = config_error()
    assert needle in str(e)
    for text in (str(e), repr(e)):
        assert_secret_free(text, *SECRETS, where="the error")


def test_invalid_utf8_is_named(env):
    (env.cwd_dir / "ibm-credentials.env").write_bytes(
        b"MY_TEST_SVC_AUTH_TYPE=bearerToken\nMY_TEST_SVC_BEARER_TOKEN=ab\xff\xfecd\n")
    e = config_error()
    assert "BEARER_TOKEN" in str(e)
    assert "\\xff" not in repr(e)


def test_other_errors_say_where_the_configuration_came_from(env, tmp_path):
    env.set(APIKEY=APIKEY)
    with pytest.raises(TypeError):
        iamcore.get_authenticator_from_environment(b"my-test-svc")
    with pytest.raises(iamcore.ConfigError):
        iamcore.get_authenticator_from_environment("")


# ---- tokens from the emulator through environment-configured authenticators


def test_iam_token_from_the_environment(env, emulator):
    env.set(APIKEY=APIKEY, AUTH_URL=emulator.http, SCOPE="ibm openid")
    auth = iamcore.get_authenticator_from_environment(SVC)
    assert auth.token().count(".") == 2
    [r] = emulator.requests("iam")
    assert r["form"]["apikey"] == APIKEY
    assert r["form"]["scope"] == "ibm openid"
    assert "(iam; python/" in r["headers"]["user-agent"]


def test_disable_ssl_from_the_environment(env, emulator):
    env.set(APIKEY=APIKEY, AUTH_URL=emulator.https)
    with pytest.raises(iamcore.TLSError):
        iamcore.get_authenticator_from_environment(SVC).token()
    env.set(AUTH_DISABLE_SSL="True")
    with pytest.warns(iamcore.InsecureTLSWarning):
        auth = iamcore.get_authenticator_from_environment(SVC)
    assert auth.token()


def test_container_vpc_and_assume_tokens_from_the_environment(env, emulator, tmp_path):
    cr = tmp_path / "cr-token"
    cr.write_text("cr-token-value\n")
    env.set(AUTH_TYPE="container", IAM_PROFILE_NAME="p1", CR_TOKEN_FILENAME=str(cr),
            AUTH_URL=emulator.http)
    assert iamcore.get_authenticator_from_environment(SVC).token()
    assert emulator.requests("iam")[-1]["form"]["cr_token"] == "cr-token-value"

    env.set(AUTH_TYPE="vpc", IAM_PROFILE_NAME="", IAM_PROFILE_ID="Profile-5",
            VPC_IMS_VERSION="2025-08-26")
    assert iamcore.get_authenticator_from_environment(SVC).token()
    assert emulator.requests("vpc-iam-token")[-1]["path"] == "/identity/v1/iam_tokens"

    env.set(AUTH_TYPE="iamAssume", APIKEY=APIKEY, IAM_PROFILE_ID="Profile-6")
    assert iamcore.get_authenticator_from_environment(SVC).token()
    assert emulator.requests("iam")[-1]["form"]["profile_id"] == "Profile-6"


def test_refresh_token_from_the_environment(env, emulator):
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0408E",
                                               "errorMessage": "expired"}})
    env.set(AUTH_TYPE="iam", REFRESH_TOKEN=REFRESH, CLIENT_ID="bx", CLIENT_SECRET=CLIENT_SECRET,
            AUTH_URL=emulator.http)
    auth = iamcore.get_authenticator_from_environment(SVC)
    with pytest.raises(iamcore.AuthenticationError):
        auth.token()
    [r] = emulator.requests("iam")
    assert r["form"]["grant_type"] == "refresh_token"
    assert r["form"]["refresh_token"] == REFRESH
