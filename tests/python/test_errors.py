"""Failure kinds, their exception classes and attributes, retries and timeouts."""

import builtins
import pickle
import socket
import time

import pytest

import iamcore

BAD_KEY_ERROR = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}


def test_hierarchy():
    assert issubclass(iamcore.ConfigError, iamcore.Error)
    assert issubclass(iamcore.ConfigError, ValueError)
    assert issubclass(iamcore.AuthenticationError, iamcore.Error)
    assert issubclass(iamcore.TransportError, iamcore.Error)
    assert issubclass(iamcore.TimeoutError, iamcore.TransportError)
    assert issubclass(iamcore.TimeoutError, builtins.TimeoutError)
    assert issubclass(iamcore.TLSError, iamcore.TransportError)
    assert issubclass(iamcore.ParseError, iamcore.Error)
    assert issubclass(iamcore.TokenFileError, iamcore.Error)
    assert issubclass(iamcore.Error, Exception)
    assert iamcore.TimeoutError is not builtins.TimeoutError


def test_errors_can_be_built_and_pickled():
    e = iamcore.AuthenticationError("denied", status=401, error_code="BXNIM0001E", attempts=1)
    assert str(e) == "denied"
    assert e.code == "auth"
    assert iamcore.TimeoutError("slow").code == "timeout"
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is iamcore.AuthenticationError
    assert (str(copy), copy.status, copy.error_code, copy.code) == ("denied", 401, "BXNIM0001E", "auth")
    t = pickle.loads(pickle.dumps(iamcore.TimeoutError("slow", attempts=2)))
    assert (type(t), str(t), t.attempts) == (iamcore.TimeoutError, "slow", 2)


def test_auth_error_fields(emulator, iam):
    emulator.enqueue({"status": 400, "error": {**BAD_KEY_ERROR, "errorDetails": "key is unknown"}})
    with pytest.raises(iamcore.AuthenticationError) as info:
        iam().token()
    e = info.value
    assert e.code == "auth"
    assert e.status == 400
    assert e.error_code == "BXNIM0415E"
    assert e.error_message == "Provided API key could not be found"
    assert e.error_details == "key is unknown"
    assert e.transaction_id.startswith("emu-")
    assert e.request_id == "emu-req-" + e.transaction_id[len("emu-"):]
    assert e.attempts == 1
    assert str(e) == e.args[0]
    assert "BXNIM0415E" in str(e)
    assert emulator.count() == 1


def test_builtin_bad_key(emulator, iam):
    with pytest.raises(iamcore.AuthenticationError) as info:
        iam("bad-key").token()
    assert (info.value.status, info.value.error_code) == (400, "BXNIM0415E")
    assert info.value.request_id.startswith("emu-req-")


def test_authenticate_raises_the_same_error(emulator, iam):
    emulator.enqueue({"status": 400, "error": BAD_KEY_ERROR})
    request = {"headers": {}}
    with pytest.raises(iamcore.AuthenticationError) as info:
        iam().authenticate(request)
    assert info.value.error_code == "BXNIM0415E"
    assert request == {"headers": {}}  # untouched on failure


def test_error_details_that_are_not_a_string(emulator, iam):
    body = {**BAD_KEY_ERROR, "errorDetails": {"reason": "x", "n": 1}}
    emulator.enqueue({"status": 403, "json": body})
    with pytest.raises(iamcore.AuthenticationError) as info:
        iam().token()
    e = info.value
    assert e.status == 403
    assert e.request_id is None  # no context in this body
    assert e.error_details.replace(" ", "") == '{"reason":"x","n":1}'


def test_error_without_iam_body(emulator, iam):
    emulator.enqueue({"status": 401, "body": "Unauthorized"})
    with pytest.raises(iamcore.AuthenticationError) as info:
        iam().token()
    e = info.value
    assert e.status == 401
    assert e.error_code is None
    assert e.error_message is None
    assert e.request_id is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_4xx_is_never_retried(emulator, iam, status):
    emulator.enqueue({"status": status, "error": BAD_KEY_ERROR}, {"token": True})
    with pytest.raises(iamcore.AuthenticationError) as info:
        iam().token()
    assert info.value.status == status
    assert info.value.attempts == 1
    assert emulator.count() == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried(emulator, iam, status):
    emulator.enqueue({"status": status, "error": {"errorCode": "BXNIM0001E"}}, {"token": True})
    token = iam().token()
    assert token.count(".") == 2
    assert emulator.count() == 2


