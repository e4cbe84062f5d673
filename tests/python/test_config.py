"""Configuration checks at construction (ConfigError / TypeError) and token-file
errors at the first fetch (TokenFileError)."""

import math
import os

import pytest

import iamcore


def message_names(e, option):
    """The error message names the option (allowing "API key" for "apikey")."""
    squashed = str(e).lower().replace(" ", "").replace("_", "").replace("-", "")
    return option.lower().replace("_", "") in squashed


@pytest.mark.parametrize("apikey", [None, ""])
def test_missing_apikey(apikey):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator(apikey)
    assert isinstance(info.value, ValueError)
    assert info.value.code == "config"
    assert info.value.status is None
    assert info.value.attempts == 0
    assert message_names(info.value, "apikey")


@pytest.mark.parametrize("apikey", ['"abc123"', "{abc123}", '"abc123', "abc123}", "{abc123"])
def test_apikey_in_quotes_or_braces(apikey):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator(apikey)
    assert message_names(info.value, "apikey")
    assert "abc123" not in str(info.value)


@pytest.mark.parametrize(
    "options",
    [{"client_id": "cid"}, {"client_secret": "csecret"}, {"client_id": "", "client_secret": "s"}],
    ids=["id-only", "secret-only", "empty-id"],
)
def test_client_id_and_secret_go_together(options):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("key", **options)
    assert message_names(info.value, "client_id") or message_names(info.value, "client_secret")
    with pytest.raises(iamcore.ConfigError):
        iamcore.ContainerAuthenticator(iam_profile_name="p", **options)


def test_container_needs_a_profile():
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.ContainerAuthenticator(cr_token_filename="/nonexistent")
    assert "profile" in str(info.value).lower()
    with pytest.raises(iamcore.ConfigError):
        iamcore.ContainerAuthenticator(iam_profile_name="", iam_profile_id="")


@pytest.mark.parametrize("timeout", [0, 0.0, -1, -0.5, math.nan, math.inf])
def test_invalid_timeout(timeout):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("key", timeout=timeout)
    assert "timeout" in str(info.value)
    with pytest.raises(iamcore.ConfigError):
        iamcore.ContainerAuthenticator(iam_profile_name="p", timeout=timeout)


@pytest.mark.parametrize("value", [0, -1])
def test_invalid_connect_timeout(value):
    with pytest.raises(iamcore.ConfigError, match="connect_timeout"):
        iamcore.IAMAuthenticator("key", connect_timeout=value)


def test_invalid_max_retries():
    with pytest.raises(iamcore.ConfigError, match="max_retries"):
        iamcore.IAMAuthenticator("key", max_retries=-1)


@pytest.mark.parametrize("timeout", [1, 0.25, 30, 0.0001])
def test_valid_timeouts(timeout):
    iamcore.IAMAuthenticator("key", timeout=timeout, connect_timeout=timeout)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Bad": "value\r\nInjected: 1"},
        {"X-Bad": "value\nInjected: 1"},
        {"X-Bad": "value\rx"},
        {"X-Bad\r\nInjected": "1"},
        {"X-Bad\n": "1"},
    ],
)
def test_headers_with_cr_or_lf(headers):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("key", headers=headers)
    assert "header" in str(info.value).lower()


@pytest.mark.parametrize("option", ["url", "scope", "client_id", "ca_file", "proxy"])
def test_nul_characters_are_rejected(option):
    options = {option: "abc\0def"}
    if option == "client_id":
        options["client_secret"] = "s"
    with pytest.raises(iamcore.ConfigError, match=option):
        iamcore.IAMAuthenticator("key", **options)


def test_nul_in_apikey_is_rejected():
    with pytest.raises(iamcore.ConfigError, match="apikey"):
        iamcore.IAMAuthenticator("abc\0def")


def test_lone_surrogate_is_rejected():
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("abc\udc80def")
    assert info.value.__context__ is None or not isinstance(info.value.__context__, UnicodeError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"apikey": 123},
        {"apikey": b"bytes-key"},
        {"apikey": "k", "url": 5},
        {"apikey": "k", "timeout": "5"},
        {"apikey": "k", "timeout": True},
        {"apikey": "k", "max_retries": 1.5},
        {"apikey": "k", "headers": [("X-A", "1")]},
        {"apikey": "k", "headers": "X-A: 1"},
        {"apikey": "k", "headers": {"X-A": 1}},
        {"apikey": "k", "headers": {1: "x"}},
        {"apikey": "k", "headers": {"X-A": None}},
    ],
)
def test_wrong_types_raise_type_error(kwargs):
    apikey = kwargs.pop("apikey")
    with pytest.raises(TypeError):
        iamcore.IAMAuthenticator(apikey, **kwargs)


