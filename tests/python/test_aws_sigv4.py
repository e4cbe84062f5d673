"""AWS SigV4 through Python: the conformance suite (../shared/aws-sigv4-suite/v4) via
iamcore.aws.sign_request / presign_url, and the argument handling of both."""

import datetime
import hashlib
import json
from pathlib import Path

import pytest

import iamcore
from iamcore import aws

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT.parent / "shared" / "aws-sigv4-suite" / "v4"

EXAMPLE = aws.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
WHEN = datetime.datetime(2015, 8, 30, 12, 36, 0)


@pytest.fixture(autouse=True)
def _aws(aws_env):
    return aws_env


def suite_cases():
    if not SUITE.is_dir():
        return []
    return sorted(p.name for p in SUITE.iterdir() if (p / "context.json").exists())


def need_suite():
    if not SUITE.is_dir():
        pytest.skip(f"the SigV4 test suite is not there: {SUITE} (shared/aws-sigv4-suite)")


class Case:
    """One suite case: context.json and request.txt, parsed."""

    def __init__(self, name):
        self.dir = SUITE / name
        ctx = json.loads((self.dir / "context.json").read_text())
        c = ctx["credentials"]
        self.credentials = aws.Credentials(c["access_key_id"], c["secret_access_key"], c.get("token"))
        self.region = ctx["region"]
        self.service = ctx["service"]
        self.normalize = ctx["normalize"]
        self.sign_body = ctx["sign_body"]
        self.omit_session_token = ctx.get("omit_session_token", False)
        self.expires = ctx.get("expiration_in_seconds", 900)
        ts = ctx["timestamp"]
        assert ts == "2015-08-30T12:36:00Z"
        text = (self.dir / "request.txt").read_bytes().decode("utf-8")
        head, _, self.body = text.partition("\n\n")
        lines = head.rstrip("\n").split("\n")  # a file may end after the headers
        request_line = lines[0]
        self.method, rest = request_line.split(" ", 1)
        self.target, self.version = rest.rsplit(" ", 1)
        # Header lines as written (for rebuilding the signed request) and as pairs
        # (an indented line continues the previous value, kept with its newline).
        self.header_lines = lines[1:]
        self.headers = []
        for line in self.header_lines:
            if line[:1] in (" ", "\t"):
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + "\n" + line)
            else:
                name, _, value = line.partition(":")
                self.headers.append((name, value))
        self.host = next(v for n, v in self.headers if n.lower() == "host")

    def expected(self, name):
        return (self.dir / name).read_bytes().decode("utf-8")

    @property
    def url(self):
        return "https://" + self.host + self.target

    def options(self):
        return dict(
            service=self.service,
            region=self.region,
            credentials=self.credentials,
            timestamp=WHEN,
            normalize_path=self.normalize,
            omit_session_token=self.omit_session_token,
        )


# The brief's handful, plus the ones whose target or headers exercise the URL
# parsing and header conversion of the Python layer.
SELECTED = [
    "get-vanilla",
    "get-vanilla-query-order-key-case",
    "post-x-www-form-urlencoded",
    "get-vanilla-with-session-token",
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-space-normalized",
    "get-utf8",
    "get-vanilla-utf8-query",
    "get-slashes-unnormalized",
    "post-sts-header-after",
    "post-vanilla-query",
]


def header_signed_request(case, added):
    lines = [f"{case.method} {case.target} {case.version}", *case.header_lines]
    lines += [f"{name}:{value}" for name, value in added.items()]
    return "\n".join(lines) + "\n\n" + case.body


@pytest.mark.parametrize("name", suite_cases() or SELECTED)
def test_suite_header_signing(name):
    need_suite()
    case = Case(name)
    added = aws.sign_request(
        case.method, case.url, case.headers, case.body.encode("utf-8"),
        sign_body=case.sign_body, **case.options(),
    )
    authorization = added["Authorization"]
    signature = authorization.rsplit("Signature=", 1)[1]
    assert signature == case.expected("header-signature.txt")
    assert header_signed_request(case, added) == case.expected("header-signed-request.txt")


