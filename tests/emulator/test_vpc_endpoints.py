"""Tests of the emulator's IBM VPC instance metadata endpoints (README.md, "IBM VPC instance
metadata").

Tokens the emulator issues are never put into an assertion's message: checks on them go
through booleans or their decoded claims.
"""
from __future__ import annotations

import calendar
import http.client
import json
import os
import re
import socket
import sys
import time
import urllib.error

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import iam_emulator  # noqa: E402
from test_emulator import call, verbose_emulator, claims, token_request  # noqa: E402

OLD, NEW = "2022-03-01", "2025-08-26"
PATHS = {OLD: ("/instance_identity/v1/token", "/instance_identity/v1/iam_token"),
         NEW: ("/identity/v1/token", "/identity/v1/iam_tokens")}
HEADERS = {"Metadata-Flavor": "ibm", "Content-Type": "application/json",
           "Accept": "application/json"}
CR_GRANT = "urn:ibm:params:oauth:grant-type:cr-token"
SECRETS: list[str] = []  # every token seen; none may appear in the emulator's log


@pytest.fixture(scope="module")
def emu():
    """One emulator with --verbose for the module; its log must hold no token."""
    yield from verbose_emulator(SECRETS, ["/identity/v1/token"])


@pytest.fixture(autouse=True)
def fresh(emu):
    control(emu, "reset")


def control(emu, name, value=None, method=None, expect=200):
    data = None if value is None else json.dumps(value)
    method = method or ("POST" if value is not None or name == "reset" else "GET")
    status, _, body = call(emu["http"], "/_emulator/" + name, data, method=method)
    assert status == expect, body
    return json.loads(body)


def vpc(emu, path, body=None, *, method, headers=None, scheme="http", version=OLD, **kw):
    """One VPC request; return (status, headers, parsed JSON body or None)."""
    query = "" if version is None else "?version=" + version
    if scheme == "https":
        kw["cafile"] = emu["ca_file"]
    data = body if body is None or isinstance(body, str) else json.dumps(body)
    status, answer_headers, raw = call(emu[scheme], path + query,
                                       data.encode() if data is not None else b"",
                                       method=method, headers=headers or {}, **kw)
    return status, answer_headers, json.loads(raw) if raw else None


def identity_token(emu, version=OLD, body=None, headers=HEADERS, paths=None, **kw):
    """Step 1 on the paths of `paths` (default: those of `version`, else the old ones)."""
    body = {"expires_in": 300} if body is None else body
    path = PATHS[paths or (version if version in PATHS else OLD)][0]
    return vpc(emu, path, body, method="PUT", headers=headers, version=version, **kw)


def iam_token(emu, token, version=OLD, body=None, headers=None, paths=None, **kw):
    """Step 2 with `token` (None: no Authorization header); paths as for identity_token."""
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Metadata-Flavor": "ibm", **({"Authorization": f"Bearer {token}"} if token else {}),
               **(headers or {})}
    path = PATHS[paths or (version if version in PATHS else OLD)][1]
    return vpc(emu, path, body, method="POST", headers=headers, version=version, **kw)


def new_token(emu, version=OLD):
    status, _, answer = identity_token(emu, version)
    assert status == 200
    SECRETS.append(answer["access_token"])
    return answer["access_token"]