def test_signatures():
    # apikey may be omitted for refresh_token; without either: a ConfigError naming both
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator()
    assert "apikey" in str(info.value) and "refresh_token" in str(info.value)
    with pytest.raises(TypeError):
        iamcore.IAMAuthenticator("key", "https://iam.example.com")  # options are keyword-only
    with pytest.raises(TypeError):
        iamcore.IAMAuthenticator("key", iam_profile_name="p")  # not an IAM option
    with pytest.raises(TypeError):
        iamcore.ContainerAuthenticator("p")
    with pytest.raises(TypeError):
        iamcore.ContainerAuthenticator(iam_profile_name="p", apikey="k")


def test_valid_configurations_construct_without_io(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("")
    with pytest.warns(iamcore.InsecureTLSWarning):  # disable_ssl_verification
        iamcore.IAMAuthenticator(
            "key",
            url="https://iam.test.cloud.ibm.com",
            client_id="bx",
            client_secret="bx",
            scope="ibm openid",
            headers={"X-A": "1"},
            disable_ssl_verification=True,
            ca_file=str(ca_file),
            proxy="http://proxy.invalid:3128",
            timeout=1.5,
            connect_timeout=0.5,
            max_retries=0,
        )
    iamcore.ContainerAuthenticator(iam_profile_id="iam-Profile-1")
    iamcore.ContainerAuthenticator(iam_profile_crn="crn:v1:x", cr_token_filename="/nonexistent")


def test_headers_accept_any_mapping(emulator, iam):
    class Headers:
        def __init__(self, d):
            self._d = d

        def items(self):
            return self._d.items()

    iam(headers=Headers({"X-From-Mapping": "yes"})).token()
    assert emulator.requests()[0]["headers"]["x-from-mapping"] == "yes"


def test_uninitialised_object_raises_instead_of_crashing():
    auth = iamcore.IAMAuthenticator.__new__(iamcore.IAMAuthenticator)
    for call in (auth.token, auth.invalidate, auth.authentication_type, lambda: auth.authenticate({})):
        with pytest.raises(RuntimeError, match="not initialised"):
            call()
    assert "not initialised" in repr(auth)


def test_init_twice_is_refused():
    auth = iamcore.IAMAuthenticator("key")
    with pytest.raises(RuntimeError, match="already initialised"):
        auth.__init__("other-key")


def test_missing_token_file_fails_at_first_fetch(emulator, container, tmp_path):
    path = str(tmp_path / "does-not-exist")
    auth = container(cr_token_filename=path)  # construction succeeds
    with pytest.raises(iamcore.TokenFileError) as info:
        auth.token()
    e = info.value
    assert e.code == "token_file"
    assert path in str(e)
    assert e.status is None
    assert emulator.count() == 0
    # Not cached: once the file exists, the next call works.
    with open(path, "w") as f:
        f.write("now-present\n")
    assert auth.token().count(".") == 2
    assert emulator.requests()[0]["form"]["cr_token"] == "now-present"


@pytest.mark.parametrize("content", ["", "\n"], ids=["empty", "only-newline"])
def test_empty_token_file_fails_at_first_fetch(emulator, container, cr_token_file, content):
    path = cr_token_file(content)
    auth = container(cr_token_filename=path)
    with pytest.raises(iamcore.TokenFileError) as info:
        auth.token()
    assert path in str(info.value)
    assert emulator.count() == 0
    with pytest.raises(iamcore.TokenFileError):
        auth.authenticate({})
    assert emulator.count() == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_token_file(emulator, container, cr_token_file):
    path = cr_token_file("x\n")
    os.chmod(path, 0)
    with pytest.raises(iamcore.TokenFileError) as info:
        container(cr_token_filename=path).token()
    assert path in str(info.value)
    assert emulator.count() == 0


def test_unreadable_ca_file_is_a_config_error(tmp_path):
    path = str(tmp_path / "missing-ca.pem")
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("key", ca_file=path)
    assert "ca_file" in str(info.value)


def test_token_file_is_a_directory(emulator, container, tmp_path):
    with pytest.raises(iamcore.TokenFileError) as info:
        container(cr_token_filename=str(tmp_path)).token()
    assert str(tmp_path) in str(info.value)
    assert emulator.count() == 0


DEFAULT_TOKEN_FILES = [
    "/var/run/secrets/tokens/vault-token",
    "/var/run/secrets/tokens/sa-token",
    "/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token",
]


@pytest.mark.skipif(
    any(os.path.exists(p) for p in DEFAULT_TOKEN_FILES), reason="a default token file exists here"
)
def test_default_token_files_are_all_named(emulator):
    auth = iamcore.ContainerAuthenticator(iam_profile_name="p", url=emulator.http, timeout=2)
    with pytest.raises(iamcore.TokenFileError) as info:
        auth.token()
    for path in DEFAULT_TOKEN_FILES:
        assert path in str(info.value)
    assert emulator.count() == 0
