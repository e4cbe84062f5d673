#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/seed-*.

Two kinds of seed: answers captured from the local emulator (tests/emulator),
which speaks the same shapes as the real services, and hand-written edge cases
(the rules each parser documents, and the inputs that broke it). Inputs that a
campaign adds, and the inputs of past findings, have other names
(crash-*, and libFuzzer's hash names) and are left alone.

Run it again when a protocol shape changes; the emulator's tokens and keys are
random, so the captured files change on every run.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))
from iam_emulator import Emulator  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def call(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def iam(emu, **form):
    return call("POST", emu.http_url + "/identity/token", urllib.parse.urlencode(form).encode(), FORM)


def apikey_grant(emu):
    return iam(emu, grant_type="urn:ibm:params:oauth:grant-type:apikey", apikey="fuzz-seed-key")


def captured(emu):
    # IAM token answers under each token setting.
    variants = {
        "apikey": {},
        "refresh-token": {"issue_refresh_tokens": True},
        "opaque": {"jwt": False},
        "no-expires-in": {"expires_in": False},
        "no-expiration": {"expiration": False},
        "jwt-only": {"expires_in": False, "expiration": False},
        "issued-in-past": {"iat_offset": -7200, "lifetime": 60},
    }
    for name, settings in variants.items():
        emu.reset()
        emu.token_settings(**settings)
        status, body, _ = apikey_grant(emu)
        assert status == 200, (name, status)
        write("iam_token", name, body)
        token = json.loads(body)["access_token"]
        if name != "opaque":
            write("jwt", name, token)
        write("cr_token_file", name, token + "\n")
    emu.reset()

    # IAM errors.
    write("iam_error", "bad-key", iam(emu, grant_type="urn:ibm:params:oauth:grant-type:apikey", apikey="bad-key")[1])
    write("iam_error", "no-grant", iam(emu, apikey="x")[1])
    write("iam_error", "cr-token-missing", iam(emu, grant_type="urn:ibm:params:oauth:grant-type:cr-token")[1])
    emu.enqueue({"error": {"errorCode": "BXNIM0407E", "errorMessage": "Provided user not found",
                           "errorDetails": {"reason": "x", "n": 1}}, "status": 403})
    write("iam_error", "details-object", apikey_grant(emu)[1])

    # VPC instance metadata: both steps, both API versions, errors.
    vpc = emu.http_url
    step1 = call("PUT", vpc + "/instance_identity/v1/token?version=2022-03-01", b'{"expires_in": 300}',
                 {"Metadata-Flavor": "ibm", "Content-Type": "application/json"})[1]
    write("vpc_metadata", "identity-token", step1)
    identity = json.loads(step1)["access_token"]
    write("jwt", "vpc-identity", identity)
    auth = {"Authorization": "Bearer " + identity, "Content-Type": "application/json"}
    write("vpc_metadata", "iam-token", call("POST", vpc + "/instance_identity/v1/iam_token?version=2022-03-01",
                                            b'{"trusted_profile": {"id": "Profile-1"}}', auth)[1])
    step1b = call("PUT", vpc + "/identity/v1/token?version=2025-08-26", b"{}", {"Metadata-Flavor": "ibm"})[1]
    auth["Authorization"] = "Bearer " + json.loads(step1b)["access_token"]
    write("vpc_metadata", "iam-token-2025", call("POST", vpc + "/identity/v1/iam_tokens?version=2025-08-26",
                                                 b"{}", auth)[1])
    write("vpc_metadata", "error-version", call("PUT", vpc + "/identity/v1/token", b"{}", {"Metadata-Flavor": "ibm"})[1])
    write("vpc_metadata", "error-expires-in", call("PUT", vpc + "/identity/v1/token?version=2025-08-26",
                                                   b'{"expires_in": 7200}', {"Metadata-Flavor": "ibm"})[1])
    write("vpc_metadata", "error-unauthorized", call("POST", vpc + "/identity/v1/iam_tokens?version=2025-08-26",
                                                     b"{}", {"Authorization": "Bearer nope"})[1])
    write("iam_error", "vpc-shape", call("PUT", vpc + "/identity/v1/token?version=2025-08-26",
                                         b'{"expires_in": 1}', {"Metadata-Flavor": "ibm"})[1])

    # AWS: STS, container, IMDS.
    sts_form = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                "RoleArn": "arn:aws:iam::123456789012:role/fuzz", "RoleSessionName": "fuzz-seed",
                "WebIdentityToken": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6In0.c2ln"}
    write("sts_xml", "credentials", call("POST", emu.http_url + "/", urllib.parse.urlencode(sts_form).encode(), FORM)[1])
    sts_form["WebIdentityToken"] = "bad-token"
    write("sts_xml", "invalid-identity-token", call("POST", emu.http_url + "/", urllib.parse.urlencode(sts_form).encode(), FORM)[1])
    del sts_form["RoleArn"]
    write("sts_xml", "missing-parameter", call("POST", emu.http_url + "/", urllib.parse.urlencode(sts_form).encode(), FORM)[1])

    write("aws_container", "credentials", call("GET", emu.http_url + "/container-credentials/task-1")[1])
    emu.aws_settings(container_auth_token="fuzz-auth")
    write("aws_container", "access-denied", call("GET", emu.http_url + "/container-credentials/task-1")[1])
    emu.reset()

    status, token, _ = call("PUT", emu.http_url + "/latest/api/token", b"",
                            {"x-aws-ec2-metadata-token-ttl-seconds": "21600"})
    write("imds", "token", token)
    hdr = {"x-aws-ec2-metadata-token": token.decode()}
    write("imds", "role", call("GET", emu.http_url + "/latest/meta-data/iam/security-credentials/", None, hdr)[1])
    write("imds", "credentials", call("GET", emu.http_url + "/latest/meta-data/iam/security-credentials/iamcore-test-role", None, hdr)[1])
    emu.enqueue({"endpoint": "imds-credentials", "status": 200, "error": {"Code": "AssumeRoleUnauthorizedAccess",
                                                                          "Message": "not allowed"}})
    write("imds", "refused", call("GET", emu.http_url + "/latest/meta-data/iam/security-credentials/iamcore-test-role", None, hdr)[1])
    emu.reset()


def handwritten():
    # ---- JSON bodies shared by several targets
    broken_json = {
        "empty": "", "null": "null", "array": "[]", "string": '"access_token"', "number": "1e999",
        "not-json": "{not json", "truncated": '{"access_token": "eyJ', "html": "<html><body>502 Bad Gateway</body></html>",
        "deep": "[" * 2000 + "]" * 2000, "utf16-escape": '{"access_token": "\\ud83d\\ude00", "expires_in": 60}',
        "nul-escape": '{"access_token": "abc\\u0000def", "expires_in": 60}',
        "bom": "\ufeff{\"access_token\": \"x\", \"expires_in\": 60}",
    }
    for target in ("iam_token", "iam_error", "vpc_metadata", "aws_container", "imds", "credential_process",
                   "vcap_services"):
        for name, text in broken_json.items():
            write(target, name, text)

    # ---- IAM token answers: the expiry rules
    tokens = {
        "expiration-only": {"access_token": "opaque-1", "expiration": 1700003600},
        "no-expiry-marked": {"access_token": "opaque-SeCrEt9", "refresh_token": "refresh-SeCrEt9x"},
        "expires-in-only": {"access_token": "opaque-2", "expires_in": 3600},
        "zero-lifetime": {"access_token": "opaque-3", "expires_in": 0, "expiration": 0},
        "negative": {"access_token": "opaque-4", "expires_in": -5, "expiration": -1},
        "huge": {"access_token": "opaque-5", "expires_in": 9007199254740993, "expiration": 1e300},
        "float": {"access_token": "opaque-6", "expires_in": 0.5, "expiration": 1700000000.9},
        "strings": {"access_token": "opaque-7", "expires_in": "3600", "expiration": "1700003600"},
        "empty-token": {"access_token": "", "expires_in": 3600, "refresh_token": "r-SeCrEt9"},
        "token-not-string": {"access_token": 12345, "expires_in": 3600},
        "no-token": {"token_type": "Bearer", "expires_in": 3600},
        "refresh-literal": {"access_token": "opaque-8", "expires_in": 60, "refresh_token": "not_supported"},
        "refresh-empty": {"access_token": "opaque-9", "expires_in": 60, "refresh_token": ""},
        "control-chars": {"access_token": "abc\r\nX-Injected: 1", "expires_in": 60},
        "space": {"access_token": "abc def", "expires_in": 60},
        "duplicate-keys": '{"access_token": "a", "access_token": "b", "expires_in": 1}',
        "vpc-times": {"access_token": "opaque-10", "created_at": "2026-01-01T12:00:00Z",
                      "expires_at": "2026-01-01T13:00:00Z", "expires_in": 3600},
        "vpc-times-offset": {"access_token": "opaque-11", "created_at": "2026-01-01T13:00:00.5+01:00",
                             "expires_at": "2026-01-01t12:05:00,123z"},
        "vpc-created-after-expiry": {"access_token": "opaque-12", "created_at": "2027-01-01T00:00:00Z",
                                     "expires_at": "2026-01-01T00:00:00Z"},
        "vpc-bad-times": {"access_token": "opaque-13", "created_at": "yesterday", "expires_at": "2026-02-30T00:00:00Z"},
    }
    for name, body in tokens.items():
        text = body if isinstance(body, str) else json.dumps(body)
        write("iam_token", name, text)
        write("vpc_metadata", name, text)

    # JWTs: the header and signature are opaque; the payload carries iat/exp.
    import base64

    def b64(obj):
        raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    jwts = {
        "exp-iat": b64({"alg": "RS256"}) + "." + b64({"iat": 1700000000, "exp": 1700003600}) + ".c2ln",
        "exp-only": "x." + b64({"exp": 1700003600}) + ".",
        "iat-after-exp": "x." + b64({"iat": 1800000000, "exp": 1700000000}) + ".y",
        "exp-float": "x." + b64({"exp": 1.7e9, "iat": "now"}) + ".y",
        "exp-huge": "x." + b64({"exp": 1e300}) + ".y",
        "padded": "x." + base64.urlsafe_b64encode(b'{"exp":1}').decode() + ".y",
        "standard-alphabet": "x." + base64.b64encode(b'{"exp":1700000000,"sub":"??>>"}').decode() + ".y",
        "payload-not-json": "x." + b64(b"hello") + ".y",
        "payload-array": "x." + b64([1, 2]) + ".y",
        "bad-length": "x.abcde.y",
        "bad-char": "x.ab$d.y",
        "empty-payload": "x..y",
        "one-dot": "x.eyJleHAiOjF9",
        "many-dots": "a.b.c.d.e",
    }
    for name, token in jwts.items():
        write("jwt", name, token)
        write("iam_token", "jwt-" + name, json.dumps({"access_token": token}))

    # ---- IBM error bodies
    errors = {
        "iam-full": {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found",
                     "errorDetails": "details", "context": {"requestId": "req-1", "url": "https://iam"}},
        "message-only": {"errorMessage": "m"},
        "error-field": {"error": "invalid_grant", "error_description": "x"},
        "message-field": {"message": "m", "trace": "t-1"},
        "vpc-errors": {"errors": [{"code": "invalid_value", "message": "bad", "target": {"name": "x"}}],
                       "trace": "uuid"},
        "errors-empty": {"errors": []},
        "errors-not-objects": {"errors": [1, "two", None]},
        "context-not-object": {"errorCode": "E", "context": "c"},
        "long-fields": {"errorCode": "C" * 300, "errorMessage": "M" * 2000, "errorDetails": {"d": "D" * 2000},
                        "context": {"requestId": "R" * 500}},
        "null-details": {"errorMessage": "m", "errorDetails": None},
    }
    for name, body in errors.items():
        write("iam_error", name, json.dumps(body))
        write("vpc_metadata", "error-" + name, json.dumps(body))

    # ---- AWS credential JSON (container, IMDS, credential_process)
    creds = {
        "AccessKeyId": "ASIAFUZZSEED00000001", "SecretAccessKey": "fuzzSeedSecretKey/SeCrEt9abcdefABCDEF",
        "Token": "FwoGZXIvYXdzEFuzzSeedToken+/=", "Expiration": "2026-11-23T12:00:00Z",
    }
    aws = {
        "full": creds,
        "no-token": {k: v for k, v in creds.items() if k != "Token"},
        "no-expiration": {k: v for k, v in creds.items() if k != "Expiration"},
        "bad-expiration": dict(creds, Expiration="2026-11-23 12:00:00"),
        "no-secret": {k: v for k, v in creds.items() if k != "SecretAccessKey"},
        "empty-key": dict(creds, AccessKeyId=""),
        "numbers": dict(creds, AccessKeyId=1, Token=2),
        "code-success": dict(creds, Code="Success", Type="AWS-HMAC", LastUpdated="2026-11-23T11:00:00Z"),
        "code-refused": {"Code": "AssumeRoleUnauthorizedAccess", "Message": "denied"},
        "error-lower": {"code": "AccessDenied", "message": "no"},
        "error-upper": {"Code": "Throttling", "Message": "slow down"},
    }
    for name, body in aws.items():
        write("aws_container", name, json.dumps(body))
        write("imds", name, json.dumps(body))

    process = {
        "full": {"Version": 1, "AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                 "SessionToken": creds["Token"], "Expiration": "2026-11-23T12:00:00+00:00"},
        "static": {"Version": 1, "AccessKeyId": "AKIAFUZZ", "SecretAccessKey": "secret-SeCrEt9"},
        "null-token": {"Version": 1, "AccessKeyId": "AKIAFUZZ", "SecretAccessKey": "secretsecret",
                       "SessionToken": None, "Expiration": None},
        "epoch-expiration": {"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S",
                             "Expiration": "1970-01-01T00:00:00Z"},
        "version-2": {"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S-SeCrEt9"},
        "version-string": {"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "S"},
        "token-number": {"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S-SeCrEt9", "SessionToken": 5},
        "no-key": {"Version": 1, "SecretAccessKey": "S-SeCrEt9"},
        "bad-expiration": {"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S",
                           "SessionToken": "t-SeCrEt9", "Expiration": "soon"},
    }
    for name, body in process.items():
        write("credential_process", name, json.dumps(body))
    # Failing processes' stderr: the excerpt's input.
    stderr = {
        "sso-expired": "Error when retrieving token from sso: Token has expired and refresh failed\n",
        "multiline": "line one\n\n\tline two\r\n   line three   \n",
        "utf8-cut": "é" * 150 + "€" * 10 + "𝄞" * 10,
        "invalid-utf8": b"\xff\xfe\x80\x80\xc3" * 60 + b"\xe2\x82",
        "controls": "".join(chr(c) for c in range(0, 32)) + "\x7fend",
    }
    for name, text in stderr.items():
        write("credential_process", "stderr-" + name, text)

    # ---- STS XML
    ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'
    sts = {
        "entities": f"<AssumeRoleWithWebIdentityResponse {ns}><Credentials><AccessKeyId>ASIA&amp;1</AccessKeyId>"
                    "<SecretAccessKey>s&lt;&gt;&quot;&apos;&amp;amp;&#65;SeCrEt9</SecretAccessKey><SessionToken>t</SessionToken>"
                    "<Expiration>2026-11-23T12:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResponse>",
        "no-expiration": "<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S-SeCrEt9</SecretAccessKey></Credentials>",
        "bad-expiration": "<SecretAccessKey>S</SecretAccessKey><AccessKeyId>A</AccessKeyId>"
                          "<SessionToken>t-SeCrEt9</SessionToken><Expiration>later</Expiration>",
        "unclosed": "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S",
        "close-before-open": "</AccessKeyId><AccessKeyId>",
        "entity-at-end": "<SecretAccessKey>abc&amp</SecretAccessKey>",
        "error": "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredTokenException</Code>"
                 "<Message>Token expired: current date/time &gt; exp</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
        "attributes": '<AccessKeyId id="1">A</AccessKeyId>',
        "empty": "",
    }
    for name, text in sts.items():
        write("sts_xml", name, text)

    # ---- IMDS: tokens and role names
    imds = {
        "token-crlf": "AQAEAtoken\r\n", "token-cr": "AQAE\rX-Injected: 1", "token-nul": b"AQAE\x00rest",
        "token-space": "AQAE token", "token-long": "A" * 1100,
        "role-lines": "role-a\nrole-b\n", "role-slash": "a/b", "role-crlf": "role\r\n", "role-long": "r" * 300,
    }
    for name, text in imds.items():
        write("imds", name, text)

    # ---- ISO 8601 / RFC 3339
    times = ["2026-11-23T12:00:00Z", "2026-01-01T12:00:00.123Z", "2026-01-01t12:00:00z",
             "2024-02-29T23:59:60Z", "2023-02-29T00:00:00Z", "2026-11-23T12:00:00+05:30",
             "2026-11-23T12:00:00-0800", "2026-11-23T12:00:00,5-00:00", "0000-01-01T00:00:00+23:59",
             "9999-12-31T23:59:59-23:59", "1970-01-01T00:00:00Z", "2026-11-23T12:00:00",
             "2026-11-23 12:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T12:00:00.Z",
             "2026-11-23T12:00:00Z ", "2026-11-23T12:00:00+24:00", "2026-1-1T1:1:1Z", ""]
    for i, t in enumerate(times):
        write("iso8601", f"{i:02d}", t)

    # ---- token files
    files = {"crlf": "eyJ.eyJ.sig\r\n", "two-newlines": "tok\n\n", "empty": "", "newline": "\n", "crlf-only": "\r\n",
             "nul-first": b"\x00token", "nul-inside": b"tok\x00en", "spaces": "  token  "}
    for name, text in files.items():
        write("cr_token_file", name, text)

    # ---- HTTP header blocks
    headers = {
        "429-seconds": "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nX-Global-Transaction-ID: emu-1\r\n\r\n",
        "503-date": "HTTP/1.1 503 Service Unavailable\r\nretry-after: Wed, 21 Oct 2037 07:28:00 GMT\r\n\r\n",
        "date-past": "HTTP/1.1 429 x\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
        "huge": "HTTP/1.1 429 x\r\nRetry-After: 9223372036854775807\r\n\r\n",
        "overflow": "HTTP/1.1 429 x\r\nRetry-After: 99999999999999999999999\r\n\r\n",
        "negative": "HTTP/1.1 429 x\r\nRetry-After: -1\r\n\r\n",
        "junk": "HTTP/1.1 429 x\r\nRetry-After: soon\r\nRetry-After:\r\nRetry-After\r\n\r\n",
        "continue": "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Global-Transaction-ID:   spaced  \r\n\r\n",
        "long-id": "HTTP/2 200\r\nx-global-transaction-id: " + "i" * 400 + "\r\n\r\n",
        "no-crlf": "Retry-After: 7",
    }
    for name, text in headers.items():
        write("http_header", name, text)

    # ---- URLs
    urls = [
        "https://mydb.cluster-abc.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=iam_user",
        "https://abcdefghijklmnopqrst.dsql.eu-west-1.on.aws/?Action=DbConnectAdmin",
        "https://db.cn-north-1.rds.amazonaws.com.cn", "http://127.0.0.1:8080/container-credentials/task-1",
        "http://localhost/creds", "http://[::1]:80/x", "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials", "https://example.com:443/path%20x?q=a b&r=%2F",
        "http://user:secret@10.0.0.1/x", "ftp://example.com/", "HTTPS://EXAMPLE.COM", "/v2/credentials/abc-123",
        "/relative with space", "https://iam.cloud.ibm.com/identity/token/", "https://iam.cloud.ibm.com//",
        "http://127.0.0.1.evil.com/", "http://127.1/", "http://0x7f.0.0.1/", "https://[::1", "",
    ]
    for i, u in enumerate(urls):
        write("urls", f"{i:02d}", u)

    # ---- credential_process command lines
    commands = [
        "aws-vault exec prod --json", "/usr/local/bin/get-creds --profile 'my profile'",
        '"/opt/my tools/creds" --token "a\\"b\\\\c\\$d" x\\ y', "cmd 'unterminated", 'cmd "unterminated',
        "cmd trailing\\", "a\\\nb c\\\n", '""', "''", "   \t\r\n  ", "$HOME/bin/creds ~ * # | >",
        'a"b c"d\'e f\'g', "x" * 300,
    ]
    for i, c in enumerate(commands):
        write("aws_command_line", f"{i:02d}", c)

    # ---- AWS config / credentials files
    ini = {
        "config": "[default]\nregion = us-east-1\noutput = json\n\n[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\n"
                  "source_profile = default\nregion=eu-west-1 # comment\n\n[sso-session corp]\nsso_start_url = https://x\n",
        "credentials": "[default]\naws_access_key_id = AKIAFUZZSEED\naws_secret_access_key = fuzzSeedSecret-SeCrEt9\n"
                       "aws_session_token = FwoGFuzz\n\n[ci]\naws_access_key_id=AKIACI\naws_secret_access_key=ciSecret123456\n",
        "nested": "[profile s3]\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\nregion = us-west-2\n",
        "continuation": "[default]\ncredential_process = /bin/creds\n  --flag value\n\n  --another ; comment\nregion = x\n",
        "quoted": "[profile 'my name']\nregion = a\n[profile \"q\"]\nregion = b\n[profile bad name]\nregion = c\n",
        "default-both": "[default]\nregion = a\n[profile default]\nregion = b\n[default]\naws_access_key_id = K\n",
        "crlf-bom": "\ufeff[default]\r\nregion = us-east-1\r\n\r\n[profile x]\r\n\tregion = y\r\n",
        "nul-line": b"[default]\nregion = a\x00b\naws_access_key_id = K\n",
        "orphans": "key = before any section\n[broken\nkey = after broken header\n[ ]\n[profile]\n[Profile x]\n",
        "key-only": "[default]\naws_access_key_id = AKIAONLY\n",
        "secret-only": "[default]\naws_secret_access_key = onlySecret-SeCrEt9\naws_session_token = tok-SeCrEt9x\n",
        "process": "[default]\ncredential_process = /nonexistent/never-run\n",
        "repeated": "[default]\nregion=a\n[ci]\nx=1\n[default]\nregion=b\nREGION=c\n",
        "comments": "# c\n; c\n  # indented\n[default] ; trailing\nregion = a#b ;c\n",
        "weird-ws": "[default]\n\fregion\v=\tus-east-1\r\r\n",
    }
    for name, text in ini.items():
        write("aws_ini", name, text)

    # ---- ibm-credentials.env
    env_files = {
        "iam": "MY_SERVICE_APIKEY=fuzz-seed-apikey-SeCrEt9\nMY_SERVICE_AUTH_URL=https://iam.cloud.ibm.com\n",
        "container": "MY_SERVICE_AUTH_TYPE=container\nMY_SERVICE_IAM_PROFILE_NAME=my-profile\n"
                     "MY_SERVICE_CR_TOKEN_FILENAME=/nonexistent/token\n",
        "vpc": "MY_SERVICE_AUTH_TYPE=VPC\nMY_SERVICE_IAM_PROFILE_CRN=crn:v1:x\nMY_SERVICE_VPC_IMS_VERSION=2022-03-01\n",
        "vpc-bad-version": "MY_SERVICE_AUTH_TYPE=vpc\nMY_SERVICE_VPC_IMS_VERSION=2021-01-01\n",
        "assume": "MY_SERVICE_AUTH_TYPE=iamAssume\nMY_SERVICE_APIKEY=fuzz-seed-apikey-SeCrEt9\n"
                  "MY_SERVICE_IAM_PROFILE_NAME=p\nMY_SERVICE_IAM_ACCOUNT_ID=acct\n",
        "refresh": "MY_SERVICE_REFRESH_TOKEN=fuzz-seed-refresh-token\nMY_SERVICE_CLIENT_ID=bx\n"
                   "MY_SERVICE_CLIENT_SECRET=fuzz-seed-client-SeCrEt9\n",
        "bearer": "MY_SERVICE_AUTH_TYPE=bearerToken\nMY_SERVICE_BEARER_TOKEN=fuzz-seed-bearer\r\n",
        "basic": "MY_SERVICE_AUTHTYPE=basic\nMY_SERVICE_USERNAME=user:name\nMY_SERVICE_PASSWORD=fuzz-seed-SeCrEt9\n",
        "noauth": "MY_SERVICE_AUTH_TYPE=noauth\n",
        "unknown-type": "MY_SERVICE_AUTH_TYPE=fuzz-seed-apikey-SeCrEt9\n",
        "quoted-key": 'MY_SERVICE_APIKEY="fuzz-seed-apikey-SeCrEt9"\n',
        "bad-url": "MY_SERVICE_APIKEY=fuzz-seed-apikey-SeCrEt9\nMY_SERVICE_AUTH_URL=ftp://x y\n",
        "layout": "\ufeff# comment\n\n   \t\n  MY_SERVICE_APIKEY  =  spaced value  \r\nNO_EQUALS\n=empty key\n"
                  "MY_SERVICE_DISABLE_SSL=true\nMY_SERVICE_AUTH_DISABLE_SSL= TRUE \nOTHER_SERVICE_APIKEY=x\n",
        "nul": b"MY_SERVICE_APIKEY=abc\x00def\nMY_SERVICE_AUTH_TYPE=iam\n",
        "last-wins": "MY_SERVICE_APIKEY=first-value-123\nMY_SERVICE_APIKEY=\nMY_SERVICE_APIKEY=second-value-456\n",
        "prefix-only": "MY_SERVICE_=x\nMY_SERVICE_APIKEYS=x\n",
    }
    for name, text in env_files.items():
        write("ibm_credentials_file", name, text)

    # ---- VCAP_SERVICES
    vcap = {
        "by-name": {"cloudantNoSQLDB": [{"name": "my-service", "credentials": {
            "apikey": "fuzz-seed-vcap-SeCrEt9", "url": "https://x.cloudant.com", "username": "u"}}]},
        "by-key": {"my-service": [{"credentials": {"iam_apikey": "fuzz-seed-iam-SeCrEt9"}}]},
        "basic": {"my-service": [{"credentials": {"username": "u:x", "password": "fuzz-seed-SeCrEt9"}}]},
        "url-only": {"my-service": [{"credentials": {"url": "https://x"}}]},
        "no-credentials": {"my-service": [{"name": "my-service"}]},
        "empty-list": {"my-service": []},
        "not-lists": {"a": {"name": "my-service"}, "my-service": {"credentials": {}}},
        "other": {"svc": [{"name": "other", "credentials": {"apikey": "k"}}]},
        "edges": {"my-service": [{"credentials": {"apikey": "{fuzz-seed-SeCrEt9}", "password": 5}}]},
        "empty-apikey": {"my-service": [{"credentials": {"apikey": "", "iam_apikey": "fuzz-seed-second-key"}}]},
    }
    for name, obj in vcap.items():
        write("vcap_services", name, json.dumps(obj))


def shared_entries():
    # ---- shared-cache entry files (docs/shared-cache.md)
    head = "iamcore-shared-token 1\nissued_at 1767222000\nexpires_at 1767225600\nrefresh_at_ms 1767224880000\n"
    entries = {
        "good": head + "length 11\neyJ.abc.def\n",
        "short-length": head + "length 10\neyJ.abc.def\n",
        "long-length": head + "length 12\neyJ.abc.def\n",
        "no-newline": head + "length 11\neyJ.abc.def",
        "space-in-token": head + "length 11\neyJ abc.def\n",
        "version-2": head.replace(" 1\n", " 2\n", 1) + "length 11\neyJ.abc.def\n",
        "negative": head.replace("issued_at 1767222000", "issued_at -5") + "length 1\nx\n",
        "huge-number": head.replace("expires_at 1767225600", "expires_at 99999999999999999999999") + "length 1\nx\n",
        "leading-zeros": head.replace("issued_at 1767222000", "issued_at 0001767222000") + "length 1\nx\n",
        "exp-overflow": "iamcore-shared-token 1\nissued_at 1\nexpires_at 999999999999999999\nrefresh_at_ms 5\n"
                        "length 1\nx\n",
        "crlf": (head + "length 11\neyJ.abc.def\n").replace("\n", "\r\n"),
        "empty": "",
    }
    for name, text in entries.items():
        write("shared_entry", name, text)


def main():
    handwritten()
    shared_entries()
    with Emulator() as emu:
        captured(emu)
    for target in sorted(os.listdir(CORPUS)):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} files")


if __name__ == "__main__":
    main()