def test_5xx_retries_are_bounded(emulator, iam):
    emulator.enqueue(*[{"status": 503, "error": {"errorCode": "BXNIM0001E"}}] * 5)
    with pytest.raises(iamcore.Error) as info:
        iam(max_retries=1).token()
    e = info.value
    assert e.status == 503
    assert e.attempts == 2
    assert emulator.count() == 2


def test_no_retries_when_max_retries_is_zero(emulator, iam):
    emulator.enqueue({"status": 500, "error": {"errorCode": "BXNIM0001E"}}, {"token": True})
    with pytest.raises(iamcore.Error) as info:
        iam(max_retries=0).token()
    assert info.value.status == 500
    assert info.value.attempts == 1
    assert emulator.count() == 1


def test_retry_after_is_honoured(emulator, iam):
    emulator.enqueue(
        {"status": 429, "headers": {"Retry-After": "1"}, "error": {"errorCode": "BXNIM0429E"}},
        {"token": True},
    )
    start = time.monotonic()
    token = iam(timeout=5).token()
    elapsed = time.monotonic() - start
    assert token.count(".") == 2
    requests = emulator.requests()
    assert len(requests) == 2
    assert elapsed >= 1.0
    assert requests[1]["time"] - requests[0]["time"] >= 0.95


def test_hang_times_out_within_the_bound(emulator, iam):
    emulator.enqueue({"hang": True}, {"hang": True}, {"hang": True}, {"hang": True})
    auth = iam(timeout=1)
    start = time.monotonic()
    with pytest.raises(iamcore.TimeoutError) as info:
        auth.token()
    elapsed = time.monotonic() - start
    assert elapsed < 2.5
    assert elapsed >= 0.9
    e = info.value
    assert e.code == "timeout"
    assert isinstance(e, builtins.TimeoutError)
    assert isinstance(e, iamcore.TransportError)
    assert e.status is None
    assert emulator.count() >= 1


def test_slow_answer_times_out(emulator, iam):
    emulator.token_settings(delay_ms=3000)
    start = time.monotonic()
    with pytest.raises(iamcore.TimeoutError):
        iam(timeout=0.5).token()
    assert time.monotonic() - start < 2.0


def test_invalid_json_is_a_parse_error(emulator, iam):
    emulator.enqueue({"status": 200, "body": "{not json"})
    with pytest.raises(iamcore.ParseError) as info:
        iam().token()
    assert info.value.code == "parse"
    assert info.value.status == 200
    assert emulator.count() == 1


def test_response_without_access_token_is_a_parse_error(emulator, iam):
    emulator.enqueue({"status": 200, "json": {"token_type": "Bearer", "expires_in": 3600}})
    with pytest.raises(iamcore.ParseError) as info:
        iam().token()
    assert info.value.code == "parse"
    assert emulator.count() == 1


@pytest.mark.parametrize("body", [[], "a string", {"access_token": ""}, {"access_token": 42}])
def test_unusable_json_is_a_parse_error(emulator, iam, body):
    emulator.enqueue({"status": 200, "json": body})
    with pytest.raises(iamcore.ParseError):
        iam().token()


def test_truncated_response_is_a_transport_error(emulator, iam):
    emulator.enqueue({"truncate": True})
    with pytest.raises(iamcore.TransportError) as info:
        iam(max_retries=0).token()
    assert type(info.value) is iamcore.TransportError
    assert info.value.code == "transport"


def test_truncated_response_is_retried(emulator, iam):
    emulator.enqueue({"truncate": True}, {"token": True})
    assert iam().token().count(".") == 2
    assert emulator.count() == 2


def test_connection_refused_is_a_transport_error(iam):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(iamcore.TransportError) as info:
        iam(url=f"http://127.0.0.1:{port}", timeout=2).token()
    assert time.monotonic() - start < 3
    assert type(info.value) is iamcore.TransportError
    assert info.value.code == "transport"
    assert info.value.status is None
    assert info.value.attempts >= 1


def test_error_then_success_after_failure_is_not_cached(emulator, iam):
    emulator.enqueue({"status": 200, "body": "{not json"})
    auth = iam()
    with pytest.raises(iamcore.ParseError):
        auth.token()
    assert auth.token().count(".") == 2
    assert emulator.count() == 2
