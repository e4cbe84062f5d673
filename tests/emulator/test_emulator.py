"""Tests of the local IAM emulator (tests/emulator/README.md is the contract)."""
from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import iam_emulator  # noqa: E402

SCRIPT = os.path.join(HERE, "iam_emulator.py")
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
CR_GRANT = "urn:ibm:params:oauth:grant-type:cr-token"
ASSUME_GRANT = "urn:ibm:params:oauth:grant-type:assume"
FORM = "application/x-www-form-urlencoded"


def spawn(*args):
    """Start the emulator script; return (process, the parsed ready line)."""
    proc = subprocess.Popen([sys.executable, SCRIPT, "--exit-on-stdin-eof", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    return proc, json.loads(line)


def finish(proc, send_signal=None):
    """Stop the emulator (stdin EOF, or a signal); return (exit code, stderr)."""
    if send_signal:
        proc.send_signal(send_signal)
        proc.wait(timeout=5)  # stdin is still open: the signal alone must stop it
    _, err = proc.communicate(timeout=5)  # closes stdin (EOF) and all the pipes
    return proc.returncode, err


@pytest.fixture(scope="module")
def emu():
    proc, info = spawn()
    yield info
    # Exit 0 at stdin EOF, and silent, even after the rejected TLS handshakes.
    assert finish(proc) == (0, "")


@pytest.fixture(autouse=True)
def fresh(emu):
    control(emu, "reset")


def verbose_emulator(secrets, logged):
    """Run one emulator with --verbose (a generator for a module fixture): yields its ready
    line; at the end the log must show `logged` (it did log the requests) and none of the
    strings in `secrets`, which the tests fill with every secret they saw."""
    import tempfile

    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([sys.executable, SCRIPT, "--exit-on-stdin-eof", "--verbose"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                text=True)
        line = proc.stdout.readline()
        assert line, "the emulator did not start"
        yield json.loads(line)
        proc.communicate(timeout=5)
        assert proc.returncode == 0
        log.seek(0)
        text = log.read()
        assert all(s in text for s in logged)
        leaked = sum(1 for s in secrets if s in text)
        assert leaked == 0, f"{leaked} secrets in the emulator's log"


def call(url, path, data=None, *, method=None, headers=None, cafile=None, timeout=5,
         context=None):
    """One request; return (status, headers, raw body). HTTP errors are answers too."""
    body = data if data is None or isinstance(data, bytes) else data.encode()
    req = urllib.request.Request(url + path, data=body, method=method, headers=headers or {})
    if context is None and url.startswith("https"):
        context = ssl.create_default_context(cafile=cafile)
    # No proxy from the environment: the emulator is on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def control(emu, name, value=None):
    data = None if value is None else json.dumps(value)
    status, _, body = call(emu["http"], "/_emulator/" + name, data,
                           method="GET" if name == "requests" else "POST")
    assert status == 200, body
    return json.loads(body)


def token_request(emu, form=None, scheme="http", **kw):
    form = {"grant_type": APIKEY_GRANT, "apikey": "test-key-1",
            "response_type": "cloud_iam"} if form is None else form
    headers = {"Content-Type": FORM, "Accept": "application/json", **kw.pop("headers", {})}
    if scheme == "https":
        kw.setdefault("cafile", emu["ca_file"])
    return call(emu[scheme], "/identity/token", urllib.parse.urlencode(form),
                headers=headers, **kw)


def failing_in_background(emu, timeout):
    """Start a token request expected to fail (hang); join() then check .outcome."""
    def run():
        try:
            token_request(emu, timeout=timeout)
            thread.outcome = "answered"
        except (OSError, http.client.HTTPException) as e:  # URLError, timeout, reset
            thread.outcome = e
    thread = threading.Thread(target=run, daemon=True)
    thread.outcome = None
    thread.start()
    return thread


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_ready_line(emu):
    assert set(emu) == {"http", "https", "ca_file", "pid"}
    assert emu["http"].startswith("http://127.0.0.1:")
    assert emu["https"].startswith("https://127.0.0.1:")
    assert os.path.isfile(emu["ca_file"])


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_token(emu, scheme):
    status, headers, body = token_request(emu, scheme=scheme)
    assert status == 200
    assert headers["X-Global-Transaction-ID"].startswith("emu-")
    answer = json.loads(body)
    assert answer["token_type"] == "Bearer" and answer["refresh_token"] == "not_supported"
    assert answer["scope"] == "ibm openid" and answer["expires_in"] == 3600
    c = claims(answer["access_token"])
    assert c["exp"] == answer["expiration"] == c["iat"] + 3600
    assert abs(c["iat"] - time.time()) < 5
    assert c["sub"].startswith("apikey-") and "test-key-1" not in answer["access_token"]
    assert c["iss"] == "iamcore-emulator" and c["grant_type"] == APIKEY_GRANT
    second = json.loads(token_request(emu, scheme=scheme)[2])["access_token"]
    assert claims(second)["n"] != c["n"]


def test_https_rejected_without_ca(emu):
    with pytest.raises(urllib.error.URLError) as info:
        call(emu["https"], "/_emulator/requests", context=ssl.create_default_context())
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
    # ... and the emulator still serves afterwards.
    assert token_request(emu, scheme="https")[0] == 200


def test_https_localhost_name(emu):
    url = emu["https"].replace("127.0.0.1", "localhost")
    assert call(url, "/_emulator/requests", cafile=emu["ca_file"])[0] == 200


def test_recorded_request(emu):
    token_request(emu, headers={"X-Custom-Thing": "yes"})
    control(emu, "token-settings", {"lifetime": 10})  # control calls are not recorded
    recorded = control(emu, "requests")
    assert recorded["count"] == 1
    r = recorded["requests"][0]
    assert r["method"] == "POST" and r["path"] == "/identity/token" and r["query"] == ""
    assert r["form"] == {"grant_type": APIKEY_GRANT, "apikey": "test-key-1",
                         "response_type": "cloud_iam"}
    assert r["headers"]["content-type"] == FORM and r["headers"]["x-custom-thing"] == "yes"
    assert "apikey=test-key-1" in r["body"]
    assert abs(r["time"] - time.time()) < 5 and r["scheme"] == "http"


def test_validation(emu):
    def error_of(form, **kw):
        status, headers, body = token_request(emu, form, **kw)
        assert headers["X-Global-Transaction-ID"].startswith("emu-")
        return status, json.loads(body)

    status, e = error_of({"grant_type": APIKEY_GRANT, "apikey": "bad-key"})
    assert status == 400 and e["errorCode"] == "BXNIM0415E"
    assert e["errorMessage"] == "Provided API key could not be found"
    assert e["context"]["requestId"].startswith("emu-req-")
    for form in ({}, {"grant_type": "password"}, {"grant_type": APIKEY_GRANT},
                 {"grant_type": CR_GRANT, "profile_id": "p"},
                 {"grant_type": CR_GRANT, "cr_token": "t"}):
        status, e = error_of(form)
        assert status == 400 and e["errorCode"] == "BXNIM0109E", form
    status, e = error_of({"grant_type": APIKEY_GRANT, "apikey": "k"},
                         headers={"Content-Type": "application/json"})
    assert status == 400 and e["errorCode"] == "BXNIM0109E"
    status, body = error_of({"grant_type": CR_GRANT, "cr_token": "t", "profile_name": "prof"})
    assert status == 200 and claims(body["access_token"])["sub"] == "profile-prof"
    assert control(emu, "requests")["count"] == 8


def test_refresh_token_grant(emu):
    def refresh(token, **kw):
        status, _, body = token_request(emu, {"grant_type": "refresh_token", "refresh_token": token,
                                              "response_type": "cloud_iam"}, **kw)
        return status, json.loads(body)

    # Default: "not_supported", which is no refresh token the emulator knows.
    assert json.loads(token_request(emu)[2])["refresh_token"] == "not_supported"
    status, e = refresh("not_supported")
    assert status == 400 and e["errorCode"] == "BXNIM0408E"
    settings = control(emu, "token-settings", {"issue_refresh_tokens": True})
    assert settings["issue_refresh_tokens"] is True
    first = json.loads(token_request(emu)[2])
    second = json.loads(token_request(emu)[2])
    tokens = {first["refresh_token"], second["refresh_token"]}
    assert len(tokens) == 2 and "not_supported" not in tokens
    assert all(t.startswith("emu-refresh-") and "." not in t for t in tokens)  # opaque
    assert set(first) == {"access_token", "refresh_token", "token_type", "expires_in",
                          "expiration", "scope"}
    status, answer = refresh(first["refresh_token"], scheme="https")
    assert status == 200 and set(answer) == set(first)
    c = claims(answer["access_token"])
    assert c["sub"] == claims(first["access_token"])["sub"] and c["grant_type"] == "refresh_token"
    assert answer["refresh_token"] not in tokens | {"not_supported"}  # a new one
    assert refresh(first["refresh_token"])[0] == 200  # the old one still works
    assert refresh(answer["refresh_token"])[0] == 200  # and so does the new one
    status, e = refresh("emu-refresh-1-made-up")
    assert status == 400 and e["errorCode"] == "BXNIM0408E"
    status, e = refresh("")
    assert status == 400 and e["errorCode"] == "BXNIM0109E"
    # Other grants never get one.
    status, _, body = token_request(emu, {"grant_type": CR_GRANT, "cr_token": "t", "profile_id": "p"})
    assert status == 200 and json.loads(body)["refresh_token"] == "not_supported"
    # Turned off again: known refresh tokens still work, answers say "not_supported".
    control(emu, "token-settings", {"issue_refresh_tokens": False})
    status, answer = refresh(second["refresh_token"])
    assert status == 200 and answer["refresh_token"] == "not_supported"
    control(emu, "reset")  # forgets every refresh token
    assert refresh(second["refresh_token"])[1]["errorCode"] == "BXNIM0408E"
    assert control(emu, "token-settings", {})["issue_refresh_tokens"] is False
    status, _, body = call(emu["http"], "/_emulator/token-settings",
                           '{"issue_refresh_tokens": 1}')
    assert status == 400


def test_assume_grant(emu):
    def assume(fields, **kw):
        status, _, body = token_request(emu, {"grant_type": ASSUME_GRANT, "access_token": "at",
                                              **fields}, **kw)
        return status, json.loads(body)

    for fields, sub in (({"profile_crn": "crn:v1:p"}, "profile-crn:v1:p"),
                        ({"profile_id": "Profile-1"}, "profile-Profile-1"),
                        ({"profile_name": "prof", "account": "acc"}, "profile-prof"),
                        ({"profile_id": "Profile-1", "account": "acc"}, "profile-Profile-1"),
                        ({"profile_id": "Profile-1", "profile_name": ""}, "profile-Profile-1"),
                        ({"profile_id": "Profile-1", "scope": ""}, "profile-Profile-1")):
        status, answer = assume(fields)
        assert status == 200 and claims(answer["access_token"])["sub"] == sub, fields
        assert claims(answer["access_token"])["grant_type"] == ASSUME_GRANT
        assert answer["refresh_token"] == "not_supported"
    basic = "Basic " + base64.b64encode(b"bx:bx").decode()
    for fields, kw in (({}, {}),  # no profile
                       ({"profile_name": "prof"}, {}),  # no account
                       ({"profile_crn": "c", "profile_id": "i"}, {}),  # more than one profile
                       ({"profile_id": "i", "profile_name": "n", "account": "a"}, {}),
                       ({"profile_crn": "c", "profile_id": "i", "profile_name": "n"}, {}),
                       ({"profile_id": "i", "scope": "ibm openid"}, {}),  # no scope
                       ({"profile_id": "i"}, {"headers": {"Authorization": basic}}),  # no Basic
                       ({"profile_id": "i", "access_token": ""}, {})):
        status, e = assume(fields, **kw)
        assert status == 400 and e["errorCode"] == "BXNIM0109E", fields


def test_token_settings(emu):
    settings = control(emu, "token-settings", {"lifetime": 120, "iat_offset": -100})
    assert settings["lifetime"] == 120 and settings["jwt"] is True
    answer = json.loads(token_request(emu)[2])
    c = claims(answer["access_token"])
    assert answer["expires_in"] == 120 and c["exp"] - c["iat"] == 120
    assert abs(c["iat"] - (time.time() - 100)) < 5
    control(emu, "token-settings", {"jwt": False, "expires_in": False})
    answer = json.loads(token_request(emu)[2])
    assert answer["access_token"].startswith("opaque-") and "." not in answer["access_token"]
    assert "expires_in" not in answer and answer["expiration"] > time.time()
    status, _, body = call(emu["http"], "/_emulator/token-settings", '{"lifetme": 1}')
    assert status == 400 and "lifetme" in json.loads(body)["error"]


def test_reset(emu):
    control(emu, "token-settings", {"lifetime": 5})
    control(emu, "enqueue", {"responses": [{"status": 500}]})
    token_request(emu)
    control(emu, "enqueue", {"responses": [{"status": 500}]})
    control(emu, "reset")
    assert control(emu, "requests") == {"count": 0, "requests": []}
    status, _, body = token_request(emu)
    assert status == 200 and json.loads(body)["expires_in"] == 3600


def test_queue_kinds(emu):
    control(emu, "enqueue", {"responses": [
        {"status": 400, "error": {"errorCode": "BXNIM0398E", "errorMessage": "not eligible"}},
        {"status": 200, "body": "{not json"},
        {"status": 429, "headers": {"Retry-After": "1"}},
        {"status": 503, "json": {"message": "down"}},
        {"json": None},
        {"token": True},
    ]})
    status, headers, body = token_request(emu)
    e = json.loads(body)
    assert status == 400 and e["errorCode"] == "BXNIM0398E" and e["errorMessage"] == "not eligible"
    assert e["context"]["requestId"] == "emu-req-" + headers["X-Global-Transaction-ID"][4:]
    assert token_request(emu)[:3:2] == (200, b"{not json")
    status, headers, body = token_request(emu)
    assert (status, headers["Retry-After"], body) == (429, "1", b"")
    assert token_request(emu)[:3:2] == (503, b'{"message": "down"}')
    assert token_request(emu)[:3:2] == (200, b"null")
    status, _, body = token_request(emu)
    assert status == 200 and "access_token" in json.loads(body)
    assert control(emu, "requests")["count"] == 6


def test_delay(emu):
    control(emu, "enqueue", {"responses": [{"delay_ms": 300}, {}]})
    start = time.monotonic()
    assert token_request(emu)[0] == 200
    assert time.monotonic() - start >= 0.3
    control(emu, "token-settings", {"delay_ms": 200})
    start = time.monotonic()
    assert token_request(emu)[0] == 200  # the queued {}: a normal token, with the setting's delay
    assert token_request(emu)[0] == 200
    assert time.monotonic() - start >= 0.4


def test_hang_does_not_block_others(emu):
    control(emu, "enqueue", {"responses": [{"hang": True}]})
    start = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        token_request(emu, timeout=0.5)
    assert 0.4 < time.monotonic() - start < 3
    assert control(emu, "requests")["count"] == 1  # recorded although never answered
    # A hang on one connection blocks neither other token requests nor the control API.
    control(emu, "enqueue", {"responses": [{"hang": True}]})
    hung = failing_in_background(emu, timeout=1.5)
    time.sleep(0.1)
    assert token_request(emu)[0] == 200
    assert control(emu, "requests")["count"] == 3
    hung.join()
    assert isinstance(hung.outcome, Exception)


def test_truncate(emu):
    control(emu, "enqueue", {"responses": [{"truncate": True}]})
    with pytest.raises(http.client.IncompleteRead):
        token_request(emu)
    assert token_request(emu)[0] == 200


def raw_token_exchange(emu, timeout):
    """Send one API-key token request on a raw socket; return (bytes read before the
    server stopped sending, whether the connection was still open at the timeout)."""
    host, port = emu["http"][len("http://"):].rsplit(":", 1)
    body = urllib.parse.urlencode({"grant_type": APIKEY_GRANT, "apikey": "k"})
    request = (f"POST /identity/token HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    received = b""
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except socket.timeout:
            return received, True
    return received, False


def test_stall_sends_headers_and_half_the_body_then_nothing(emu):
    control(emu, "enqueue", {"responses": [{"stall": True, "token": True}]})
    start = time.monotonic()
    received, still_open = raw_token_exchange(emu, timeout=1)
    assert still_open and time.monotonic() - start >= 0.9
    head, _, part = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")][0])
    assert 0 < len(part) == length // 2
    assert token_request(emu)[0] == 200  # the stalled connection blocks nobody


def test_pad_bytes_keeps_json_valid_and_grows_the_body(emu):
    control(emu, "enqueue", {"responses": [{"token": True, "pad_bytes": 2 * 1024 * 1024},
                                           {"json": {"x": 1}, "pad_bytes": 10}]})
    status, headers, body = token_request(emu)
    assert status == 200 and len(body) > 2 * 1024 * 1024
    assert int(headers["Content-Length"]) == len(body)
    assert json.loads(body)["access_token"].count(".") == 2
    assert token_request(emu)[2] == b'{"x": 1}' + b" " * 10


@pytest.mark.parametrize("bad", [{"pad_bytes": -1}, {"pad_bytes": 1.5}, {"pad_bytes": True},
                                 {"pad_bytes": 16 * 1024 * 1024 + 1}, {"stall": 1},
                                 {"stall": True, "truncate": True}])
def test_bad_failure_mode_keys_are_refused(emu, bad):
    status, _, _ = call(emu["http"], "/_emulator/enqueue", json.dumps({"responses": [bad]}))
    assert status == 400
    assert control(emu, "enqueue", {"responses": []})["queued"] == 0


def test_keep_alive(emu):
    conn = http.client.HTTPConnection(emu["http"][len("http://"):], timeout=5)
    try:
        start = time.monotonic()
        for _ in range(20):
            conn.request("POST", "/identity/token", "grant_type=" + APIKEY_GRANT + "&apikey=k",
                         {"Content-Type": FORM})
            resp = conn.getresponse()
            assert resp.status == 200 and resp.getheader("Content-Length")
            resp.read()
        assert conn.sock is not None  # the same connection served them all
        # ~0.5 ms each; Nagle's algorithm (no TCP_NODELAY) would make it ~40 ms each.
        assert time.monotonic() - start < 0.5
    finally:
        conn.close()


def test_unknown_path_and_bad_queue(emu):
    status, _, body = call(emu["http"], "/nope")
    assert status == 404 and json.loads(body)["path"] == "/nope"
    status, _, _ = call(emu["http"], "/_emulator/enqueue", '{"responses": [{"stauts": 500}]}')
    assert status == 400


def test_sigterm_cleans_up():
    proc, info = spawn()
    assert finish(proc, signal.SIGTERM) == (0, "")
    assert not os.path.exists(os.path.dirname(info["ca_file"]))


def test_in_process():
    with iam_emulator.Emulator(lifetime=60) as emu:
        info = {"http": emu.http_url, "https": emu.https_url, "ca_file": emu.ca_file}
        status, _, body = token_request(info, scheme="https")
        assert status == 200 and json.loads(body)["expires_in"] == 60
        emu.enqueue({"hang": True})
        hung = failing_in_background(info, timeout=5)
        time.sleep(0.2)
        assert len(emu.requests()) == 2
    hung.join(timeout=2)
    # stop() released the hang and closed the connection well before the client's timeout.
    assert not hung.is_alive() and isinstance(hung.outcome, Exception)
    assert not os.path.exists(os.path.dirname(info["ca_file"]))


def test_port_in_use_fails_cleanly():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = subprocess.run([sys.executable, SCRIPT, "--https-port", str(busy.getsockname()[1])],
                              capture_output=True, text=True, timeout=10)
    assert done.returncode == 1 and done.stdout == ""
    assert "Address already in use" in done.stderr


def test_client_port_tells_connections_apart(emu):
    form = urllib.parse.urlencode({"grant_type": APIKEY_GRANT, "apikey": "test-key-1",
                                   "response_type": "cloud_iam"})
    headers = {"Content-Type": FORM}
    host, port = urllib.parse.urlsplit(emu["http"]).netloc.split(":")
    kept = http.client.HTTPConnection(host, int(port), timeout=5)
    for _ in range(2):  # two requests over one kept-alive connection
        kept.request("POST", "/identity/token", form, headers)
        assert kept.getresponse().read()
    other = http.client.HTTPConnection(host, int(port), timeout=5)
    other.request("POST", "/identity/token", form, headers)
    assert other.getresponse().read()
    first, second, third = control(emu, "requests")["requests"]
    assert first["client_port"] == second["client_port"] == kept.sock.getsockname()[1]
    assert third["client_port"] == other.sock.getsockname()[1] != first["client_port"]
    kept.close()
    other.close()
