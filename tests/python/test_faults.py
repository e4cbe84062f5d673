"""The fault matrix (docs/faults.md), Python side: every way a token or credentials
fetch can fail, each cell asserting the exception class, its fields and how long the
failure took. Servers are the emulator (failures inside HTTP) and the loopback
servers of fault_servers.py (failures below HTTP, TLS certificates). The same cells
run in Node in tests/node/faults.test.js.

Time bounds: the configured limit plus SLACK, generous for a loaded two-core machine
yet far below any hang.
"""

import email.utils
import os
import re
import time

import pytest

import iamcore
from iamcore import aws
from fault_servers import (Certificates, ClosingServer, SilentServer, TlsTokenServer,
                           closed_port)

SLACK = 2.0  # seconds a loaded machine may add to a bound
# Three default retries wait 125-250, 250-500 and 500-1000 ms: at most 1.75 s in all.
RETRY_WAITS_MIN, RETRY_WAITS_MAX = 0.875, 1.75
SIZE_CAP = 1024 * 1024  # IAM_DEFAULT_MAX_RESPONSE_BYTES
AWS_SIZE_CAP = 64 * 1024  # the AWS credential endpoints' cap
IAM_ERROR = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}


def fails(kind, call, within):
    """Run call(), which must raise exactly `kind` within `within` seconds; return
    (the error, seconds taken)."""
    start = time.monotonic()
    with pytest.raises(iamcore.Error) as info:
        call()
    elapsed = time.monotonic() - start
    e = info.value
    assert type(e) is kind, f"{type(e).__name__} ({e.code}): {e}"
    assert e.code == kind.default_code
    assert elapsed < within, f"{kind.__name__} after {elapsed:.2f} s, bound {within} s"
    return e, elapsed


def assert_no_iam_answer(e):
    """Fields of a failure that got no HTTP answer from the service."""
    assert e.status is None
    assert (e.error_code, e.error_message, e.request_id, e.transaction_id) == (None,) * 4


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certificates(tmp_path_factory.mktemp("fault-certs"))


@pytest.fixture
def vpc(emulator):
    def make(**options):
        options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        return iamcore.VPCInstanceAuthenticator(**options)

    return make


@pytest.fixture
def assume(emulator):
    def make(**options):
        options.setdefault("url", emulator.http)
        options.setdefault("timeout", 5)
        return iamcore.IAMAssumeAuthenticator("fault-assume-key", iam_profile_id="Profile-F",
                                              **options)

    return make


# ---------------------------------------------------------------- connection


def test_connection_refused_at_vpc_step_one_is_retried_then_reported(vpc):
    url = f"http://127.0.0.1:{closed_port()}"
    e, elapsed = fails(iamcore.TransportError, vpc(url=url).token,
                       within=RETRY_WAITS_MAX + SLACK)
    assert_no_iam_answer(e)
    assert e.attempts == 4
    assert elapsed >= RETRY_WAITS_MIN * 0.9
    assert url in str(e) and "/instance_identity/v1/token" in str(e)


def test_dns_failure(iam):
    url = "http://iam-emulator.invalid"  # .invalid resolves nowhere (RFC 6761)
    auth = iam(url=url, timeout=5, max_retries=1)
    start = time.monotonic()
    with pytest.raises(iamcore.TransportError) as info:
        auth.token()
    assert time.monotonic() - start < 5 + SLACK
    e = info.value
    assert_no_iam_answer(e)
    if type(e) is iamcore.TimeoutError:  # a resolver that never answers used up the time
        assert "Resolving timed out" in str(e) and e.attempts >= 1
    else:
        assert type(e) is iamcore.TransportError
        assert "Could not resolve host: iam-emulator.invalid" in str(e)
        assert e.attempts == 2  # retried once, like a refused connection


def test_server_accepts_then_never_answers(iam):
    with SilentServer() as server:
        e, elapsed = fails(iamcore.TimeoutError, iam(url=server.url, timeout=1).token,
                           within=1 + SLACK)
        assert server.accepted >= 1
    assert elapsed >= 0.9
    assert_no_iam_answer(e)
    assert e.attempts >= 1
    assert isinstance(e, TimeoutError)


