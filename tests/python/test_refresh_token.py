"""IAMAuthenticator with a refresh token: the grant, the newest refresh token kept,
configuration errors, failures, concurrency, secrets."""

import json
import threading
import urllib.parse
import urllib.request

import pytest

import iamcore

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def issued_refresh_token(emulator):
    """A refresh token the emulator issued (from a plain API-key grant)."""
    emulator.token_settings(issue_refresh_tokens=True)
    form = urllib.parse.urlencode({
        "grant_type": "urn:ibm:params:oauth:grant-type:apikey",
        "apikey": "seed-key",
        "response_type": "cloud_iam",
    }).encode()
    request = urllib.request.Request(
        emulator.http + "/identity/token", data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with _OPENER.open(request, timeout=10) as response:
        token = json.loads(response.read())["refresh_token"]
    assert token.startswith("emu-refresh-")
    return token


def refresh_grants(emulator):
    return [r for r in emulator.requests("iam") if r["form"].get("grant_type") == "refresh_token"]


@pytest.fixture
def refreshing(emulator):
    """Factory of refresh-token IAMAuthenticators pointed at the emulator."""

    def make(refresh_token, **options):
        options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        options.setdefault("client_id", "bx")
        options.setdefault("client_secret", "bx-secret")
        return iamcore.IAMAuthenticator(refresh_token=refresh_token, **options)

    return make


def test_the_refresh_grant_request(emulator, refreshing):
    r0 = issued_refresh_token(emulator)
    token = refreshing(r0, scope="ibm openid").token()
    assert token.count(".") == 2
    [sent] = refresh_grants(emulator)
    assert sent["form"] == {
        "grant_type": "refresh_token",
        "refresh_token": r0,
        "response_type": "cloud_iam",
        "scope": "ibm openid",
    }
    assert sent["headers"]["authorization"] == "Basic Yng6Yngtc2VjcmV0"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_each_refresh_uses_the_newest_refresh_token(emulator, refreshing):
    r0 = issued_refresh_token(emulator)
    auth = refreshing(r0)
    for _ in range(3):
        auth.token()
        auth.invalidate()
    sent = [r["form"]["refresh_token"] for r in refresh_grants(emulator)]
    assert sent[0] == r0
    assert len(set(sent)) == 3
    assert all(s.startswith("emu-refresh-") for s in sent)


def test_not_supported_or_no_refresh_token_keeps_the_current_one(emulator, refreshing):
    r0 = issued_refresh_token(emulator)
    auth = refreshing(r0)
    auth.token()  # sends r0, receives r1
    emulator.token_settings(issue_refresh_tokens=False)
    auth.invalidate()
    auth.token()  # sends r1, receives "not_supported"
    auth.invalidate()
    emulator.enqueue({"json": {"access_token": "opaque-1", "expires_in": 3600}})
    assert auth.token() == "opaque-1"  # sends r1, receives no refresh token
    auth.invalidate()
    auth.token()  # still r1, and IAM still knows it
    sent = [r["form"]["refresh_token"] for r in refresh_grants(emulator)]
    assert sent[0] == r0
    assert sent[1] != r0
    assert sent[1] == sent[2] == sent[3]


@pytest.mark.parametrize(
    "options, option",
    [
        ({"client_id": None, "client_secret": None}, "client_id"),
        ({"client_secret": None}, "client"),
        ({"client_id": None}, "client"),
    ],
    ids=["no-client", "no-secret", "no-id"],
)
def test_needs_client_id_and_secret(refreshing, options, option, assert_secret_free):
    with pytest.raises(iamcore.ConfigError) as info:
        refreshing("refresh-secret-123", **options)
    assert option in str(info.value)
    assert_secret_free(str(info.value), "refresh-secret-123", where="the error")


def test_exactly_one_of_apikey_and_refresh_token(assert_secret_free):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator("key-secret-123", refresh_token="refresh-secret-123",
                                 client_id="bx", client_secret="s")
    assert "not both" in str(info.value)
    assert_secret_free(str(info.value), "key-secret-123", "refresh-secret-123", where="the error")
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAuthenticator()
    assert "apikey" in str(info.value) and "refresh_token" in str(info.value)
    with pytest.raises(iamcore.ConfigError):
        iamcore.IAMAuthenticator(refresh_token='"quoted"', client_id="bx", client_secret="s")
    with pytest.raises(TypeError):
        iamcore.IAMAuthenticator(refresh_token=b"bytes", client_id="bx", client_secret="s")


def test_a_refused_refresh_token(emulator, refreshing, assert_secret_free):
    auth = refreshing("emu-refresh-0-never-issued")
    with pytest.raises(iamcore.AuthenticationError) as info:
        auth.token()
    e = info.value
    assert e.status == 400
    assert e.error_code == "BXNIM0408E"
    assert e.transaction_id.startswith("emu-")
    assert emulator.count() == 1
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0408E",
                                               "errorMessage": "emu-refresh-0-never-issued expired"}})
    with pytest.raises(iamcore.AuthenticationError) as info:
        auth.token()
    for text in (str(info.value), repr(info.value), info.value.error_message):
        assert_secret_free(text, "emu-refresh-0-never-issued", where="the error")
    assert "[redacted]" in info.value.error_message


def test_https_with_the_test_ca(emulator, refreshing):
    r0 = issued_refresh_token(emulator)
    with pytest.raises(iamcore.TLSError):
        refreshing(r0, url=emulator.https, max_retries=0).token()
    assert refreshing(r0, url=emulator.https, ca_file=emulator.ca_file).token()


def test_concurrent_callers_share_one_refresh(emulator, refreshing):
    r0 = issued_refresh_token(emulator)
    emulator.token_settings(delay_ms=300)
    auth = refreshing(r0)
    results, errors = [], []
    barrier = threading.Barrier(20)

    def call():
        barrier.wait()
        try:
            results.append(auth.token())
        except iamcore.Error as e:  # collected and checked below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 20 and len(set(results)) == 1
    assert len(refresh_grants(emulator)) == 1


def test_repr_and_type(emulator, refreshing, assert_secret_free):
    r0 = issued_refresh_token(emulator)
    auth = refreshing(r0)
    assert auth.authentication_type() == "iam"
    assert repr(auth) == f"IAMAuthenticator(url={emulator.http!r})"
    auth.token()
    assert_secret_free(repr(auth), r0, "bx-secret", where="repr")
