"""Events of the C core as records of the "iamcore" logger, through real fetches
against the emulator: fields, levels, retries, failures, background refreshes,
the cached level, handlers that raise, and never a secret."""

import datetime
import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import iamcore

REFRESH_DUE = {"iat_offset": -3000, "lifetime": 3600}  # valid 600 s more, refresh due


def events(caplog, name=None):
    return [
        r for r in caplog.records
        if r.name == "iamcore" and (name is None or r.iamcore_event == name)
    ]


def wait_for(caplog, name, count=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(events(caplog, name)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return events(caplog, name)


@pytest.fixture
def debug(caplog):
    caplog.set_level(logging.DEBUG, logger="iamcore")
    return caplog


def test_a_fetch_logs_token_fetched_and_the_cache_nothing(emulator, iam, debug):
    auth = iam()
    auth.token()
    (record,) = events(debug, "token_fetched")
    assert record.levelno == logging.INFO
    assert record.iamcore_auth_type == "iam"
    assert record.iamcore_url == emulator.http + "/identity/token"
    assert record.iamcore_status == 200
    assert record.iamcore_attempts == 1
    assert abs(record.iamcore_expires_at - (time.time() + 3600)) < 60
    assert isinstance(record.iamcore_duration_ms, int) and record.iamcore_duration_ms >= 0
    assert record.iamcore_background is False
    assert record.iamcore_fields["status"] == 200
    assert record.getMessage().startswith("token_fetched auth_type=iam url=")
    assert " status=200 attempts=1 " in record.getMessage()
    (scheduled,) = events(debug, "refresh_scheduled")
    assert scheduled.levelno == logging.DEBUG
    assert 0 < scheduled.iamcore_refresh_at - time.time() < 3600

    before = len(events(debug))
    for _ in range(100):
        auth.token()
        auth.authenticate({})
    assert len(events(debug)) == before  # the cached path logs nothing


def test_retries_after_500_and_429(emulator, iam, debug):
    emulator.enqueue({"status": 500}, {"status": 429, "headers": {"Retry-After": "1"}}, {"token": True})
    iam().token()
    first, second = events(debug, "retry")
    assert first.levelno == second.levelno == logging.WARNING
    assert (first.iamcore_attempt, first.iamcore_status, first.iamcore_reason) == (1, 500, "HTTP 500")
    assert (second.iamcore_attempt, second.iamcore_status) == (2, 429)
    assert second.iamcore_reason == "HTTP 429, Retry-After 1 s"
    assert second.iamcore_delay_ms == 1000
    (fetched,) = events(debug, "token_fetched")
    assert fetched.iamcore_attempts == 3


def test_a_failure_is_an_error_record(iam, debug):
    with pytest.raises(iamcore.AuthenticationError):
        iam("bad-key").token()
    (record,) = events(debug, "failure")
    assert record.levelno == logging.ERROR
    assert record.iamcore_error == "auth"
    assert record.iamcore_status == 400
    assert record.iamcore_error_code == "BXNIM0415E"
    assert "BXNIM0415E" in record.iamcore_message
    assert record.iamcore_token_valid is False and record.iamcore_background is False
    assert not events(debug, "token_fetched")


def test_a_connection_error_is_retried_then_logged(debug):
    auth = iamcore.IAMAuthenticator("refused-key", url="http://127.0.0.1:1", max_retries=1, timeout=5)
    with pytest.raises(iamcore.TransportError):
        auth.token()
    (retry,) = events(debug, "retry")
    assert retry.iamcore_url == "http://127.0.0.1:1/identity/token"
    assert "status" not in retry.iamcore_fields
    assert retry.iamcore_reason
    (failure,) = events(debug, "failure")
    assert failure.iamcore_error == "transport" and failure.iamcore_attempts == 2


def test_background_refresh(emulator, iam, debug):
    emulator.token_settings(**REFRESH_DUE)
    auth = iam()
    first = auth.token()
    emulator.token_settings(iat_offset=0)
    assert auth.token() == first  # cached; starts the refresh
    (fetched,) = wait_for(debug, "token_fetched", 2)[1:]
    assert fetched.iamcore_background is True
    (started,) = events(debug, "refresh_started")
    assert started.levelno == logging.DEBUG and started.iamcore_auth_type == "iam"
    assert fetched.thread != threading.get_ident()  # delivered from the refresh thread


def test_a_failed_background_refresh_is_a_warning(emulator, iam, debug):
    emulator.token_settings(**REFRESH_DUE)
    auth = iam()
    first = auth.token()
    emulator.enqueue({"status": 400, "json": {"errorCode": "BXNIM0415E", "errorMessage": "nope"}})
    assert auth.token() == first
    (failure,) = wait_for(debug, "failure")
    assert failure.levelno == logging.WARNING
    assert failure.iamcore_background is True and failure.iamcore_token_valid is True
    assert auth.token() == first


def test_the_logger_level_is_followed_at_once(emulator, iam, caplog):
    caplog.set_level(logging.WARNING, logger="iamcore")
    iamcore._native._log_level_changed()  # whatever earlier tests left cached
    auth = iam()
    auth.token()
    assert not events(caplog)  # INFO and DEBUG events: below the level
    caplog.set_level(logging.INFO, logger="iamcore")
    auth.invalidate()
    auth.token()
    assert [r.iamcore_event for r in events(caplog)] == ["token_fetched"]
    logging.disable(logging.CRITICAL)
    try:
        auth.invalidate()
        auth.token()
        assert len(events(caplog)) == 1
    finally:
        logging.disable(logging.NOTSET)
    auth.invalidate()
    auth.token()
    assert len(events(caplog, "token_fetched")) == 2


def test_events_below_the_cached_level_skip_python(emulator, iam):
    calls = {"threshold": 0, "emit": []}

    def threshold():
        calls["threshold"] += 1
        return logging.WARNING

    def emit(level, event, message, fields):
        calls["emit"].append((level, event))

    iamcore._native._log_install(emit, threshold)
    try:
        auth = iam()
        auth.token()  # token_fetched (INFO) and refresh_scheduled (DEBUG): below
        auth.invalidate()
        auth.token()
        assert calls == {"threshold": 1, "emit": []}  # asked once, then not even the GIL
        with pytest.raises(iamcore.AuthenticationError):
            iam("bad-key").token()
        assert calls["emit"] == [(logging.ERROR, "failure")]
        iamcore._native._log_level_changed()
        auth.invalidate()
        auth.token()
        assert calls["threshold"] == 2
    finally:
        iamcore._native._log_install(iamcore._logging._emit, iamcore._logging._threshold)


def test_a_level_set_on_root_applies(emulator, iam, caplog):
    caplog.set_level(logging.NOTSET, logger="iamcore")  # inherit from root
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        iam().token()
        assert events(caplog, "refresh_scheduled")
    finally:
        root.setLevel(old)


class Raising(logging.Handler):
    def emit(self, record):
        raise RuntimeError("handler failed")


def test_a_raising_handler_does_not_break_fetching(emulator, iam, caplog):
    # What escapes the handler goes to sys.unraisablehook; the fetch goes on.
    reported = []
    previous, sys.unraisablehook = sys.unraisablehook, reported.append
    caplog.set_level(logging.DEBUG, logger="iamcore")
    handler = Raising()
    logger = logging.getLogger("iamcore")
    logger.addHandler(handler)
    try:
        emulator.token_settings(**REFRESH_DUE)
        auth = iam()
        first = auth.token()  # token_fetched, refresh_scheduled
        emulator.token_settings(iat_offset=0)  # the next token is not due at once
        assert auth.token() == first  # the background refresh: three more events
        with pytest.raises(iamcore.AuthenticationError):
            iam("bad-key").token()  # failure
        deadline = time.monotonic() + 5
        while len(reported) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert auth.token() != first
    finally:
        logger.removeHandler(handler)
        sys.unraisablehook = previous
    assert len(reported) == 6
    assert all(isinstance(u.exc_value, RuntimeError) for u in reported)
    assert emulator.count() == 3


def test_a_handler_may_call_back_into_iamcore(emulator, iam, caplog):
    caplog.set_level(logging.INFO, logger="iamcore")
    auth = iam()
    seen = []

    class Calling(logging.Handler):
        def emit(self, record):
            seen.append(auth.token())  # cached after token_fetched

    handler = Calling()
    logging.getLogger("iamcore").addHandler(handler)
    try:
        token = auth.token()
    finally:
        logging.getLogger("iamcore").removeHandler(handler)
    assert seen == [token]
    assert emulator.count() == 1


def test_events_from_many_threads(emulator, iam, debug):
    auths = [iam(f"thread-key-{i}") for i in range(4)]

    def work(auth):
        for _ in range(5):
            auth.invalidate()
            auth.token()

    threads = [threading.Thread(target=work, args=(a,)) for a in auths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert len(events(debug, "token_fetched")) == 20


def test_no_record_holds_a_secret(emulator, iam, container, cr_token_file, aws_env,
                                  debug, assert_secret_free):
    secrets = ["apikey-SECRET-0123456789", "client-SECRET-987654", "crtoken-SECRET-abcdef",
               "ecs-SECRET-42", "AWSSECRET-wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "SESSION+TOKEN/SECRET=="]
    emulator.enqueue({"status": 503}, {"token": True})
    emulator.token_settings(**REFRESH_DUE)
    auth = iam(secrets[0], client_id="bx", client_secret=secrets[1])
    tokens = [auth.token()]
    emulator.token_settings(iat_offset=0)
    auth.token()
    wait_for(debug, "token_fetched", 2)
    tokens.append(auth.token())
    emulator.enqueue({"status": 400, "json": {"errorCode": "BXNIM0415E",
                                              "errorMessage": f"key {secrets[0]} unknown"}})
    auth.invalidate()
    with pytest.raises(iamcore.AuthenticationError):
        auth.token()
    tokens.append(container(cr_token_filename=cr_token_file(secrets[2] + "\n")).token())

    emulator.aws_settings(container_auth_token="Bearer " + secrets[3])
    expiration = (datetime.datetime.now(datetime.timezone.utc)
                  + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.enqueue({"endpoint": "container", "json": {
        "AccessKeyId": "ASIALOGTEST000000001", "SecretAccessKey": secrets[4],
        "Token": secrets[5], "Expiration": expiration}})
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url(),
                AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer " + secrets[3])
    rds = iamcore.RDSAuthenticator("db.example.internal", 5432, "app_user", region="eu-west-1")
    rds_token = rds.token()
    assert "X-Amz-Security-Token=SESSION%2BTOKEN%2FSECRET%3D%3D" in rds_token
    signature = rds_token.split("X-Amz-Signature=")[1]

    (creds,) = events(debug, "credentials_fetched")
    assert (creds.iamcore_auth_type, creds.iamcore_source) == ("aws", "container")
    (rds_event,) = events(debug, "rds_token_generated")
    assert rds_event.iamcore_hostname == "db.example.internal" and rds_event.iamcore_port == 5432
    assert {"retry", "failure", "refresh_started", "refresh_scheduled"} <= {
        r.iamcore_event for r in events(debug)}

    everything = "\n".join(
        r.getMessage() + "\n" + repr(r.iamcore_fields) for r in events(debug))
    jwt_signatures = [t.rsplit(".", 1)[1] for t in tokens]
    assert_secret_free(everything, *secrets, *tokens, rds_token, signature, *jwt_signatures,
                       where="the iamcore log records")


LAZY_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {package_dir!r})
    import iamcore
    auth = iamcore.IAMAuthenticator("lazy-key", url={url!r}, timeout=10)
    auth.token()
    assert "logging" not in sys.modules, "an event imported logging"
    import logging
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(message)s")
    auth.invalidate()
    auth.token()
""")


def test_import_and_events_do_not_import_logging(emulator):
    package_dir = str(Path(iamcore.__file__).resolve().parents[1])
    script = LAZY_SCRIPT.format(package_dir=package_dir, url=emulator.http)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    # One record: the second fetch, once the application configured logging.
    assert result.stdout.count("iamcore token_fetched auth_type=iam ") == 1
    assert emulator.count() == 2


EXIT_SCRIPT = textwrap.dedent("""
    import atexit, logging, sys, time
    atexit.register(time.sleep, 1.5)  # runs after iamcore's exit handler: the refresh lands
    sys.path.insert(0, {package_dir!r})
    import iamcore
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
    auth = iamcore.IAMAuthenticator("exit-key", url={url!r}, timeout=10)
    auth.token()
    auth.token()  # cached; starts a background refresh answered 0.7 s later
    time.sleep(0.2)  # the refresh thread has started
    print("exiting", flush=True)
""")


def test_the_interpreter_exits_while_a_refresh_is_in_flight(emulator):
    emulator.token_settings(**REFRESH_DUE)
    emulator.enqueue({"token": True}, {"token": True, "delay_ms": 700})
    package_dir = str(Path(iamcore.__file__).resolve().parents[1])
    script = EXIT_SCRIPT.format(package_dir=package_dir, url=emulator.http)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert "exiting" in result.stdout and "refresh_started" in result.stdout
    # The hook was removed at exit, before the refresh's answer arrived.
    assert "background=true" not in result.stdout
    assert emulator.count() == 2
    assert "Fatal Python error" not in result.stderr
