"""Tests of the emulator's AWS credential endpoints (README.md, "AWS endpoints").

Secrets the emulator issues (secret access keys, session tokens) are never put into an
assertion's message: checks on them go through booleans.
"""
from __future__ import annotations

import base64
import calendar
import http.client
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import iam_emulator  # noqa: E402
from test_emulator import call, verbose_emulator, token_request  # noqa: E402

NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
ROLE_ARN = "arn:aws:iam::111122223333:role/app/my-role"
FORM = "application/x-www-form-urlencoded"
TTL = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN = "x-aws-ec2-metadata-token"
CREDS = "/latest/meta-data/iam/security-credentials/"
SECRETS: list[str] = []  # every secret seen; none may appear in the emulator's log


@pytest.fixture(scope="module")
def emu():
    """One emulator with --verbose for the module; its log must hold no secret."""
    yield from verbose_emulator(SECRETS, ["POST / ", "/latest/api/token"])


@pytest.fixture(autouse=True)
def fresh(emu):
    control(emu, "reset")


def control(emu, name, value=None, method=None, expect=200):
    data = None if value is None else json.dumps(value)
    method = method or ("POST" if value is not None or name == "reset" else "GET")
    status, _, body = call(emu["http"], "/_emulator/" + name, data, method=method)
    assert status == expect, body
    return json.loads(body)


def sts(emu, scheme="http", drop=(), **fields):
    form = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
            "RoleArn": ROLE_ARN, "RoleSessionName": "sess-1", "WebIdentityToken": jwt("ns:sa"),
            **fields}
    for name in drop:
        del form[name]
    kw = {"cafile": emu["ca_file"]} if scheme == "https" else {}
    return call(emu[scheme], "/", urllib.parse.urlencode(form), headers={"Content-Type": FORM},
                **kw)


def jwt(sub):
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256'})}.{part({'sub': sub, 'aud': 'sts.amazonaws.com'})}.c2ln"


def xml_of(body):
    return ET.fromstring(body)


def sts_error(body):
    root = xml_of(body)
    assert root.tag == "{%s}ErrorResponse" % NS["sts"]
    assert root.findtext("sts:RequestId", namespaces=NS)
    return (root.findtext("sts:Error/sts:Type", namespaces=NS),
            root.findtext("sts:Error/sts:Code", namespaces=NS))


def imds_token(emu, ttl="21600"):
    headers = {} if ttl is None else {TTL: ttl}
    status, headers, body = call(emu["http"], "/latest/api/token", b"", method="PUT",
                                 headers=headers)
    return status, headers, body.decode()


def imds_get(emu, path, token=None):
    status, headers, body = call(emu["http"], path, headers={TOKEN: token} if token else {})
    return status, headers, body.decode()


def container(emu, path="/container-credentials/task-1", auth=None):
    status, headers, body = call(emu["http"], path,
                                 headers={"Authorization": auth} if auth else {})
    return status, headers, json.loads(body) if body else None


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def check_credentials(akid, secret, token, expiration, lifetime=3600):
    """Shape checks; secrets only feed booleans."""
    SECRETS.extend([secret, token])
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", akid), akid
    secret_ok = len(secret) == 40 and re.fullmatch(r"[A-Za-z0-9+/]+", secret) is not None
    token_ok = all(c in token for c in "+/=") and base64.b64decode(token, validate=True) != b""
    assert secret_ok, "SecretAccessKey is not 40 base64 characters"
    assert token_ok, "session token is not standard base64 with + / ="
    assert abs(epoch(expiration) - (time.time() + lifetime)) < 5, expiration