def epoch(text):
    """RFC 3339 UTC with or without milliseconds -> epoch seconds (float)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{3})?Z", text)
    assert match, text
    return calendar.timegm(time.strptime(match[1], "%Y-%m-%dT%H:%M:%S")) + float(match[2] or 0)


def error_of(answer):
    """(code, target name) of a VPC error body, after checking its shape."""
    assert set(answer) == {"errors", "status_code", "trace"} and answer["trace"]
    assert len(answer["errors"]) == 1 and answer["errors"][0]["message"]
    e = answer["errors"][0]
    return e["code"], e.get("target", {}).get("name")


# --- success paths ----------------------------------------------------------------------------
@pytest.mark.parametrize("version", [OLD, NEW])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_flow(emu, version, scheme):
    status, headers, answer = identity_token(emu, version, {"expires_in": 60}, scheme=scheme)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert set(answer) == {"access_token", "created_at", "expires_at", "expires_in"}
    token = answer["access_token"]
    SECRETS.append(token)
    assert answer["expires_in"] == 60 and token.count(".") == 2
    assert re.fullmatch(r".*\.\d{3}Z", answer["created_at"])  # with milliseconds
    assert abs(epoch(answer["created_at"]) - time.time()) < 5
    assert epoch(answer["expires_at"]) - epoch(answer["created_at"]) == 60
    assert claims(token)["exp"] - claims(token)["iat"] == 60
    again = identity_token(emu, version, scheme=scheme)[2]["access_token"]
    SECRETS.append(again)
    assert again != token  # distinct every time
    for body, sub in ((None, "profile-vpc-default"), ({}, "profile-vpc-default"),
                      ({"trusted_profile": {"id": "Profile-1"}}, "profile-Profile-1"),
                      ({"trusted_profile": {"crn": "crn:v1:p"}}, "profile-crn:v1:p")):
        status, headers, answer = iam_token(emu, token, version, body, scheme=scheme)
        assert status == 200 and headers["Content-Type"] == "application/json", body
        assert set(answer) == {"access_token", "created_at", "expires_at", "expires_in"}
        c = claims(answer["access_token"])
        SECRETS.append(answer["access_token"])
        assert c["sub"] == sub and c["grant_type"] == CR_GRANT and c["iss"] == "iamcore-emulator"
        assert answer["expires_in"] == 3600 == c["exp"] - c["iat"]
        assert re.fullmatch(r".*:\d\dZ", answer["created_at"])  # whole seconds
        assert (epoch(answer["created_at"]), epoch(answer["expires_at"])) == (c["iat"], c["exp"])
    # The identity token is reusable until it expires.
    assert iam_token(emu, token, version)[0] == 200


def test_iam_token_follows_token_settings(emu):
    token = new_token(emu)
    control(emu, "token-settings", {"lifetime": 120, "iat_offset": -100, "delay_ms": 200})
    start = time.monotonic()
    answer = iam_token(emu, token)[2]
    assert time.monotonic() - start >= 0.2  # delay_ms: the IAM token step
    c = claims(answer["access_token"])
    assert answer["expires_in"] == 120 and c["exp"] - c["iat"] == 120
    assert abs(c["iat"] - (time.time() - 100)) < 5 and epoch(answer["created_at"]) == c["iat"]
    start = time.monotonic()
    assert identity_token(emu)[0] == 200
    assert time.monotonic() - start < 0.2  # ... but not the identity token step
    control(emu, "token-settings", {"delay_ms": 0, "jwt": False, "expires_in": False,
                                    "expiration": False})
    answer = iam_token(emu, token)[2]
    assert set(answer) == {"access_token", "created_at"}
    assert answer["access_token"].startswith("opaque-")


def test_expires_in_default_and_bounds(emu):
    for body in ("", {}, {"other": 1}):  # no body, or no expires_in: 300 s
        status, _, answer = identity_token(emu, body=body)
        assert (status, answer["expires_in"]) == (200, 300), body
    for value in (5, 3600):
        assert identity_token(emu, body={"expires_in": value})[2]["expires_in"] == value
    for value in (4, 3601, 0, -1, "300", 1.5, True, None):
        status, _, answer = identity_token(emu, body={"expires_in": value})
        assert status == 400 and error_of(answer) == ("invalid_value", "expires_in"), value


# --- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [OLD, NEW])
def test_version_parameter(emu, version):
    token = new_token(emu, version)
    for step in (lambda v: identity_token(emu, v, paths=version),
                 lambda v: iam_token(emu, token, v, paths=version)):
        status, _, answer = step(None)  # no ?version=
        assert status == 400 and error_of(answer) == ("missing_version", "version")
        for bad in ("", "2022-3-1", "20220301", "2022-02-30", "latest", "2022-02-28"):
            status, _, answer = step(bad)
            expected = "missing_version" if bad == "" else "invalid_version"
            assert status == 400 and error_of(answer) == (expected, "version"), bad
    # The /identity/v1/ paths work with every version; /instance_identity/ ones not from NEW on.
    assert vpc(emu, PATHS[NEW][0], {}, method="PUT", headers=HEADERS, version=OLD)[0] == 200
    for later in (NEW, "2026-01-15"):
        status, _, answer = vpc(emu, PATHS[OLD][0], {}, method="PUT", headers=HEADERS,
                                version=later)
        assert status == 404 and error_of(answer)[0] == "not_found", later
        status, _, answer = iam_token(emu, token, later, paths=OLD)
        assert status == 404 and error_of(answer)[0] == "not_found", later
        assert iam_token(emu, token, later, paths=NEW)[0] == 200
    assert vpc(emu, PATHS[OLD][0], {}, method="PUT", headers=HEADERS, version="2025-08-25")[0] \
        == 200


def test_other_paths_are_404(emu):
    token = new_token(emu)
    auth = {"Authorization": f"Bearer {token}"}
    for path in ("/identity/v1/iam_token", "/instance_identity/v1/iam_tokens",
                 "/identity/v1/certificates", "/instance_identity/v1/certificates",
                 "/instance_identity/v1/", "/identity/v1/token/x"):
        status, _, answer = vpc(emu, path, {}, method="POST", headers={**HEADERS, **auth},
                                version=NEW)
        assert status == 404 and error_of(answer)[0] == "not_found", path
    assert control(emu, "requests?endpoint=vpc")["count"] == 6


def test_identity_token_errors(emu):
    for headers in ({}, {"Metadata-Flavor": "IBM"}, {"Metadata-Flavor": "Google"}):
        status, _, answer = identity_token(emu, headers={"Content-Type": "application/json",
                                                         **headers})
        assert status == 400, headers
        assert error_of(answer) == ("missing_metadata_flavor", "Metadata-Flavor"), headers
    for method in ("GET", "POST", "DELETE"):
        status, _, answer = vpc(emu, PATHS[NEW][0], {}, method=method, headers=HEADERS,
                                version=NEW)
        assert status == 405 and error_of(answer)[0] == "method_not_allowed", method
    for body in ("{not json", "[]", '"x"', "null"):
        status, _, answer = identity_token(emu, body=body)
        assert status == 400 and error_of(answer)[0] == "invalid_body", body
    # Checked in this order: method, version, Metadata-Flavor, body.
    status, _, answer = vpc(emu, PATHS[OLD][0], "{bad", method="POST", headers={}, version=None)
    assert status == 405
    status, _, answer = vpc(emu, PATHS[OLD][0], "{bad", method="PUT", headers={}, version=None)
    assert error_of(answer)[0] == "missing_version"
    status, _, answer = identity_token(emu, body="{bad", headers={})
    assert error_of(answer)[0] == "missing_metadata_flavor"
    assert control(emu, "requests?endpoint=vpc-token")["count"] == 3 + 3 + 4 + 3


def test_iam_token_errors(emu):
    token = new_token(emu, NEW)
    for case, auth in enumerate((None, "Bearer not-issued", f"Basic {token}", token, "Bearer")):
        headers = {} if auth is None else {"Authorization": auth}
        status, _, answer = vpc(emu, PATHS[NEW][1], {}, method="POST", headers=headers,
                                version=NEW)
        assert status == 401, f"Authorization case {case}"
        assert error_of(answer) == ("not_authorized", "Authorization")
    assert iam_token(emu, token, NEW, headers={"Authorization": f"bearer {token}"})[0] == 200
    # Metadata-Flavor is not needed for step 2 (IBM's examples leave it out).
    status, _, _ = vpc(emu, PATHS[NEW][1], None, method="POST",
                       headers={"Authorization": f"Bearer {token}"}, version=NEW)
    assert status == 200
    for body, target in (({"trusted_profile": {"id": "a", "crn": "b"}}, "trusted_profile"),
                         ({"trusted_profile": {}}, "trusted_profile"),
                         ({"trusted_profile": {"name": "my-profile"}}, "trusted_profile"),
                         ({"trusted_profile": "Profile-1"}, "trusted_profile"),
                         ({"trusted_profile": None}, "trusted_profile"),
                         ({"trusted_profile": {"id": ""}}, "trusted_profile.id"),
                         ({"trusted_profile": {"crn": 5}}, "trusted_profile.crn"),
                         ({"trustedProfile": {"id": "x"}}, "trustedProfile")):
        status, _, answer = iam_token(emu, token, NEW, body)
        assert status == 400 and error_of(answer) == ("invalid_value", target), body
    for body in ("{not json", "[]", "null"):
        status, _, answer = iam_token(emu, token, NEW, body)
        assert status == 400 and error_of(answer)[0] == "invalid_body", body
    status, _, answer = vpc(emu, PATHS[NEW][1], None, method="PUT",
                            headers={"Authorization": f"Bearer {token}"}, version=NEW)
    assert status == 405 and error_of(answer)[0] == "method_not_allowed"
    # Checked in this order: method, version, Authorization, body.
    assert iam_token(emu, None, None, "{bad", paths=NEW)[2]["errors"][0]["code"] == \
        "missing_version"
    assert iam_token(emu, None, NEW, "{bad")[2]["errors"][0]["code"] == "not_authorized"
    # reset forgets the identity tokens it issued.
    control(emu, "reset")
    assert iam_token(emu, token, NEW)[0] == 401


def test_expired_identity_token():
    with iam_emulator.Emulator() as emu:
        info = {"http": emu.http_url, "https": emu.https_url, "ca_file": emu.ca_file}
        token = new_token(info)
        assert iam_token(info, token)[0] == 200
        with emu.state.vpc.lock:  # as if its 300 s had passed
            emu.state.vpc.tokens[token] = time.monotonic() - 0.001
        status, _, answer = iam_token(info, token)
        assert status == 401 and error_of(answer)[0] == "not_authorized"
        assert [r["endpoint"] for r in emu.requests(["vpc-token", "vpc-iam-token"])] == \
            ["vpc-token", "vpc-iam-token", "vpc-iam-token"]


# --- queue, recording -------------------------------------------------------------------------
def test_queue_routing(emu):
    queued = control(emu, "enqueue", {"responses": [
        {"endpoint": "vpc-iam-token", "status": 503},
        {"status": 429},  # IAM
        {"endpoint": "vpc-token", "error": {"code": "internal_error", "message": "busy",
                                            "target": {"name": "x", "type": "field"}}},
        {"endpoint": "vpc-token", "status": 500, "json": {"errors": []}},
    ]})
    assert queued == {"queued": 4}
    # A GET on the token path is not the endpoint's method: it leaves the queue alone.
    assert vpc(emu, PATHS[OLD][0], None, method="GET", headers=HEADERS)[0] == 405
    status, _, answer = identity_token(emu)
    assert status == 400 and error_of(answer) == ("internal_error", "x")
    assert answer["errors"][0]["message"] == "busy" and answer["status_code"] == 400
    assert identity_token(emu, NEW)[:3:2] == (500, {"errors": []})
    token = new_token(emu)  # the vpc-token entries are used up
    assert token_request(emu)[0] == 429  # IAM skips the VPC entries in front of it
    assert iam_token(emu, token, NEW)[:3:2] == (503, None)
    assert iam_token(emu, token, NEW)[0] == 200
    status, _, body = call(emu["http"], "/_emulator/enqueue",
                           '{"responses": [{"endpoint": "vpc"}]}')
    assert status == 400 and "endpoint" in json.loads(body)["error"]


def test_queue_kinds(emu):
    control(emu, "enqueue", {"responses": [
        {"endpoint": "vpc-token", "token": True},
        {"endpoint": "vpc-iam-token", "token": True},
        {"endpoint": "vpc-iam-token", "error": {"Code": "trusted_profile_not_found"},
         "status": 404, "headers": {"X-Request-Id": "r-1"}},
        {"endpoint": "vpc-iam-token", "body": "{not json"},
        {"endpoint": "vpc-iam-token", "status": 429, "headers": {"Retry-After": "1"}},
        {"endpoint": "vpc-token", "truncate": True},
        {"endpoint": "vpc-token", "delay_ms": 200},
        {"endpoint": "vpc-iam-token", "hang": True},
    ]})
    # A queued answer replaces the checks: no version, no Metadata-Flavor, no token.
    status, _, answer = vpc(emu, PATHS[OLD][0], None, method="PUT", version=None)
    assert status == 200 and answer["expires_in"] == 300
    SECRETS.append(answer["access_token"])
    token = answer["access_token"]  # ... and token: true issues a real one
    status, _, answer = vpc(emu, PATHS[NEW][1], "{bad", method="POST", version=None)
    assert status == 200 and claims(answer["access_token"])["sub"] == "profile-vpc-default"
    status, headers, answer = iam_token(emu, token)
    assert (status, headers["X-Request-Id"]) == (404, "r-1")
    assert error_of(answer)[0] == "trusted_profile_not_found"
    assert answer["errors"][0]["message"]
    status, headers, raw = call(emu["http"], PATHS[OLD][1] + "?version=" + OLD, b"{}",
                                method="POST", headers={"Authorization": f"Bearer {token}"})
    assert (status, raw, headers["Content-Type"]) == (200, b"{not json", "application/json")
    status, headers, answer = iam_token(emu, token)
    assert (status, headers["Retry-After"], answer) == (429, "1", None)
    with pytest.raises(http.client.IncompleteRead):
        identity_token(emu)
    start = time.monotonic()
    assert identity_token(emu)[0] == 200 and time.monotonic() - start >= 0.2
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        iam_token(emu, token, timeout=0.3)
    assert iam_token(emu, token)[0] == 200  # the hang blocks nobody else
    assert control(emu, "requests")["count"] == 9


def test_recording_and_filter(emu):
    token_request(emu)
    token = new_token(emu, NEW)
    iam_token(emu, token, NEW, {"trusted_profile": {"id": "Profile-1"}})
    vpc(emu, "/identity/v1/certificates", {}, method="POST", version=NEW)
    control(emu, "token-settings", {"delay_ms": 0})  # control requests are not recorded
    everything = control(emu, "requests")
    assert [r["endpoint"] for r in everything["requests"]] == \
        ["iam", "vpc-token", "vpc-iam-token", "vpc"]
    first = control(emu, "requests?endpoint=vpc-token")
    assert first["count"] == 1
    r = first["requests"][0]
    assert r["method"] == "PUT" and r["path"] == "/identity/v1/token"
    assert r["query"] == "version=" + NEW and r["scheme"] == "http"
    assert r["headers"]["metadata-flavor"] == "ibm"
    assert r["headers"]["content-type"] == r["headers"]["accept"] == "application/json"
    assert r["json"] == {"expires_in": 300} and r["form"] == {}
    assert json.loads(r["body"]) == {"expires_in": 300}
    both = control(emu, "requests?endpoint=vpc-iam-token&endpoint=vpc")["requests"]
    assert [r["endpoint"] for r in both] == ["vpc-iam-token", "vpc"]
    assert both[0]["json"] == {"trusted_profile": {"id": "Profile-1"}}
    assert (both[0]["headers"]["authorization"] == f"Bearer {token}") is True
    assert "bogus" in control(emu, "requests?endpoint=vpc,bogus", expect=400)["error"]