def test_server_hangs_up_without_answering_is_retried(iam):
    with ClosingServer() as server:
        e, _ = fails(iamcore.TransportError, iam(url=server.url).token,
                     within=RETRY_WAITS_MAX + SLACK)
        assert server.accepted == 4
    assert_no_iam_answer(e)
    assert e.attempts == 4


# ---------------------------------------------------------------- TLS


@pytest.mark.parametrize("defect, says", [
    ("self_signed", "self.signed"),
    ("wrong_host", "subject name|host name|does not match"),
    ("expired", "expired"),
])
def test_tls_certificate_defects(iam, certs, defect, says):
    with TlsTokenServer(getattr(certs, defect)) as server:
        # The test CA is trusted: the one defect is the only reason to refuse.
        e, _ = fails(iamcore.TLSError, iam(url=server.url, ca_file=certs.ca).token, within=SLACK)
        assert server.requests == 0  # no request went out
        # The same server, verification off: a token, so the refusal was the certificate's.
        insecure = iam(url=server.url, disable_ssl_verification=True)
        assert insecure.token() == "fault-tls-token"
    assert_no_iam_answer(e)
    assert e.attempts == 1  # a certificate does not get better by retrying
    assert isinstance(e, iamcore.TransportError)
    assert re.search(says, str(e), re.I), str(e)


def test_tls_control_a_good_certificate_of_the_same_ca_is_accepted(iam, certs):
    with TlsTokenServer(certs.good) as server:
        assert iam(url=server.url, ca_file=certs.ca).token() == "fault-tls-token"
        assert server.requests == 1


# ---------------------------------------------------------------- the HTTP exchange


@pytest.mark.parametrize("where", ["iam", "vpc-token"])
def test_headers_then_a_stalled_body(emulator, iam, vpc, where):
    emulator.enqueue(*[{"endpoint": where, "stall": True, "token": True}] * 4)
    auth = iam(timeout=1) if where == "iam" else vpc(timeout=1)
    e, elapsed = fails(iamcore.TimeoutError, auth.token, within=1 + SLACK)
    assert elapsed >= 0.9
    assert_no_iam_answer(e)  # a status line without its body is no answer
    assert e.attempts >= 1
    assert emulator.count("vpc-iam-token") == 0


def test_truncated_body_on_every_attempt(emulator, iam):
    emulator.enqueue(*[{"truncate": True, "token": True}] * 4)
    e, _ = fails(iamcore.TransportError, iam().token, within=RETRY_WAITS_MAX + SLACK)
    assert_no_iam_answer(e)
    assert e.attempts == 4
    assert emulator.count() == 4


@pytest.mark.parametrize("step", [1, 2])
def test_invalid_json_at_either_assume_step(emulator, assume, step):
    emulator.enqueue(*[{"token": True}] * (step - 1), {"body": "{not json"})
    e, _ = fails(iamcore.ParseError, assume().token, within=SLACK)
    assert e.status == 200
    assert e.attempts == 1  # a body that cannot be read is not retried
    assert e.transaction_id.startswith("emu-")
    assert "JSON" in str(e)
    assert emulator.count() == step  # step 2 is never sent after a failed step 1


def test_valid_json_without_access_token(emulator, container):
    emulator.enqueue({"json": {"token_type": "Bearer", "expires_in": 3600}})
    e, _ = fails(iamcore.ParseError, container().token, within=SLACK)
    assert (e.status, e.attempts) == (200, 1)
    assert "access_token" in str(e)
    assert emulator.count() == 1


@pytest.mark.parametrize("kind", ["container", "vpc"])
def test_opaque_token_without_expiry_fields(emulator, container, vpc, kind):
    emulator.token_settings(jwt=False, expires_in=False, expiration=False)
    auth = container() if kind == "container" else vpc()
    e, _ = fails(iamcore.ParseError, auth.token, within=SLACK)
    assert (e.status, e.attempts) == (200, 1)
    assert "expiry" in str(e)