# --- STS ------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_sts_success(emu, scheme):
    status, headers, body = sts(emu, scheme)
    assert status == 200 and headers["Content-Type"] == "text/xml"
    root = xml_of(body)
    assert root.tag == "{%s}AssumeRoleWithWebIdentityResponse" % NS["sts"]
    result = root.find("sts:AssumeRoleWithWebIdentityResult", NS)
    get = lambda path: result.findtext(path, namespaces=NS)
    check_credentials(get("sts:Credentials/sts:AccessKeyId"),
                      get("sts:Credentials/sts:SecretAccessKey"),
                      get("sts:Credentials/sts:SessionToken"),
                      get("sts:Credentials/sts:Expiration"))
    assert get("sts:SubjectFromWebIdentityToken") == "ns:sa"
    assert get("sts:AssumedRoleUser/sts:Arn") == \
        "arn:aws:sts::111122223333:assumed-role/my-role/sess-1"
    assert re.fullmatch(r"AROA[0-9A-F]{17}:sess-1", get("sts:AssumedRoleUser/sts:AssumedRoleId"))
    request_id = root.findtext("sts:ResponseMetadata/sts:RequestId", namespaces=NS)
    assert request_id and headers["x-amzn-RequestId"] == request_id
    # Unsigned: no Authorization header was sent, and every answer has its own key.
    recorded = control(emu, "requests")["requests"][0]
    assert "authorization" not in recorded["headers"] and recorded["endpoint"] == "sts"
    again = xml_of(sts(emu, scheme)[2])
    key = "sts:AssumeRoleWithWebIdentityResult/sts:Credentials/sts:AccessKeyId"
    assert again.findtext(key, namespaces=NS) != get("sts:Credentials/sts:AccessKeyId")


def test_sts_errors(emu):
    cases = [
        ({"drop": ["WebIdentityToken"]}, "MissingParameter"),
        ({"drop": ["Action"]}, "MissingParameter"),
        ({"RoleSessionName": ""}, "MissingParameter"),
        ({"Action": "GetCallerIdentity"}, "InvalidAction"),
        ({"Version": "2010-01-01"}, "InvalidAction"),
        ({"RoleArn": "not-an-arn"}, "InvalidParameterValue"),
        ({"RoleSessionName": "bad name"}, "InvalidParameterValue"),
        ({"DurationSeconds": "60"}, "InvalidParameterValue"),
        ({"WebIdentityToken": "bad-token"}, "InvalidIdentityToken"),
    ]
    for kw, code in cases:
        status, headers, body = sts(emu, **kw)
        assert status == 400 and headers["Content-Type"] == "text/xml", kw
        assert sts_error(body) == ("Sender", code), kw
    assert sts(emu, DurationSeconds="900")[0] == 200
    status, _, body = call(emu["http"], "/", json.dumps({"Action": "x"}),
                           headers={"Content-Type": "application/json"})
    assert status == 400 and sts_error(body)[1] == "InvalidParameterValue"
    status, _, body = call(emu["http"], "/")  # GET
    assert status == 405 and sts_error(body)[0] == "Sender"
    assert control(emu, "requests?endpoint=sts")["count"] == len(cases) + 3


# --- container ------------------------------------------------------------------------------
def test_container(emu):
    status, headers, answer = container(emu)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert set(answer) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    check_credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["Token"],
                      answer["Expiration"])
    assert answer["RoleArn"] == "arn:aws:iam::123456789012:role/iamcore-test-role"
    assert container(emu, "/container-credentials/v2/other?x=1")[0] == 200
    assert call(emu["http"], "/container-credentials/task-1", b"", method="POST")[0] == 405


def test_container_auth_token(emu):
    control(emu, "aws-settings", {"container_auth_token": "Bearer s3cret"})
    for auth in (None, "Bearer wrong", "bearer s3cret"):
        status, _, answer = container(emu, auth=auth)
        assert status == 401 and answer["code"] == "AccessDenied" and answer["message"], auth
    status, _, answer = container(emu, auth="Bearer s3cret")
    assert status == 200 and answer["AccessKeyId"].startswith("ASIA")
    SECRETS.append(answer["SecretAccessKey"])
    recorded = control(emu, "requests?endpoint=container")
    assert recorded["count"] == 4
    assert [r["headers"].get("authorization") for r in recorded["requests"]] == \
        [None, "Bearer wrong", "bearer s3cret", "Bearer s3cret"]


