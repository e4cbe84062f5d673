"""VPCInstanceAuthenticator against the emulator's instance metadata endpoints:
both steps, both API versions, errors of each step, concurrency, secrets."""

import threading

import pytest

import iamcore

STEPS = ["vpc-token", "vpc-iam-token"]


@pytest.fixture
def vpc(emulator):
    def make(*args, **options):
        if len(args) < 3:
            options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        return iamcore.VPCInstanceAuthenticator(*args, **options)

    return make


def test_both_steps(emulator, vpc):
    token = vpc().token()
    assert token.count(".") == 2
    put, post = emulator.requests(STEPS)
    assert (put["endpoint"], put["method"], put["path"], put["query"]) == (
        "vpc-token", "PUT", "/instance_identity/v1/token", "version=2022-03-01")
    assert put["headers"]["metadata-flavor"] == "ibm"
    assert put["headers"]["content-type"] == "application/json"
    assert put["headers"]["accept"] == "application/json"
    assert "(vpc; python/" in put["headers"]["user-agent"]
    assert put["json"] == {"expires_in": 300}
    assert (post["endpoint"], post["method"], post["path"], post["query"]) == (
        "vpc-iam-token", "POST", "/instance_identity/v1/iam_token", "version=2022-03-01")
    assert post["headers"]["authorization"].startswith("Bearer ey")
    assert post["json"] is None  # the instance's default profile


@pytest.mark.parametrize(
    "options, body",
    [
        ({"iam_profile_crn": "crn:v1:bluemix:public:iam-identity::a/1::profile:P-1"},
         {"trusted_profile": {"crn": "crn:v1:bluemix:public:iam-identity::a/1::profile:P-1"}}),
        ({"iam_profile_id": "Profile-1"}, {"trusted_profile": {"id": "Profile-1"}}),
    ],
    ids=["crn", "id"],
)
def test_the_profile(emulator, vpc, options, body):
    vpc(**options).token()
    [post] = emulator.requests("vpc-iam-token")
    assert post["json"] == body


def test_positional_arguments_as_ibm(emulator, vpc):
    auth = vpc(None, "Profile-2", emulator.http + "/")
    auth.token()
    assert emulator.requests("vpc-iam-token")[0]["json"] == {"trusted_profile": {"id": "Profile-2"}}


@pytest.mark.parametrize("version", ["2025-08-26", "2026-03-01"])
def test_new_api_versions_use_the_identity_paths(emulator, vpc, version):
    vpc(vpc_ims_version=version).token()
    put, post = emulator.requests(STEPS)
    assert put["path"] == "/identity/v1/token"
    assert post["path"] == "/identity/v1/iam_tokens"
    assert post["query"] == f"version={version}"


def test_https_with_the_test_ca(emulator, vpc):
    with pytest.raises(iamcore.TLSError):
        vpc(url=emulator.https, max_retries=0).token()
    assert vpc(url=emulator.https, ca_file=emulator.ca_file).token()
    assert emulator.requests("vpc-iam-token")[0]["scheme"] == "https"


def test_token_is_cached_and_dated_by_the_response(emulator, vpc):
    emulator.token_settings(lifetime=1800, jwt=False, expires_in=False)
    auth = vpc()
    first = auth.token()
    assert first.startswith("opaque-")  # dated by expires_at alone
    assert auth.token() == first
    assert emulator.count("vpc-iam-token") == 1


def test_step_one_error(emulator, vpc):
    emulator.enqueue({"endpoint": "vpc-token", "status": 403,
                      "error": {"code": "forbidden", "message": "identity tokens are off"}})
    with pytest.raises(iamcore.AuthenticationError) as info:
        vpc().token()
    e = info.value
    assert e.status == 403
    assert e.error_code == "forbidden"
    assert e.error_message == "identity tokens are off"
    assert len(e.request_id) == 36  # the trace
    assert str(e).startswith("VPC instance identity token request failed")
    assert emulator.count("vpc-iam-token") == 0


