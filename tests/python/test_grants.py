"""What the token service receives: method, path, headers and form body of each grant."""

import base64
import json
import platform

import pytest

import iamcore

GRANT_APIKEY = "urn:ibm:params:oauth:grant-type:apikey"
GRANT_CR = "urn:ibm:params:oauth:grant-type:cr-token"


def jwt_payload(token):
    parts = token.split(".")
    assert len(parts) == 3
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def only_request(emulator):
    requests = emulator.requests()
    assert len(requests) == 1
    return requests[0]


def test_apikey_grant_request(emulator, iam):
    token = iam("my-api-key").token()

    r = only_request(emulator)
    assert r["method"] == "POST"
    assert r["path"] == "/identity/token"
    assert r["query"] == ""
    assert r["form"] == {
        "grant_type": GRANT_APIKEY,
        "apikey": "my-api-key",
        "response_type": "cloud_iam",
    }
    h = r["headers"]
    assert h["content-type"] == "application/x-www-form-urlencoded"
    assert h["accept"] == "application/json"
    assert h["user-agent"].startswith("iamcore/")
    assert "python/" + platform.python_version() in h["user-agent"]
    assert "authorization" not in h
    # The token is the emulator's JWT for this grant.
    assert jwt_payload(token)["grant_type"] == GRANT_APIKEY


def test_apikey_grant_with_scope(emulator, iam):
    iam("my-api-key", scope="ibm openid custom").token()
    form = only_request(emulator)["form"]
    assert form["scope"] == "ibm openid custom"
    assert form["response_type"] == "cloud_iam"


def test_form_values_are_urlencoded(emulator, iam):
    key = "k+e/y=&x%20 ü"
    iam(key).token()
    r = only_request(emulator)
    assert r["form"]["apikey"] == key
    assert set(r["form"]) == {"grant_type", "apikey", "response_type"}


def test_basic_auth_with_client_id_and_secret(emulator, iam):
    iam(client_id="bx", client_secret="bx-secret:with-colon").token()
    auth = only_request(emulator)["headers"]["authorization"]
    scheme, _, value = auth.partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value, validate=True) == b"bx:bx-secret:with-colon"


def test_extra_headers_are_sent(emulator, iam):
    iam(headers={"X-Custom": "value 1", "X-Correlation-Id": "abc-123"}).token()
    h = only_request(emulator)["headers"]
    assert h["x-custom"] == "value 1"
    assert h["x-correlation-id"] == "abc-123"
    # the standard headers are still there
    assert h["content-type"] == "application/x-www-form-urlencoded"
    assert h["accept"] == "application/json"


@pytest.mark.parametrize("suffix", ["", "/", "/identity/token"])
def test_url_forms(emulator, iam, suffix):
    iam(url=emulator.http + suffix).token()
    assert only_request(emulator)["path"] == "/identity/token"


def test_container_grant_request(emulator, container, cr_token_file):
    path = cr_token_file("the-cr-token\n")
    token = container(
        cr_token_filename=path,
        iam_profile_name="my-profile",
        iam_profile_id="iam-Profile-123",
        iam_profile_crn="crn:v1:bluemix:public:iam-identity::a/123::profile:Profile-123",
    ).token()

    r = only_request(emulator)
    assert r["path"] == "/identity/token"
    assert r["form"] == {
        "grant_type": GRANT_CR,
        "cr_token": "the-cr-token",
        "profile_name": "my-profile",
        "profile_id": "iam-Profile-123",
        "profile_crn": "crn:v1:bluemix:public:iam-identity::a/123::profile:Profile-123",
    }
    h = r["headers"]
    assert h["content-type"] == "application/x-www-form-urlencoded"
    assert h["accept"] == "application/json"
    assert h["user-agent"].startswith("iamcore/")
    assert "authorization" not in h
    assert jwt_payload(token)["grant_type"] == GRANT_CR


@pytest.mark.parametrize(
    "content, sent",
    [
        ("tok-no-newline", "tok-no-newline"),
        ("tok-one-newline\n", "tok-one-newline"),
        ("tok-two-newlines\n\n", "tok-two-newlines\n"),
    ],
)
def test_container_strips_one_trailing_newline(emulator, container, cr_token_file, content, sent):
    container(cr_token_filename=cr_token_file(content)).token()
    assert only_request(emulator)["form"]["cr_token"] == sent


def test_container_single_profile_field_and_scope(emulator, container):
    container(iam_profile_id="iam-Profile-9", scope="ibm").token()
    form = only_request(emulator)["form"]
    assert form["profile_id"] == "iam-Profile-9"
    assert "profile_name" not in form
    assert "profile_crn" not in form
    assert form["scope"] == "ibm"
    assert "response_type" not in form


def test_container_basic_auth_and_headers(emulator, container):
    container(client_id="cid", client_secret="csecret", headers={"X-Extra": "1"}).token()
    h = only_request(emulator)["headers"]
    assert h["authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert h["x-extra"] == "1"


def test_container_rereads_token_file_at_each_fetch(emulator, container, cr_token_file):
    path = cr_token_file("first-cr-token\n")
    auth = container(cr_token_filename=path)
    auth.token()
    with open(path, "w") as f:
        f.write("second-cr-token\n")
    auth.invalidate()
    auth.token()
    sent = [r["form"]["cr_token"] for r in emulator.requests()]
    assert sent == ["first-cr-token", "second-cr-token"]


def test_https_grant_with_ca_file(emulator, iam):
    iam(url=emulator.https, ca_file=emulator.ca_file).token()
    r = only_request(emulator)
    assert r["scheme"] == "https"
    assert r["form"]["grant_type"] == GRANT_APIKEY


def test_constructor_sends_nothing(emulator, iam, container):
    iam()
    container()
    assert emulator.count() == 0


def test_authentication_type(iam, container):
    assert iam().authentication_type() == "iam"
    assert container().authentication_type() == "container"
    assert isinstance(iam(), iamcore.IAMAuthenticator)


def test_explicit_proxy_is_used(emulator, iam):
    # The emulator also answers absolute-form requests, so it can play the proxy:
    # the request for an unresolvable host must arrive there, unchanged.
    iam(url="http://iam.invalid.example", proxy=emulator.http).token()
    r = only_request(emulator)
    assert r["path"] == "/identity/token"
    assert r["headers"]["host"] == "iam.invalid.example"
    assert r["form"]["grant_type"] == GRANT_APIKEY
