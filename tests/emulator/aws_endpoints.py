"""AWS credential endpoints of the local emulator (README.md, section "AWS endpoints").

STS AssumeRoleWithWebIdentity (`POST /`), the ECS/EKS container credentials endpoint
(`GET /container-credentials/...`) and IMDSv2 (`/latest/...`). iam_emulator.py routes a
request here with `classify()`; `handle()` records it (with its endpoint name), takes the
next queued response meant for that endpoint and answers. Python standard library only.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import string
import threading
import time
import uuid
from xml.sax.saxutils import escape

CONTAINER_PREFIX = "/container-credentials/"
IMDS_PREFIX = "/latest/"
IMDS_TOKEN_PATH = "/latest/api/token"
IMDS_CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials"
IMDS_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
IMDS_TOKEN_HEADER = "x-aws-ec2-metadata-token"
IMDS_MAX_TTL = 21600
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
STS_VERSION = "2011-06-15"
STS_ACTION = "AssumeRoleWithWebIdentity"
FORM_TYPE = "application/x-www-form-urlencoded"
ACCOUNT = "123456789012"  # the account of roles the emulator makes up
DEFAULT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/emulator-role"
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")

# Queue endpoint name -> the method whose requests take a queued response for it.
# (iam_emulator.py joins these with the IAM and VPC names into one registry.)
QUEUE_METHODS = {"sts": "POST", "container": "GET", "imds-token": "PUT",
                 "imds-role": "GET", "imds-credentials": "GET"}
# Names recorded requests can carry: "imds" is any other path under /latest/ (always 401/404).
RECORDED_ENDPOINTS = frozenset(QUEUE_METHODS) | {"imds"}

DEFAULTS = {"credential_lifetime": 3600, "access_key_id": None, "container_auth_token": None,
            "imds_role": "iamcore-test-role", "imds_v1_allowed": False, "imds_token_status": 200,
            "delay_ms": 0}
UPPER_ALNUM = string.ascii_uppercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def classify(path: str) -> str | None:
    """The endpoint name of an AWS path, or None if the path is not an AWS one."""
    if path == "/":
        return "sts"
    if path.startswith(CONTAINER_PREFIX):
        return "container"
    if path == IMDS_TOKEN_PATH:
        return "imds-token"
    if path in (IMDS_CREDENTIALS_PATH, IMDS_CREDENTIALS_PATH + "/"):
        return "imds-role"
    if path.startswith(IMDS_CREDENTIALS_PATH + "/"):
        return "imds-credentials"
    if path.startswith(IMDS_PREFIX):
        return "imds"
    return None


def check_setting(key, value):
    if key not in DEFAULTS:
        raise ValueError(f"unknown aws setting {key!r}")
    if key in ("access_key_id", "container_auth_token"):
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"aws setting {key!r} must be a non-empty string or null")
    elif key == "imds_role":
        if not isinstance(value, str) or not value or "/" in value:
            raise ValueError("aws setting 'imds_role' must be a non-empty string without '/'")
    elif key == "imds_v1_allowed":
        if not isinstance(value, bool):
            raise ValueError("aws setting 'imds_v1_allowed' must be a boolean")
    elif key == "imds_token_status":
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
            raise ValueError("aws setting 'imds_token_status' must be an integer 100..599")
    elif key == "credential_lifetime":  # negative: credentials that are already expired
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**9:
            raise ValueError("aws setting 'credential_lifetime' must be an integer (seconds)")
    elif isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 <= value <= 10**9:  # delay_ms
        raise ValueError("aws setting 'delay_ms' must be a non-negative number")
    return value


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class AwsState:
    """The AWS settings, the issued IMDS tokens and the credential serial number."""

    def __init__(self):
        self.lock = threading.Lock()
        self.settings = dict(DEFAULTS)
        self.imds_tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.serial = 0  # never reset: every issued key and token stays distinct

    def reset(self):
        with self.lock:
            self.settings = dict(DEFAULTS)
            self.imds_tokens.clear()

    def update_settings(self, changes: dict) -> dict:
        checked = {key: check_setting(key, value) for key, value in changes.items()}
        with self.lock:
            self.settings.update(checked)
            return dict(self.settings)

    def get_settings(self) -> dict:
        with self.lock:
            return dict(self.settings)

    def next_serial(self) -> int:
        with self.lock:
            self.serial += 1
            return self.serial

    def issue_imds_token(self, ttl: int) -> str:
        n = self.next_serial()
        token = f"AQAEAemu{n}-{secrets.token_urlsafe(24)}"
        now = time.monotonic()
        with self.lock:
            for old in [t for t, expiry in self.imds_tokens.items() if expiry <= now]:
                del self.imds_tokens[old]
            self.imds_tokens[token] = now + ttl
        return token

    def imds_token_valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.imds_tokens.get(token)
        return expiry is not None and time.monotonic() < expiry

    def issue_credentials(self, settings: dict) -> dict:
        """Fresh temporary credentials; every issue has its own key, secret and token."""
        n = self.next_serial()
        now = time.time()
        key = settings["access_key_id"] or (
            "ASIA" + f"{n % 10**8:08d}" + "".join(secrets.choice(UPPER_ALNUM) for _ in range(8)))
        # Standard base64 that always holds "+", "/" and a trailing "==" (the first three
        # bytes encode as "+/+/"), so a client that forgets to percent-encode it shows.
        label = f"iamcore-emulator-session-{n}:".encode()
        size = 96 + (1 - (3 + len(label) + 96)) % 3
        token = base64.b64encode(b"\xfb\xff\xbf" + label + secrets.token_bytes(size)).decode()
        return {"AccessKeyId": key,
                "SecretAccessKey": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40)),
                "Token": token, "Expiration": iso(now + settings["credential_lifetime"]),
                "LastUpdated": iso(now)}


class Request:
    """What an endpoint needs to know about one request."""

    def __init__(self, handler, url, endpoint, form, settings):
        self.handler, self.url, self.endpoint = handler, url, endpoint
        self.method = handler.command
        self.headers = handler.headers  # case-insensitive lookup
        self.form, self.settings = form, settings
        self.aws: AwsState = handler.server.emulator.state.aws


def text(status: int, body: str, headers=None):
    return status, body.encode(), {"Content-Type": "text/plain", **(headers or {})}


def json_answer(status: int, value, content_type="application/json"):
    return status, json.dumps(value).encode(), {"Content-Type": content_type}


def error_fields(e: dict, default_code: str) -> tuple[str, str]:
    """The Code and Message of a queued "error" (either capitalisation)."""
    return (str(e.get("Code", e.get("code", default_code))),
            str(e.get("Message", e.get("message", "Emulated error"))))


# --- STS AssumeRoleWithWebIdentity -------------------------------------------------------
class Sts:
    content_type = "text/xml"

    @staticmethod
    def xml(status: int, inner: str, request_id: str):
        return status, inner.encode(), {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}

    @classmethod
    def error(cls, r: Request, status: int, code: str, message: str, kind: str = "Sender"):
        request_id = str(uuid.uuid4())
        return cls.xml(status, (
            f'<ErrorResponse xmlns="{STS_NAMESPACE}">\n'
            f"  <Error>\n    <Type>{escape(kind)}</Type>\n    <Code>{escape(code)}</Code>\n"
            f"    <Message>{escape(message)}</Message>\n  </Error>\n"
            f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"), request_id)

    @classmethod
    def queued_error(cls, r: Request, status: int, e: dict):
        code, message = error_fields(e, "EmulatedError")
        return cls.error(r, status, code, message, str(e.get("Type", "Sender")))

    @staticmethod
    def subject(token: str) -> str:
        """`sub` of a JWT-shaped token, else a digest: never the token itself."""
        parts = token.split(".")
        if len(parts) == 3:
            try:
                padded = parts[1] + "=" * (-len(parts[1]) % 4)
                payload = json.loads(base64.urlsafe_b64decode(padded))
                if isinstance(payload, dict) and isinstance(payload.get("sub"), str):
                    return payload["sub"]
            except ValueError:
                pass
        return "web-identity-" + hashlib.sha256(token.encode()).hexdigest()[:8]

    @classmethod
    def success(cls, r: Request, status: int):
        arn = r.form.get("RoleArn") or ""
        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("role/"):
            parts = DEFAULT_ROLE_ARN.split(":", 5)
        partition, account, role = parts[1], parts[4], parts[5].rsplit("/", 1)[-1]
        session = r.form.get("RoleSessionName") or "emulator-session"
        role_id = "AROA" + hashlib.sha256(arn.encode()).hexdigest()[:17].upper()
        assumed = f"arn:{partition}:sts::{account}:assumed-role/{role}/{session}"
        c = r.aws.issue_credentials(r.settings)
        request_id = str(uuid.uuid4())
        return cls.xml(status, (
            f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NAMESPACE}">\n'
            "  <AssumeRoleWithWebIdentityResult>\n    <Credentials>\n"
            f"      <AccessKeyId>{escape(c['AccessKeyId'])}</AccessKeyId>\n"
            f"      <SecretAccessKey>{escape(c['SecretAccessKey'])}</SecretAccessKey>\n"
            f"      <SessionToken>{escape(c['Token'])}</SessionToken>\n"
            f"      <Expiration>{c['Expiration']}</Expiration>\n    </Credentials>\n"
            "    <SubjectFromWebIdentityToken>"
            f"{escape(cls.subject(r.form.get('WebIdentityToken', '')))}"
            "</SubjectFromWebIdentityToken>\n    <AssumedRoleUser>\n"
            f"      <Arn>{escape(assumed)}</Arn>\n"
            f"      <AssumedRoleId>{escape(f'{role_id}:{session}')}</AssumedRoleId>\n"
            "    </AssumedRoleUser>\n  </AssumeRoleWithWebIdentityResult>\n"
            f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n"
            "  </ResponseMetadata>\n</AssumeRoleWithWebIdentityResponse>\n"), request_id)

    @classmethod
    def answer(cls, r: Request):
        if r.method != "POST":
            return cls.error(r, 405, "MethodNotAllowed", f"{r.method} is not supported; use POST")
        content_type = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != FORM_TYPE:
            return cls.error(r, 400, "InvalidParameterValue", f"Content-Type must be {FORM_TYPE}")
        form = r.form
        for name in ("Action", "Version"):
            if not form.get(name):
                return cls.error(r, 400, "MissingParameter",
                                 f"The request must contain the parameter {name}")
        if form["Action"] != STS_ACTION or form["Version"] != STS_VERSION:
            return cls.error(r, 400, "InvalidAction", f"Could not find operation "
                             f"{form['Action']} for version {form['Version']}")
        for name in ("RoleArn", "RoleSessionName", "WebIdentityToken"):
            if not form.get(name):
                return cls.error(r, 400, "MissingParameter",
                                 f"The request must contain the parameter {name}")
        parts = form["RoleArn"].split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[4] \
                or not parts[5].startswith("role/") or len(parts[5]) == len("role/"):
            return cls.error(r, 400, "InvalidParameterValue", "RoleArn is not a role ARN")
        if not SESSION_NAME.fullmatch(form["RoleSessionName"]):
            return cls.error(r, 400, "InvalidParameterValue",
                             "RoleSessionName must match [\\w+=,.@-]{2,64}")
        duration = form.get("DurationSeconds")
        if duration is not None and not (re.fullmatch(r"[0-9]{1,6}", duration)
                                         and 900 <= int(duration) <= 43200):
            return cls.error(r, 400, "InvalidParameterValue",
                             "DurationSeconds must be an integer 900..43200")
        if form["WebIdentityToken"] == "bad-token":
            return cls.error(r, 400, "InvalidIdentityToken", "The web identity token that was "
                             "passed could not be validated by AWS.")
        return cls.success(r, 200)


# --- ECS / EKS container credentials -----------------------------------------------------
class Container:
    content_type = "application/json"

    @staticmethod
    def error(status: int, code: str, message: str):
        return json_answer(status, {"code": code, "message": message})

    @classmethod
    def queued_error(cls, r: Request, status: int, e: dict):
        return cls.error(status, *error_fields(e, "EmulatedError"))

    @staticmethod
    def success(r: Request, status: int):
        c = r.aws.issue_credentials(r.settings)
        return json_answer(status, {
            "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["Token"], "Expiration": c["Expiration"],
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{r.settings['imds_role']}"})

    @classmethod
    def answer(cls, r: Request):
        if r.method != "GET":
            return cls.error(405, "MethodNotAllowed", f"{r.method} is not supported; use GET")
        expected = r.settings["container_auth_token"]
        if expected is not None and r.headers.get("Authorization") != expected:
            return cls.error(401, "AccessDenied", "Authorization header is missing or wrong")
        return cls.success(r, 200)


# --- IMDSv2 --------------------------------------------------------------------------------
class ImdsToken:
    content_type = "text/plain"

    @staticmethod
    def queued_error(r: Request, status: int, e: dict):
        return text(status, error_fields(e, "")[1])

    @staticmethod
    def ttl(r: Request) -> int | None:
        value = (r.headers.get(IMDS_TTL_HEADER) or "").strip()
        if re.fullmatch(r"[0-9]{1,6}", value) and 1 <= int(value) <= IMDS_MAX_TTL:
            return int(value)
        return None

    @classmethod
    def success(cls, r: Request, status: int):
        ttl = cls.ttl(r) or IMDS_MAX_TTL
        return text(status, r.aws.issue_imds_token(ttl), {IMDS_TTL_HEADER: str(ttl)})

    @classmethod
    def answer(cls, r: Request):
        if r.method != "PUT":
            return text(405, "405 - Method Not Allowed")
        refused = r.settings["imds_token_status"]
        if refused != 200:
            return text(refused, "")
        if cls.ttl(r) is None:
            return text(400, "400 - Bad Request")
        return cls.success(r, 200)


class ImdsGet:
    """The GETs under /latest/: a valid token (or IMDSv1 allowed) first."""
    content_type = "text/plain"

    @staticmethod
    def queued_error(r: Request, status: int, e: dict):
        return text(status, error_fields(e, "")[1])

    @staticmethod
    def success(r: Request, status: int):
        return text(status, "")

    @classmethod
    def answer(cls, r: Request):
        if r.method != "GET":
            return text(405, "405 - Method Not Allowed")
        token = r.headers.get(IMDS_TOKEN_HEADER)
        if token is None:
            authorised = r.settings["imds_v1_allowed"]
        else:  # a token that is sent must be valid, even where IMDSv1 is allowed
            authorised = r.aws.imds_token_valid(token)
        if not authorised:
            return text(401, "401 - Unauthorized")
        return cls.found(r)

    @classmethod
    def found(cls, r: Request):
        return text(404, "404 - Not Found")


class ImdsRole(ImdsGet):
    @staticmethod
    def success(r: Request, status: int):
        return text(status, r.settings["imds_role"])

    @classmethod
    def found(cls, r: Request):
        return cls.success(r, 200)


class ImdsCredentials(ImdsGet):
    @staticmethod
    def queued_error(r: Request, status: int, e: dict):
        code, message = error_fields(e, "EmulatedError")
        value = {"Code": code, "Message": message, "LastUpdated": iso(time.time())}
        return json_answer(status, value, "text/plain")

    @staticmethod
    def success(r: Request, status: int):
        c = r.aws.issue_credentials(r.settings)
        return json_answer(status, {
            "Code": "Success", "LastUpdated": c["LastUpdated"], "Type": "AWS-HMAC",
            "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["Token"], "Expiration": c["Expiration"]}, "text/plain")  # as real IMDS

    @classmethod
    def found(cls, r: Request):
        role = r.url.path[len(IMDS_CREDENTIALS_PATH) + 1:]
        if role != r.settings["imds_role"]:
            return text(404, "404 - Not Found")
        return cls.success(r, 200)


ENDPOINTS = {"sts": Sts, "container": Container, "imds-token": ImdsToken, "imds-role": ImdsRole,
             "imds-credentials": ImdsCredentials, "imds": ImdsGet}


def queued_answer(kind, r: Request, queued: dict):
    """The answer a queued response describes (README: "Queued responses")."""
    status = queued.get("status", 200)
    if queued.get("token"):
        return kind.success(r, status)
    if "error" in queued:
        return kind.queued_error(r, queued.get("status", 400), queued["error"])
    if "json" in queued:
        return json_answer(status, queued["json"])
    if "body" in queued:
        return status, queued["body"].encode(), {"Content-Type": kind.content_type}
    if status == 200:
        return kind.success(r, 200)
    return status, b"", {"Content-Type": kind.content_type}


def handle(handler, url, raw: bytes, endpoint: str):
    """Record one AWS request and answer it (called by iam_emulator.Handler.dispatch)."""
    emulator = handler.server.emulator
    take = QUEUE_METHODS.get(endpoint) == handler.command
    _, queued, _, form = handler.record_request(url, raw, endpoint, take)
    settings = emulator.state.aws.get_settings()
    chosen = queued is not None  # an empty queued object {} still counts as queued
    queued = queued or {}
    if queued.get("hang"):
        return handler.hang()
    delay_ms = queued.get("delay_ms", settings["delay_ms"])
    if delay_ms and emulator.stopping.wait(delay_ms / 1000):
        handler.close_connection = True  # stopping: drop the connection without answering
        return
    kind = ENDPOINTS[endpoint]
    r = Request(handler, url, endpoint, form, settings)
    status, body, headers = queued_answer(kind, r, queued) if chosen else kind.answer(r)
    handler.send_body(status, body, {**headers, **queued.get("headers", {})}, queued)