# --- IMDS -----------------------------------------------------------------------------------
def test_imds_v2_flow(emu):
    status, headers, token = imds_token(emu)
    assert status == 200 and headers[TTL] == "21600" and token
    assert imds_token(emu, "60")[2] != token  # distinct per call
    status, headers, role = imds_get(emu, CREDS, token)
    assert (status, role) == (200, "iamcore-test-role")
    assert imds_get(emu, CREDS.rstrip("/"), token)[:3:2] == (200, "iamcore-test-role")
    status, headers, body = imds_get(emu, CREDS + role, token)
    answer = json.loads(body)
    assert status == 200 and headers["Content-Type"] == "text/plain"  # as the real IMDS
    assert set(answer) == {"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey",
                           "Token", "Expiration"}
    assert answer["Code"] == "Success" and answer["Type"] == "AWS-HMAC"
    assert abs(epoch(answer["LastUpdated"]) - time.time()) < 5
    check_credentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["Token"],
                      answer["Expiration"])
    assert imds_get(emu, CREDS + "other-role", token)[0] == 404
    assert imds_get(emu, "/latest/meta-data/ami-id", token)[0] == 404
    counts = {name: control(emu, "requests?endpoint=" + name)["count"]
              for name in ("imds-token", "imds-role", "imds-credentials", "imds")}
    assert counts == {"imds-token": 2, "imds-role": 2, "imds-credentials": 2, "imds": 1}


def test_imds_token_required(emu):
    _, _, token = imds_token(emu, "1")
    for path in (CREDS, CREDS + "iamcore-test-role", "/latest/meta-data/ami-id"):
        assert imds_get(emu, path)[0] == 401, path
        assert imds_get(emu, path, "not-issued")[0] == 401, path
    assert imds_get(emu, CREDS, token)[0] == 200
    time.sleep(1.05)
    assert imds_get(emu, CREDS, token)[0] == 401  # expired
    control(emu, "reset")  # forgets the tokens issued before
    _, _, token = imds_token(emu)
    control(emu, "reset")
    assert imds_get(emu, CREDS, token)[0] == 401


def test_imds_token_ttl_checked(emu):
    for ttl in (None, "0", "21601", "abc", "-5"):
        assert imds_token(emu, ttl)[0] == 400, ttl
    assert imds_token(emu, "1")[0] == 200
    assert call(emu["http"], "/latest/api/token")[0] == 405  # GET
    assert imds_get(emu, CREDS, imds_token(emu)[2])[0] == 200  # the 400s issued no token


def test_imds_v1_allowed(emu):
    assert control(emu, "aws-settings", {"imds_v1_allowed": True})["imds_v1_allowed"] is True
    assert imds_get(emu, CREDS)[:3:2] == (200, "iamcore-test-role")
    status, _, body = imds_get(emu, CREDS + "iamcore-test-role")
    assert status == 200 and json.loads(body)["Code"] == "Success"
    SECRETS.append(json.loads(body)["SecretAccessKey"])
    # A token that is sent must still be valid.
    assert imds_get(emu, CREDS, "not-issued")[0] == 401


@pytest.mark.parametrize("refused", [403, 404, 405])
def test_imds_token_refused(emu, refused):
    control(emu, "aws-settings", {"imds_token_status": refused})
    status, _, body = imds_token(emu)
    assert (status, body) == (refused, "")
    assert imds_get(emu, CREDS)[0] == 401  # without IMDSv1 there is no way in
    control(emu, "aws-settings", {"imds_v1_allowed": True})
    assert imds_get(emu, CREDS)[0] == 200  # the v1 fallback


