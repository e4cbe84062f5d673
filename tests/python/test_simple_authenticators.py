"""BearerTokenAuthenticator, BasicAuthenticator, NoAuthAuthenticator: the header,
input rules (as ibm-cloud-sdk-core's), and secrets kept out of sight."""

import base64
import copy
import gc
import pickle

import pytest

import iamcore

TOKEN = "bearer-secret-0123456789"
PASSWORD = "password-secret-9876543210"


def shown(obj):
    """What a program might print about an object."""
    texts = [repr(obj), str(obj)]
    for name in dir(obj):
        try:
            texts.append(f"{name}={getattr(obj, name)!r}")
        except Exception as e:  # noqa: BLE001 - a failing attribute is just another text
            texts.append(repr(e))
    texts += [repr(o) for o in gc.get_referents(obj)]
    return texts


def test_bearer_token(assert_secret_free):
    auth = iamcore.BearerTokenAuthenticator(TOKEN)
    request = {"method": "GET"}
    auth.authenticate(request)
    assert request["headers"] == {"Authorization": f"Bearer {TOKEN}"}
    auth.set_bearer_token("other-token-1")
    request = {"headers": {"X-A": "1"}}
    auth.authenticate(request)
    assert request["headers"] == {"X-A": "1", "Authorization": "Bearer other-token-1"}
    assert auth.authentication_type() == "bearerToken"
    assert repr(auth) == "BearerTokenAuthenticator()"
    auth.set_bearer_token(TOKEN)
    for text in shown(auth):
        assert_secret_free(text, TOKEN, where="the authenticator")


@pytest.mark.parametrize("token", [None, "", "a\r\nX-Evil: 1", "a\nb", "nul\0"])
def test_bearer_token_rules(token, assert_secret_free):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.BearerTokenAuthenticator(token)
    assert "bearer_token" in str(info.value)
    if token:
        assert_secret_free(str(info.value), token, where="the error")
    auth = iamcore.BearerTokenAuthenticator(TOKEN)
    with pytest.raises(iamcore.ConfigError):
        auth.set_bearer_token(token)
    request = {}
    auth.authenticate(request)  # a refused replacement leaves the old token
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_bearer_token_must_be_a_str():
    with pytest.raises(TypeError):
        iamcore.BearerTokenAuthenticator(b"bytes")


def test_basic(assert_secret_free):
    auth = iamcore.BasicAuthenticator("user ü", PASSWORD)
    request = {"headers": None}
    auth.authenticate(request)
    scheme, value = request["headers"]["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value) == f"user ü:{PASSWORD}".encode()
    assert auth.username == "user ü"
    assert auth.authentication_type() == "basic"
    assert repr(auth) == "BasicAuthenticator(username='user ü')"
    for text in shown(auth):
        assert_secret_free(text, PASSWORD, value, where="the authenticator")


@pytest.mark.parametrize(
    "username, password, needle",
    [
        (None, PASSWORD, "username"),
        ("", PASSWORD, "username"),
        ("user", None, "password"),
        ("user", "", "password"),
        ('"user"', PASSWORD, "username"),
        ("{user", PASSWORD, "username"),
        ("user", PASSWORD + "}", "password"),
        ("us:er", PASSWORD, "colon"),
    ],
)
def test_basic_rules(username, password, needle, assert_secret_free):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.BasicAuthenticator(username, password)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)
    assert_secret_free(str(info.value), PASSWORD, where="the error")


def test_basic_types():
    with pytest.raises(TypeError):
        iamcore.BasicAuthenticator(1, PASSWORD)
    with pytest.raises(TypeError):
        iamcore.BasicAuthenticator("user", b"pw")


def test_no_auth():
    auth = iamcore.NoAuthAuthenticator()
    request = {"headers": {"X-A": "1"}}
    auth.authenticate(request)
    assert request == {"headers": {"X-A": "1"}}
    assert auth.authentication_type() == "noAuth"
    assert repr(auth) == "NoAuthAuthenticator()"


@pytest.mark.parametrize("make", [
    lambda: iamcore.BearerTokenAuthenticator(TOKEN),
    lambda: iamcore.BasicAuthenticator("u", PASSWORD),
    lambda: iamcore.NoAuthAuthenticator(),
], ids=["bearer", "basic", "noauth"])
def test_requests_must_be_dicts_and_objects_cannot_be_copied(make):
    auth = make()
    with pytest.raises(TypeError):
        auth.authenticate([("headers", {})])
    for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError):
            attempt(auth)
