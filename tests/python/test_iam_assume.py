"""IAMAssumeAuthenticator: an API-key token, then the assume grant; caching of
both, errors of each step, configuration rules, concurrency, secrets."""

import base64
import json
import threading

import pytest

import iamcore

GRANT_APIKEY = "urn:ibm:params:oauth:grant-type:apikey"
GRANT_ASSUME = "urn:ibm:params:oauth:grant-type:assume"


def jwt_payload(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def assume(emulator):
    def make(apikey="assume-key-0001", **options):
        options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        if not any(k in options for k in ("iam_profile_crn", "iam_profile_id", "iam_profile_name")):
            options["iam_profile_id"] = "Profile-77"
        return iamcore.IAMAssumeAuthenticator(apikey, **options)

    return make


def test_two_steps(emulator, assume):
    token = assume(client_id="bx", client_secret="bx-secret", scope="ibm openid",
                   headers={"X-Trace": "t-1"}).token()
    assert jwt_payload(token)["sub"] == "profile-Profile-77"
    assert jwt_payload(token)["grant_type"] == GRANT_ASSUME
    first, second = emulator.requests("iam")
    assert first["form"] == {"grant_type": GRANT_APIKEY, "apikey": "assume-key-0001",
                             "response_type": "cloud_iam", "scope": "ibm openid"}
    assert base64.b64decode(first["headers"]["authorization"].split()[1]) == b"bx:bx-secret"
    assert set(second["form"]) == {"grant_type", "access_token", "profile_id"}
    assert second["form"]["grant_type"] == GRANT_ASSUME
    assert jwt_payload(second["form"]["access_token"])["grant_type"] == GRANT_APIKEY
    assert "authorization" not in second["headers"]
    assert second["headers"]["x-trace"] == first["headers"]["x-trace"] == "t-1"
    assert "(iamAssume; python/" in second["headers"]["user-agent"]


@pytest.mark.parametrize(
    "options, form",
    [
        ({"iam_profile_crn": "crn:v1:bluemix:public:iam-identity::a/1::profile:P-9"},
         {"profile_crn": "crn:v1:bluemix:public:iam-identity::a/1::profile:P-9"}),
        ({"iam_profile_name": "my profile", "iam_account_id": "acct-1"},
         {"profile_name": "my profile", "account": "acct-1"}),
    ],
    ids=["crn", "name"],
)
def test_profile_forms(emulator, assume, options, form):
    assume(**options).token()
    second = emulator.requests("iam")[-1]["form"]
    assert {k: v for k, v in second.items() if k not in ("grant_type", "access_token")} == form


def test_the_api_key_token_is_reused(emulator, assume):
    auth = assume()
    first = auth.token()
    assert auth.token() == first
    auth.invalidate()
    assert auth.token() != first
    requests = emulator.requests("iam")
    assert [r["form"]["grant_type"] for r in requests] == [GRANT_APIKEY, GRANT_ASSUME, GRANT_ASSUME]
    assert requests[1]["form"]["access_token"] == requests[2]["form"]["access_token"]


def test_step_one_error(emulator, assume, assert_secret_free):
    with pytest.raises(iamcore.AuthenticationError) as info:
        assume("bad-key").token()
    assert info.value.error_code == "BXNIM0415E"
    assert emulator.count("iam") == 1


def test_step_two_error_names_the_step_and_hides_the_key(emulator, assume, assert_secret_free):
    emulator.enqueue({"token": True}, {"status": 403, "error": {
        "errorCode": "BXNIM0398E", "errorMessage": "assume-key-0001 may not assume"}})
    auth = assume()
    with pytest.raises(iamcore.AuthenticationError) as info:
        auth.token()
    e = info.value
    assert (e.status, e.error_code) == (403, "BXNIM0398E")
    assert str(e).startswith("IAM token request (assume grant) failed: HTTP 403")
    for text in (str(e), repr(e), e.error_message):
        assert_secret_free(text, "assume-key-0001", where="the error")
    assert auth.token()  # the API-key token was kept: one more request
    assert emulator.count("iam") == 3


def test_a_401_in_step_two_gets_a_new_api_key_token(emulator, assume):
    auth = assume()
    emulator.enqueue({"token": True},
                     {"status": 401, "error": {"errorCode": "BXNIM0407E", "errorMessage": "no"}})
    with pytest.raises(iamcore.AuthenticationError):
        auth.token()
    auth.token()
    grants = [r["form"]["grant_type"] for r in emulator.requests("iam")]
    assert grants == [GRANT_APIKEY, GRANT_ASSUME, GRANT_APIKEY, GRANT_ASSUME]


def test_malformed_and_unreachable(emulator, assume):
    emulator.enqueue({"token": True}, {"body": "{not json"})
    with pytest.raises(iamcore.ParseError):
        assume().token()
    with pytest.raises(iamcore.TransportError):
        assume(url="http://127.0.0.1:1", max_retries=0).token()


def test_https_with_the_test_ca(emulator, assume):
    with pytest.raises(iamcore.TLSError):
        assume(url=emulator.https, max_retries=0).token()
    assert assume(url=emulator.https, ca_file=emulator.ca_file).token()
    # the refused handshake sent no request
    assert [r["scheme"] for r in emulator.requests("iam")] == ["https", "https"]


def test_concurrent_callers_share_one_request_per_step(emulator, assume):
    emulator.token_settings(delay_ms=200)
    auth = assume()
    results = []
    barrier = threading.Barrier(16)

    def call():
        barrier.wait()
        results.append(auth.token())

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 16 and len(set(results)) == 1
    assert emulator.count("iam") == 2


@pytest.mark.parametrize(
    "options, needle",
    [
        ({}, "exactly one of"),
        ({"iam_profile_id": "p", "iam_profile_crn": "c"}, "exactly one of"),
        ({"iam_profile_name": "n"}, "iam_account_id"),
        ({"iam_profile_id": "p", "iam_account_id": "a"}, "iam_account_id"),
        ({"iam_profile_id": "p", "client_id": "bx"}, "together"),
    ],
)
def test_configuration_errors(options, needle):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.IAMAssumeAuthenticator("key", **options)
    assert needle in str(info.value)


@pytest.mark.parametrize("apikey", [None, "", '"quoted"'])
def test_api_key_rules(apikey):
    with pytest.raises(iamcore.ConfigError):
        iamcore.IAMAssumeAuthenticator(apikey, iam_profile_id="p")


def test_repr_and_type(assume, emulator, assert_secret_free):
    auth = assume(iam_profile_name="n", iam_account_id="a", client_secret="cs-secret-1",
                  client_id="bx")
    assert auth.authentication_type() == "iamAssume"
    assert repr(auth) == (f"IAMAssumeAuthenticator(url={emulator.http!r}, "
                          "iam_profile_name='n', iam_account_id='a')")
    assert_secret_free(repr(auth), "assume-key-0001", "cs-secret-1", where="repr")


def test_the_new_token_classes_use_the_c_methods():
    from iamcore import _native

    for cls in (iamcore.VPCInstanceAuthenticator, iamcore.IAMAssumeAuthenticator):
        assert issubclass(cls, _native.Authenticator)
        for name in ("token", "authenticate", "authentication_type", "invalidate"):
            assert getattr(cls, name) is getattr(_native.Authenticator, name)
        assert cls.__slots__ == ()
        assert cls.__doc__ and len(cls.__doc__) > 40
