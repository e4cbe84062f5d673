"""requests: `auth=authenticator` and `auth=iamcore.requests_auth(authenticator)`
against a loopback server, tokens from the IAM emulator."""

import pytest

import iamcore
from adapter_support import RecordingServer, bearer_of

requests = pytest.importorskip("requests")  # installed by scripts/build.sh
import requests.auth  # noqa: E402

BAD_KEY = {"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}}


@pytest.fixture
def server():
    with RecordingServer() as s:
        yield s


@pytest.fixture
def session():
    # trust_env off: no proxy, no netrc from the machine running the tests.
    with requests.Session() as s:
        s.trust_env = False
        yield s


@pytest.mark.parametrize("wrap", [False, True], ids=["auth=a", "requests_auth(a)"])
def test_loopback_server_receives_the_emulator_token(emulator, iam, server, session, wrap):
    a = iam()
    auth = iamcore.requests_auth(a) if wrap else a
    response = session.get(server.url + "/data", auth=auth, timeout=10)
    assert response.status_code == 200
    token = bearer_of(server.authorization())
    assert token == a.token()
    # A second request reuses the cached token.
    session.post(server.url + "/data", json={"x": 1}, auth=auth, timeout=10)
    assert server.authorization() == "Bearer " + token
    assert emulator.count() == 1


def test_session_auth(emulator, iam, server, session):
    a = iam()
    session.auth = a
    session.get(server.url + "/one", timeout=10)
    session.get(server.url + "/two", timeout=10)
    assert server.authorization(0) == server.authorization(1) == "Bearer " + a.token()
    assert emulator.count() == 1


def test_container_authenticator_works_as_auth(emulator, container, server, session):
    a = container()
    session.get(server.url + "/", auth=a, timeout=10)
    assert bearer_of(server.authorization()) == a.token()
    assert emulator.requests()[0]["form"]["grant_type"].endswith("cr-token")


def test_requests_auth_is_an_authbase(iam):
    assert isinstance(iamcore.requests_auth(iam()), requests.auth.AuthBase)


@pytest.mark.parametrize("wrap", [False, True], ids=["auth=a", "requests_auth(a)"])
def test_emulator_error_surfaces_as_the_iamcore_exception(emulator, iam, server, session, wrap):
    emulator.enqueue(BAD_KEY)
    a = iam(max_retries=0)
    with pytest.raises(iamcore.AuthenticationError) as info:
        session.get(server.url + "/", auth=iamcore.requests_auth(a) if wrap else a, timeout=10)
    assert info.value.status == 400
    assert info.value.error_code == "BXNIM0415E"
    assert server.requests == []  # nothing was sent without a token


def test_redirect_to_another_host_drops_the_header(emulator, iam, session):
    # requests copies the first request's headers to the redirected one and
    # deletes Authorization when the host name changes; the auth is not called again.
    with RecordingServer() as origin, RecordingServer(host="localhost") as other:
        target = other.url + "/landing"
        response = session.get(origin.url + "/redirect", params={"to": target}, auth=iam(), timeout=10)
        assert response.status_code == 200
        assert response.history[0].status_code == 302
        bearer_of(origin.authorization())
        assert [r["path"] for r in other.requests] == ["/landing"]
        assert other.authorization() is None
    assert emulator.count() == 1


def test_redirect_on_the_same_host_keeps_the_header(emulator, iam, server, session):
    a = iam()
    response = session.get(server.url + "/redirect", params={"to": server.url + "/landing"}, auth=a, timeout=10)
    assert response.status_code == 200
    assert [r["path"] for r in server.requests] == ["/redirect", "/landing"]
    assert server.authorization(0) == server.authorization(1) == "Bearer " + a.token()


def test_foreign_authenticator_is_accepted(server, session):
    # Any object with authenticate(request_dict): here IBM's own BearerTokenAuthenticator.
    authenticators = pytest.importorskip("ibm_cloud_sdk_core.authenticators")
    BearerTokenAuthenticator = authenticators.BearerTokenAuthenticator

    session.get(server.url + "/", auth=iamcore.requests_auth(BearerTokenAuthenticator("static-token")), timeout=10)
    assert server.authorization() == "Bearer static-token"


def test_requests_auth_rejects_what_cannot_authenticate():
    with pytest.raises(TypeError, match="requests_auth.*str"):
        iamcore.requests_auth("not an authenticator")


def test_calling_the_authenticator_needs_a_request_object(emulator, iam):
    with pytest.raises(TypeError, match="headers"):
        iam()({"headers": {}})
    assert emulator.count() == 0  # refused before any token was fetched


def test_repr_holds_no_secret(emulator, iam, assert_secret_free):
    a = iam("adapter-secret-key")
    token = a.token()
    text = repr(iamcore.requests_auth(a))
    assert text.startswith("RequestsAuth(IAMAuthenticator(")
    assert_secret_free(text, token, "adapter-secret-key", where="repr(requests_auth(a))")