@pytest.mark.parametrize("settings", [{}, {"expires_in": False, "expiration": False}],
                         ids=["expiration-field", "jwt-exp"])
def test_token_already_expired_on_arrival(emulator, iam, settings):
    emulator.token_settings(iat_offset=-7200, lifetime=3600, **settings)  # exp an hour ago
    auth = iam()
    e, _ = fails(iamcore.ParseError, auth.token, within=SLACK)
    assert (e.status, e.attempts) == (200, 1)
    assert "expired" in str(e)
    assert e.transaction_id.startswith("emu-")
    # Nothing cached: the next call asks again, and gets a good token once IAM sends one.
    fails(iamcore.ParseError, auth.token, within=SLACK)
    emulator.token_settings(iat_offset=0)
    assert auth.token().count(".") == 2
    assert emulator.count() == 3


def test_a_short_lived_token_is_still_handed_out(emulator, iam):
    # Inside the 10 s expiry margin but not expired: usable once, not an error.
    emulator.token_settings(lifetime=5)
    assert iam().token().count(".") == 2


def test_body_over_the_size_cap(emulator, iam):
    emulator.enqueue({"token": True, "pad_bytes": SIZE_CAP}, {"token": True, "pad_bytes": 4096})
    e, _ = fails(iamcore.TransportError, iam().token, within=SLACK)
    assert_no_iam_answer(e)
    assert e.attempts == 1  # a too-large answer is not retried
    assert f"larger than {SIZE_CAP} bytes" in str(e)
    assert emulator.count() == 1
    # Control: the same padding, under the cap, is a good answer.
    assert iam().token().count(".") == 2


# ---------------------------------------------------------------- statuses and retries


def http_date(seconds_from_now):
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize("retry_after, low, high", [("2", 1.9, 2.5), ("date", 1.0, 3.1)],
                         ids=["seconds", "http-date"])
def test_429_retry_after_is_honoured_within_the_timeout(emulator, iam, retry_after, low, high):
    value = http_date(3) if retry_after == "date" else retry_after
    emulator.enqueue({"status": 429, "headers": {"Retry-After": value}}, {"token": True})
    start = time.monotonic()
    assert iam(timeout=8).token().count(".") == 2
    assert time.monotonic() - start < high + SLACK
    first, second = emulator.requests()
    assert low <= second["time"] - first["time"] < high + SLACK


def test_429_retry_after_beyond_the_timeout_is_reported_at_once(emulator, iam):
    emulator.enqueue({"status": 429, "headers": {"Retry-After": "60"},
                      "error": {"errorCode": "BXNIM0429E", "errorMessage": "Too many requests"}},
                     {"token": True})
    e, _ = fails(iamcore.AuthenticationError, iam(timeout=3).token, within=1.0)
    assert (e.status, e.attempts, e.error_code) == (429, 1, "BXNIM0429E")
    assert emulator.count() == 1


def test_5xx_storm_then_recovery(emulator, iam):
    emulator.enqueue(*[{"status": 503}] * 3, {"token": True})
    start = time.monotonic()
    assert iam().token().count(".") == 2
    elapsed = time.monotonic() - start
    assert RETRY_WAITS_MIN * 0.9 <= elapsed < RETRY_WAITS_MAX + SLACK
    assert emulator.count() == 4


def test_5xx_storm_longer_than_the_retries_then_recovery(emulator, iam):
    emulator.enqueue(*[{"status": 503, "error": {"errorCode": "BXNIM0503E"}}] * 4)
    auth = iam()
    e, _ = fails(iamcore.AuthenticationError, auth.token, within=RETRY_WAITS_MAX + SLACK)
    assert (e.status, e.attempts, e.error_code) == (503, 4, "BXNIM0503E")
    assert e.request_id.startswith("emu-req-")
    assert emulator.count() == 4
    assert auth.token().count(".") == 2  # the storm is over: the next call succeeds
    assert emulator.count() == 5