def test_step_two_error(emulator, vpc):
    emulator.enqueue({"endpoint": "vpc-iam-token", "status": 400,
                      "error": {"code": "invalid_value", "message": "not linked",
                                "target": {"name": "trusted_profile", "type": "field"}}})
    with pytest.raises(iamcore.AuthenticationError) as info:
        vpc(iam_profile_id="Profile-9").token()
    e = info.value
    assert (e.status, e.error_code, e.error_message) == (400, "invalid_value", "not linked")
    assert e.error_details == '{"name":"trusted_profile","type":"field"}'
    assert str(e).startswith("VPC IAM token request failed")


def test_malformed_answers(emulator, vpc):
    emulator.enqueue({"endpoint": "vpc-token", "body": "{not json"},
                     {"endpoint": "vpc-iam-token", "json": {"expires_in": 3600}})
    auth = vpc()
    with pytest.raises(iamcore.ParseError):
        auth.token()
    with pytest.raises(iamcore.ParseError) as info:
        auth.token()
    assert "access_token" in str(info.value)
    assert auth.token()


def test_unreachable_metadata_service(vpc):
    with pytest.raises(iamcore.TransportError) as info:
        vpc(url="http://127.0.0.1:1", max_retries=0).token()
    assert "127.0.0.1:1" in str(info.value)


def test_a_hanging_metadata_service_times_out(emulator, vpc):
    emulator.enqueue({"endpoint": "vpc-token", "hang": True})
    with pytest.raises(iamcore.TimeoutError):
        vpc(timeout=0.5).token()


def test_the_identity_token_never_shows(emulator, vpc, assert_secret_free):
    emulator.enqueue(
        {"endpoint": "vpc-token", "json": {"access_token": "identity-secret-4242", "expires_in": 300}},
        {"endpoint": "vpc-iam-token", "status": 401,
         "error": {"code": "not_authorized", "message": "identity-secret-4242 is unknown"}})
    auth = vpc()
    with pytest.raises(iamcore.AuthenticationError) as info:
        auth.token()
    e = info.value
    for text in (str(e), repr(e), e.error_message, repr(auth)):
        assert_secret_free(text, "identity-secret-4242", where="the error")
    assert emulator.requests("vpc-iam-token")[0]["headers"]["authorization"] == (
        "Bearer identity-secret-4242")


def test_concurrent_callers_share_one_request_per_step(emulator, vpc):
    emulator.token_settings(delay_ms=300)
    auth = vpc(iam_profile_crn="crn:v1:x")
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
    assert emulator.count("vpc-token") == 1
    assert emulator.count("vpc-iam-token") == 1


@pytest.mark.parametrize(
    "options, needle",
    [
        ({"iam_profile_crn": "crn:v1:x", "iam_profile_id": "p"}, "not both"),
        ({"vpc_ims_version": "2022-02-28"}, "vpc_ims_version"),
        ({"vpc_ims_version": "26-08-2025"}, "vpc_ims_version"),
        ({"headers": {"Authorization": "Bearer x"}}, "Authorization"),
        ({"url": "ftp://169.254.169.254"}, "url"),
    ],
)
def test_configuration_errors(options, needle):
    with pytest.raises(iamcore.ConfigError) as info:
        iamcore.VPCInstanceAuthenticator(**options)
    assert needle in str(info.value)


def test_repr_and_type(vpc, emulator):
    auth = iamcore.VPCInstanceAuthenticator(iam_profile_id="P-1", vpc_ims_version="2025-08-26")
    assert auth.authentication_type() == "vpc"
    assert repr(auth) == ("VPCInstanceAuthenticator(url='http://169.254.169.254', "
                          "iam_profile_id='P-1', vpc_ims_version='2025-08-26')")
    assert repr(vpc()) == (f"VPCInstanceAuthenticator(url={emulator.http!r}, "
                           "vpc_ims_version='2022-03-01')")