# --- settings, queue, recording ---------------------------------------------------------------
def test_aws_settings(emu):
    defaults = control(emu, "aws-settings")
    assert defaults == {"credential_lifetime": 3600, "access_key_id": None,
                        "container_auth_token": None, "imds_role": "iamcore-test-role",
                        "imds_v1_allowed": False, "imds_token_status": 200, "delay_ms": 0}
    control(emu, "aws-settings", {"credential_lifetime": 120, "access_key_id": "AKIAFIXED",
                                  "imds_role": "web", "delay_ms": 150})
    start = time.monotonic()
    answer = container(emu)[2]
    assert time.monotonic() - start >= 0.15
    assert answer["AccessKeyId"] == "AKIAFIXED" and answer["RoleArn"].endswith(":role/web")
    assert abs(epoch(answer["Expiration"]) - (time.time() + 120)) < 5
    SECRETS.append(answer["SecretAccessKey"])
    start = time.monotonic()
    assert token_request(emu)[0] == 200  # the AWS delay does not slow IAM down
    assert time.monotonic() - start < 0.15
    control(emu, "aws-settings", {"delay_ms": 0})
    token = imds_token(emu)[2]
    assert imds_get(emu, CREDS, token)[2] == "web"
    assert json.loads(imds_get(emu, CREDS + "web", token)[2])["AccessKeyId"] == "AKIAFIXED"
    assert imds_get(emu, CREDS + "iamcore-test-role", token)[0] == 404
    for bad in ({"credential_lifetme": 1}, {"imds_v1_allowed": "yes"}, {"imds_token_status": 42},
                {"imds_role": "a/b"}, {"access_key_id": 5}, {"delay_ms": -1},
                {"credential_lifetime": 1.5}):
        assert "error" in control(emu, "aws-settings", bad, expect=400), bad
    assert control(emu, "aws-settings")["credential_lifetime"] == 120  # unchanged
    control(emu, "reset")
    assert control(emu, "aws-settings") == defaults


def test_queue_routing(emu):
    queued = control(emu, "enqueue", {"responses": [
        {"endpoint": "imds-credentials", "status": 500},
        {"status": 503},  # IAM, the default endpoint
        {"endpoint": "sts", "error": {"Code": "IDPCommunicationError", "Message": "try again"}},
        {"endpoint": "container", "status": 500, "json": {"code": "Down", "message": "x"}},
        {"endpoint": "imds-token", "status": 404},
    ]})
    assert queued == {"queued": 5}
    assert container(emu)[:3:2] == (500, {"code": "Down", "message": "x"})
    assert token_request(emu)[0] == 503
    status, _, body = sts(emu)
    assert status == 400 and sts_error(body) == ("Sender", "IDPCommunicationError")
    assert xml_of(body).findtext("sts:Error/sts:Message", namespaces=NS) == "try again"
    assert imds_token(emu)[:3:2] == (404, "")
    token = imds_token(emu)[2]
    assert imds_get(emu, CREDS, token)[0] == 200  # imds-role: nothing queued for it
    assert imds_get(emu, CREDS + "iamcore-test-role", token)[0] == 500
    assert imds_get(emu, CREDS + "iamcore-test-role", token)[0] == 200
    # Only the endpoint's own method takes a queued answer; the IAM queue is unchanged.
    control(emu, "enqueue", {"responses": [{"endpoint": "sts", "status": 500}, {"status": 429}]})
    assert call(emu["http"], "/")[0] == 405  # a GET to STS leaves the queue alone
    assert token_request(emu)[0] == 429  # IAM skips the STS entry in front of it
    assert sts(emu)[0] == 500
    status, _, body = call(emu["http"], "/_emulator/enqueue",
                           '{"responses": [{"endpoint": "imds"}]}')
    assert status == 400 and "endpoint" in json.loads(body)["error"]