@pytest.mark.parametrize("step, error", [
    (1, IAM_ERROR),
    (2, {"errorCode": "BXNIM0398E", "errorMessage": "Trusted profile not eligible"}),
])
def test_4xx_at_either_assume_step_is_not_retried(emulator, assume, step, error):
    emulator.enqueue(*[{"token": True}] * (step - 1), {"status": 400, "error": error},
                     {"token": True}, {"token": True})
    e, _ = fails(iamcore.AuthenticationError, assume().token, within=SLACK)
    assert (e.status, e.attempts, e.error_code) == (400, 1, error["errorCode"])
    assert e.error_message == error["errorMessage"]
    assert e.request_id.startswith("emu-req-") and e.transaction_id.startswith("emu-")
    assert ("assume grant" in str(e)) == (step == 2)
    assert emulator.count() == step


STEP1, STEP2 = "/instance_identity/v1/token?", "/instance_identity/v1/iam_token?"


@pytest.mark.parametrize("endpoint, fault, kind, fields, says", [
    ("vpc-token", {"hang": True}, iamcore.TimeoutError, (None, None), STEP1),
    ("vpc-iam-token", {"hang": True}, iamcore.TimeoutError, (None, None), STEP2),
    ("vpc-token", {"status": 400, "error": {"code": "invalid_value"}},
     iamcore.AuthenticationError, (400, "invalid_value"), "VPC instance identity token request"),
    ("vpc-iam-token", {"status": 401, "error": {"code": "not_authorized"}},
     iamcore.AuthenticationError, (401, "not_authorized"), "VPC IAM token request"),
    ("vpc-iam-token", {"status": 503}, iamcore.AuthenticationError, (503, None),
     "VPC IAM token request"),
], ids=["step1-hang", "step2-hang", "step1-400", "step2-401", "step2-503-storm"])
def test_vpc_step_failures(emulator, vpc, endpoint, fault, kind, fields, says):
    emulator.enqueue(*[{"endpoint": endpoint, **fault}] * 4)
    hang = kind is iamcore.TimeoutError
    # 1 s per step for the hangs; room for every retry otherwise.
    auth = vpc(timeout=1 if hang else 5)
    e, _ = fails(kind, auth.token, within=(1 if hang else RETRY_WAITS_MAX) + SLACK)
    assert (e.status, e.error_code) == fields
    assert says in str(e), str(e)
    if hang:
        assert e.attempts >= 1
    else:
        assert e.attempts == (4 if e.status >= 500 else 1)
    assert emulator.count("vpc-token") >= 1
    assert emulator.count("vpc-iam-token") == (0 if endpoint == "vpc-token" else e.attempts)


def test_assume_step_two_hang_times_out(emulator, assume):
    emulator.enqueue({"token": True}, *[{"hang": True}] * 4)
    e, elapsed = fails(iamcore.TimeoutError, assume(timeout=1).token, within=1 + SLACK)
    assert elapsed >= 0.9
    assert_no_iam_answer(e)
    assert emulator.count() >= 2


# ---------------------------------------------------------------- the CR-token file


def unusable_token_file(tmp_path, how):
    path = tmp_path / "cr-token"
    if how == "missing":
        return str(path), "not found"
    if how == "empty":
        path.write_text("\n")
        return str(path), "empty"
    if how == "directory":
        path.mkdir()
        return str(path), "not a regular file"
    if how == "fifo":  # nobody ever writes: opening it must not wait
        os.mkfifo(path)
        return str(path), "not a regular file"
    if how == "no-permission":
        if os.geteuid() == 0:
            pytest.skip("root reads any file; 'directory' and 'fifo' fail for root too")
        path.write_text("cr-token\n")
        path.chmod(0)
        return str(path), "ermission denied"
    raise ValueError(how)