@pytest.mark.parametrize("name", suite_cases() or SELECTED)
def test_suite_query_signing(name):
    need_suite()
    case = Case(name)
    payload_hash = None
    if case.sign_body:  # presigning signs the body's hash given as payload_hash
        payload_hash = hashlib.sha256(case.body.encode("utf-8")).hexdigest()
    others = [(n, v) for n, v in case.headers if n.lower() != "host"]
    url = aws.presign_url(
        case.method, case.url, expires=case.expires, headers=others,
        payload_hash=payload_hash, **case.options(),
    )
    prefix = "https://" + case.host
    assert url.startswith(prefix)
    target = url[len(prefix):]
    assert target.rsplit("X-Amz-Signature=", 1)[1] == case.expected("query-signature.txt")
    rebuilt = "\n".join([f"{case.method} {target} {case.version}", *case.header_lines])
    rebuilt += "\n\n" + case.body
    assert rebuilt == case.expected("query-signed-request.txt")


def test_selected_cases_are_in_the_suite():
    need_suite()
    assert set(SELECTED) <= set(suite_cases())
    assert len(suite_cases()) == 38


# ---------------------------------------------------------------- API details


def test_sign_request_takes_host_from_the_url():
    headers = aws.sign_request("GET", "https://example.amazonaws.com/", {}, service="service",
                               region="us-east-1", credentials=EXAMPLE, timestamp=WHEN)
    assert list(headers) == ["X-Amz-Date", "Authorization"]
    assert headers["X-Amz-Date"] == "20150830T123600Z"
    assert headers["Authorization"].endswith(
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def test_sign_request_port_in_host():
    a = aws.sign_request("GET", "https://example.amazonaws.com:8443/", None, service="service",
                         region="us-east-1", credentials=EXAMPLE, timestamp=WHEN)
    b = aws.sign_request("GET", "https://example.amazonaws.com/", {"Host": "example.amazonaws.com:8443"},
                         service="service", region="us-east-1", credentials=EXAMPLE, timestamp=WHEN)
    c = aws.sign_request("GET", "https://example.amazonaws.com:443/", None, service="service",
                         region="us-east-1", credentials=EXAMPLE, timestamp=WHEN)
    assert a == b
    assert c["Authorization"].endswith("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def test_sign_request_session_token_and_body_kinds():
    creds = aws.Credentials("AKIDEXAMPLE", "secret", "tok+/=")
    out = [
        aws.sign_request("POST", "https://h.example/x", None, body, service="s", region="us-east-1",
                         credentials=creds, timestamp=WHEN, sign_body=True)
        for body in (b"abc", bytearray(b"abc"), memoryview(b"abc"), "abc")
    ]
    assert all(o == out[0] for o in out)
    assert list(out[0]) == ["X-Amz-Security-Token", "X-Amz-Date", "x-amz-content-sha256",
                            "Authorization"]
    assert out[0]["X-Amz-Security-Token"] == "tok+/="
    assert out[0]["x-amz-content-sha256"] == hashlib.sha256(b"abc").hexdigest()
    unsigned = aws.sign_request("PUT", "https://h.example/x", None, b"abc", service="s3",
                                region="us-east-1", credentials=creds, timestamp=WHEN,
                                sign_body=True, payload_hash="UNSIGNED-PAYLOAD")
    assert unsigned["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"


def test_timestamps_naive_utc_and_aware():
    naive = datetime.datetime(2015, 8, 30, 12, 36, 0)
    aware = datetime.datetime(2015, 8, 30, 14, 36, 0,
                              tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    fraction = datetime.datetime(2015, 8, 30, 12, 36, 0, 999999)
    results = {
        aws.sign_request("GET", "https://example.amazonaws.com/", None, service="service",
                         region="us-east-1", credentials=EXAMPLE, timestamp=t)["Authorization"]
        for t in (naive, aware, fraction)
    }
    assert len(results) == 1


def test_timestamp_none_is_now():
    before = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M")
    headers = aws.sign_request("GET", "https://example.amazonaws.com/", None, service="service",
                               region="us-east-1", credentials=EXAMPLE)
    after = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M")
    assert headers["X-Amz-Date"][:13] in (before, after)


def test_presign_keeps_the_urls_query_and_scheme():
    url = aws.presign_url("GET", "HTTP://Example.AmazonAWS.com:8080/a%20b?x=1&y=%2F",
                          service="service", region="us-east-1", credentials=EXAMPLE,
                          timestamp=WHEN, expires=60)
    assert url.startswith("http://Example.AmazonAWS.com:8080/a%20b?x=1&y=%2F&X-Amz-Algorithm=")
    assert "&X-Amz-Expires=60&" in url


def test_region_none_resolves_from_the_environment(aws_env):
    aws_env.set(AWS_REGION="eu-west-3")
    headers = aws.sign_request("GET", "https://h.example/", None, service="s", region=None,
                               credentials=EXAMPLE, timestamp=WHEN)
    assert "/eu-west-3/s/aws4_request" in headers["Authorization"]
    url = aws.presign_url("GET", "https://h.example/", service="s", region=None,
                          credentials=EXAMPLE, timestamp=WHEN)
    assert "%2Feu-west-3%2Fs%2Faws4_request" in url


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: aws.sign_request("GET", "ftp://h/", None, service="s", region="us-east-1",
                                  credentials=EXAMPLE), iamcore.ConfigError),
        (lambda: aws.sign_request("GET", "https://h/", {"Authorization": "x"}, service="s",
                                  region="us-east-1", credentials=EXAMPLE), iamcore.ConfigError),
        (lambda: aws.sign_request("GET", "https://h/", None, service="s", region="nope",
                                  credentials=EXAMPLE), iamcore.ConfigError),
        (lambda: aws.sign_request("G ET", "https://h/", None, service="s", region="us-east-1",
                                  credentials=EXAMPLE), iamcore.ConfigError),
        (lambda: aws.sign_request("GET", "https://h/", None, service="s", region="us-east-1",
                                  credentials="AKID"), TypeError),
        (lambda: aws.sign_request("GET", "https://h/", 5, service="s", region="us-east-1",
                                  credentials=EXAMPLE), TypeError),
        (lambda: aws.sign_request("GET", "https://h/", [("a",)], service="s", region="us-east-1",
                                  credentials=EXAMPLE), TypeError),
        (lambda: aws.sign_request("GET", "https://h/", None, 5, service="s", region="us-east-1",
                                  credentials=EXAMPLE), TypeError),
        (lambda: aws.sign_request("GET", "https://h/", None, service="s", region="us-east-1",
                                  credentials=EXAMPLE, timestamp=1440938160), TypeError),
        (lambda: aws.sign_request("GET", "https://h/", None, service="s", region="us-east-1",
                                  credentials=EXAMPLE, timestamp=datetime.datetime(1970, 1, 1)),
         iamcore.ConfigError),
        (lambda: aws.sign_request("GET", "https://h/", None, region="us-east-1",
                                  credentials=EXAMPLE), TypeError),
        (lambda: aws.presign_url("GET", "https://h/", service="s", credentials=EXAMPLE), TypeError),
        (lambda: aws.presign_url("GET", "https://h/", service="s", region="us-east-1",
                                 credentials=EXAMPLE, expires=0), iamcore.ConfigError),
        (lambda: aws.presign_url("GET", "https://h/", service="s", region="us-east-1",
                                 credentials=EXAMPLE, expires=604801), iamcore.ConfigError),
        (lambda: aws.presign_url("GET", "https://h/", service="s", region="us-east-1",
                                 credentials=EXAMPLE, expires=True), TypeError),
        (lambda: aws.presign_url("GET", "https://h/?X-Amz-Signature=1", service="s",
                                 region="us-east-1", credentials=EXAMPLE), iamcore.ConfigError),
    ],
)
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()


def test_expired_credentials_refused():
    old = aws.Credentials("AKIDEXAMPLE", "s", expiration=datetime.datetime(2015, 8, 30, 12, 0))
    with pytest.raises(iamcore.ConfigError):
        aws.sign_request("GET", "https://h/", None, service="s", region="us-east-1",
                         credentials=old, timestamp=WHEN)


def test_presign_expires_capped_by_the_credentials():
    soon = aws.Credentials("AKIDEXAMPLE", "s", expiration=WHEN + datetime.timedelta(seconds=120))
    url = aws.presign_url("GET", "https://h/", service="s", region="us-east-1", credentials=soon,
                          timestamp=WHEN, expires=3600)
    assert "&X-Amz-Expires=120&" in url