def test_queue_kinds(emu):
    control(emu, "enqueue", {"responses": [
        {"endpoint": "sts", "token": True},
        {"endpoint": "container", "status": 429, "headers": {"Retry-After": "1"}},
        {"endpoint": "container", "error": {"code": "Throttled", "message": "slow down"}},
        {"endpoint": "imds-role", "body": "role-a\nrole-b"},
        {"endpoint": "imds-credentials", "status": 200,
         "error": {"Code": "AssumeRoleUnauthorizedAccess", "Message": "no"}},
        {"endpoint": "imds-credentials", "token": True},
        {"endpoint": "imds-token", "truncate": True},
        {"endpoint": "sts", "delay_ms": 200},
        {"endpoint": "container", "hang": True},
    ]})
    # A queued answer replaces the checks: an empty STS form and a token-less IMDS GET.
    status, _, body = call(emu["http"], "/", b"", method="POST")
    assert status == 200
    assert xml_of(body).find("sts:AssumeRoleWithWebIdentityResult", NS) is not None
    status, headers, body = container(emu)
    assert (status, headers["Retry-After"], body) == (429, "1", None)
    assert container(emu)[:3:2] == (400, {"code": "Throttled", "message": "slow down"})
    assert imds_get(emu, CREDS)[:3:2] == (200, "role-a\nrole-b")
    status, _, body = imds_get(emu, CREDS + "anything")
    assert status == 200 and json.loads(body)["Code"] == "AssumeRoleUnauthorizedAccess"
    status, _, body = imds_get(emu, CREDS + "anything")
    assert status == 200 and json.loads(body)["Code"] == "Success"
    with pytest.raises(http.client.IncompleteRead):
        imds_token(emu)
    start = time.monotonic()
    assert sts(emu)[0] == 200 and time.monotonic() - start >= 0.2
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        call(emu["http"], "/container-credentials/task-1", timeout=0.3)
    assert container(emu)[0] == 200  # the hang blocks nobody else
    assert control(emu, "requests")["count"] == 10


def test_recording_and_filter(emu):
    token_request(emu)
    sts(emu)
    container(emu)
    token = imds_token(emu)[2]
    imds_get(emu, CREDS, token)
    imds_get(emu, CREDS + "iamcore-test-role", token)
    control(emu, "aws-settings", {"delay_ms": 0})  # control requests are not recorded
    everything = control(emu, "requests")
    assert everything["count"] == 6
    assert [r["endpoint"] for r in everything["requests"]] == \
        ["iam", "sts", "container", "imds-token", "imds-role", "imds-credentials"]
    only = control(emu, "requests?endpoint=sts")
    assert only["count"] == 1 and only["requests"][0]["form"]["RoleSessionName"] == "sess-1"
    assert only["requests"][0]["path"] == "/" and only["requests"][0]["scheme"] == "http"
    assert control(emu, "requests?endpoint=iam")["requests"][0]["path"] == "/identity/token"
    imds = control(emu, "requests?endpoint=imds-token,imds-credentials&endpoint=container")
    assert [r["endpoint"] for r in imds["requests"]] == \
        ["container", "imds-token", "imds-credentials"]
    assert imds["requests"][1]["method"] == "PUT" and imds["requests"][1]["headers"][TTL] == "21600"
    assert "bogus" in control(emu, "requests?endpoint=bogus", expect=400)["error"]


def test_in_process_shortcuts():
    with iam_emulator.Emulator() as emu:
        info = {"http": emu.http_url, "https": emu.https_url, "ca_file": emu.ca_file}
        assert emu.aws_settings(access_key_id="AKIAINPROC")["access_key_id"] == "AKIAINPROC"
        emu.enqueue({"endpoint": "sts", "status": 500})
        assert sts(info, "https")[0] == 500
        assert container(info)[2]["AccessKeyId"] == "AKIAINPROC"
        assert [r["endpoint"] for r in emu.requests()] == ["sts", "container"]
        assert len(emu.requests("container")) == 1
        assert len(emu.requests(["sts", "container"])) == 2
        emu.reset()
        assert emu.state.aws.get_settings()["access_key_id"] is None