@pytest.mark.parametrize("how", ["missing", "empty", "directory", "fifo", "no-permission"])
def test_cr_token_file_unusable(emulator, container, tmp_path, how):
    path, why = unusable_token_file(tmp_path, how)
    e, _ = fails(iamcore.TokenFileError, container(cr_token_filename=path).token, within=1.0)
    assert f"{path} ({why})" in str(e)
    assert_no_iam_answer(e)
    assert e.attempts == 0
    assert emulator.count() == 0


def test_cr_token_file_replaced_between_fetches(emulator, container, tmp_path):
    # As Kubernetes rotates a projected token: the path is a symbolic link through
    # "..data" to a directory that is swapped for a new one.
    def publish(version, content):
        directory = tmp_path / f"..{version}"
        directory.mkdir()
        (directory / "token").write_text(content)
        link = tmp_path / "..data.tmp"
        link.symlink_to(directory.name)
        os.replace(link, tmp_path / "..data")

    publish(1, "cr-token-one\n")
    path = tmp_path / "token"
    path.symlink_to("..data/token")
    auth = container(cr_token_filename=str(path))
    auth.token()
    publish(2, "cr-token-two\n")
    auth.invalidate()
    auth.token()
    os.unlink(tmp_path / "..data")  # the volume goes away
    auth.invalidate()
    e, _ = fails(iamcore.TokenFileError, auth.token, within=1.0)
    assert str(path) in str(e) and e.attempts == 0
    publish(3, "cr-token-three")
    auth.token()
    assert [r["form"]["cr_token"] for r in emulator.requests()] == [
        "cr-token-one", "cr-token-two", "cr-token-three"]


# ---------------------------------------------------------------- AWS: credential_process


@pytest.mark.parametrize("script, kind, says", [
    ("echo 'sso session expired' >&2; exit 3", iamcore.AuthenticationError,
     "exited with status 3: sso session expired"),
    ("kill -9 $$", iamcore.AuthenticationError, "signal 9"),
    ("echo 'AKIAGARBAGE0001 secret-garbage-value'", iamcore.ParseError, "JSON"),
    ("echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS\"}'", iamcore.ParseError,
     "SecretAccessKey"),
    ("echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}'",
     iamcore.ParseError, "Version"),
    ("head -c 70000 /dev/zero | tr '\\0' ' '", iamcore.TransportError, "64 KiB"),
], ids=["exit-status", "killed", "garbage", "no-secret", "version-2", "too-much-output"])
def test_credential_process_failures(aws_env, script, kind, says):
    path = aws_env.file("helper.sh", script + "\n")
    aws_env.config(f"[default]\ncredential_process = /bin/sh {path}\n")
    e, _ = fails(kind, aws.resolve_credentials, within=SLACK)
    assert says in str(e), str(e)
    assert "secret-garbage-value" not in str(e)  # stdout is never quoted
    assert e.status is None
    aws_env.config("[default]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n")
    assert aws.resolve_credentials().source == "profile"  # the failure was not cached


def test_credential_process_that_cannot_be_run(aws_env, tmp_path):
    aws_env.config(f"[default]\ncredential_process = {tmp_path}/no-such-helper --json\n")
    e, _ = fails(iamcore.ConfigError, aws.resolve_credentials, within=SLACK)
    assert "credential_process" in str(e)


# ---------------------------------------------------------------- AWS: IMDS token refused


@pytest.mark.parametrize("refusal", [403, 404, 405])
def test_imds_token_refused_falls_back_to_imdsv1(aws_env, emulator, refusal):
    aws_env.use_imds()
    emulator.aws_settings(imds_token_status=refusal, imds_v1_allowed=True)
    start = time.monotonic()
    c = aws.resolve_credentials()
    assert time.monotonic() - start < SLACK
    assert c.source == "imds" and c.has_session_token
    gets = emulator.requests(["imds-role", "imds-credentials"])
    assert [r["endpoint"] for r in gets] == ["imds-role", "imds-credentials"]
    assert all("x-aws-ec2-metadata-token" not in r["headers"] for r in gets)
    assert emulator.count("imds-token") == 1


def test_imds_token_refused_and_imdsv1_refused_by_the_instance(aws_env, emulator):
    aws_env.use_imds()
    emulator.aws_settings(imds_token_status=403, imds_v1_allowed=False)
    e, _ = fails(iamcore.AuthenticationError, aws.resolve_credentials, within=SLACK)
    assert e.status == 401
    assert "instance metadata (role)" in str(e)


def test_imds_token_refused_and_imdsv1_disabled_by_the_client(aws_env, emulator):
    aws_env.use_imds()
    aws_env.set(AWS_EC2_METADATA_V1_DISABLED="true")
    emulator.aws_settings(imds_token_status=403, imds_v1_allowed=True)
    e, _ = fails(iamcore.AuthenticationError, aws.resolve_credentials, within=SLACK)
    assert "AWS_EC2_METADATA_V1_DISABLED" in str(e) and "403" in str(e)
    assert emulator.count(["imds-role", "imds-credentials"]) == 0


@pytest.mark.parametrize("status", [400, 500])
def test_imds_token_other_errors_are_no_fallback(aws_env, emulator, status):
    aws_env.use_imds()
    emulator.aws_settings(imds_token_status=status, imds_v1_allowed=True)
    e, _ = fails(iamcore.AuthenticationError, aws.resolve_credentials, within=SLACK)
    assert e.status == status
    assert emulator.count(["imds-role", "imds-credentials"]) == 0


def test_imds_token_request_hangs(aws_env, emulator):
    aws_env.use_imds()
    aws_env.set(AWS_METADATA_SERVICE_TIMEOUT="0.5")
    emulator.enqueue({"endpoint": "imds-token", "hang": True})
    # Unreachable instance metadata means "not on EC2": the chain ends, naming it.
    e, _ = fails(iamcore.ConfigError, aws.resolve_credentials, within=0.5 + SLACK)
    assert "instance metadata not reachable" in str(e)
    assert emulator.count(["imds-role", "imds-credentials"]) == 0


# ---------------------------------------------------------------- AWS: HTTP endpoints


@pytest.mark.parametrize("fault, kind, attempts, says", [
    ({"hang": True}, iamcore.TimeoutError, None, "timed out"),
    ({"stall": True, "token": True}, iamcore.TimeoutError, None, "timed out"),
    ({"truncate": True, "token": True}, iamcore.TransportError, 3, None),
    ({"token": True, "pad_bytes": AWS_SIZE_CAP}, iamcore.TransportError, 1,
     f"larger than {AWS_SIZE_CAP} bytes"),
    ({"body": "{not json"}, iamcore.ParseError, 1, "not a JSON object"),
    ({"json": {"AccessKeyId": "ASIAFAULT"}}, iamcore.ParseError, 1, "SecretAccessKey"),
    ({"status": 500}, iamcore.AuthenticationError, 3, "HTTP 500"),
], ids=["hang", "stall", "truncate", "too-large", "invalid-json", "no-secret", "5xx-storm"])
def test_container_endpoint_faults(aws_env, emulator, fault, kind, attempts, says):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    emulator.enqueue(*[{"endpoint": "container", **fault}] * 3)
    # The container endpoint has 2 s in all, two retries included.
    e, _ = fails(kind, aws.resolve_credentials, within=2 + SLACK)
    if attempts is not None:
        assert e.attempts == attempts
    if says:
        assert says in str(e), str(e)


def test_sts_5xx_storm_then_recovery(aws_env, emulator):
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=aws_env.file("web-token", "header.payload.sig"),
                AWS_ROLE_ARN="arn:aws:iam::123456789012:role/fault")
    emulator.enqueue(*[{"endpoint": "sts", "status": 503}] * 3)
    start = time.monotonic()
    assert aws.resolve_credentials().source == "web-identity"
    assert time.monotonic() - start < RETRY_WAITS_MAX + SLACK
    assert emulator.count("sts") == 4
