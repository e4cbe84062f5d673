"""IBM VPC instance metadata endpoints of the local emulator (README.md, "IBM VPC instance
metadata").

Two steps, in two API versions (the `version` query parameter picks the version):

    step                        2022-03-01 .. 2025-08-25               any version >= 2022-03-01
    identity token   (PUT)      /instance_identity/v1/token            /identity/v1/token
    IAM access token (POST)     /instance_identity/v1/iam_token        /identity/v1/iam_tokens

iam_emulator.py routes a request here with `classify()`; `handle()` records it (endpoint
"vpc-token", "vpc-iam-token" or "vpc"), takes the next queued response meant for it and
answers. The IAM access tokens come from the emulator's IAM state, so they follow the token
settings. Python standard library only.
"""
from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import time
import uuid
from urllib.parse import parse_qs

try:  # the queued-response rules are the same as for the AWS endpoints
    from . import aws_endpoints
except ImportError:
    import aws_endpoints

OLD_PREFIX = "/instance_identity/"
NEW_PREFIX = "/identity/v1/"
# path -> (endpoint name, True for the paths the 2025-08-26 version removed)
PATHS = {
    "/instance_identity/v1/token": ("vpc-token", True),
    "/instance_identity/v1/iam_token": ("vpc-iam-token", True),
    "/identity/v1/token": ("vpc-token", False),
    "/identity/v1/iam_tokens": ("vpc-iam-token", False),
}
FIRST_VERSION = datetime.date(2022, 3, 1)  # the first version with identity tokens
NEW_PATHS_VERSION = datetime.date(2025, 8, 26)  # from here on /instance_identity/... is 404
METADATA_FLAVOR = "ibm"
DEFAULT_EXPIRES_IN, MIN_EXPIRES_IN, MAX_EXPIRES_IN = 300, 5, 3600
CR_GRANT = "urn:ibm:params:oauth:grant-type:cr-token"  # the grant IAM uses for a compute resource
INSTANCE_CRN = "crn:v1:bluemix:public:is:us-south-1:a/emulator::instance:0717_emulator"

# Queue endpoint name -> the method whose requests take a queued response for it.
QUEUE_METHODS = {"vpc-token": "PUT", "vpc-iam-token": "POST"}
# "vpc": any other path under /instance_identity/ or /identity/v1/ (always 404, never queued).
RECORDED_ENDPOINTS = frozenset(QUEUE_METHODS) | {"vpc"}


def classify(path: str) -> str | None:
    """The endpoint name of a VPC metadata path, or None if the path is not one."""
    if path in PATHS:
        return PATHS[path][0]
    if path.startswith(OLD_PREFIX) or path.startswith(NEW_PREFIX):
        return "vpc"
    return None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def iso(epoch: float, millis: bool) -> str:
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return text + (f".{int(epoch * 1000) % 1000:03d}Z" if millis else "Z")


class VpcState:
    """The instance identity tokens the emulator issued (reset forgets them)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.serial = 0  # never reset: every token stays distinct

    def reset(self):
        with self.lock:
            self.tokens.clear()

    def issue(self, expires_in: int) -> dict:
        now, mono = time.time(), time.monotonic()
        with self.lock:
            self.serial += 1
            n = self.serial
            for old in [t for t, expiry in self.tokens.items() if expiry <= mono]:
                del self.tokens[old]
        header = {"alg": "RS256", "kid": "emulator-vpc", "typ": "JWT"}
        payload = {"iss": "iamcore-emulator", "sub": INSTANCE_CRN, "iat": int(now),
                   "exp": int(now) + expires_in, "n": n, "nonce": secrets.token_hex(8)}
        token = ".".join(b64url(json.dumps(part).encode()) for part in (header, payload))
        token += "." + b64url(b"emulator-signature")
        with self.lock:
            self.tokens[token] = mono + expires_in
        return {"access_token": token, "created_at": iso(now, True),
                "expires_at": iso(now + expires_in, True), "expires_in": expires_in}

    def valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.tokens.get(token)
        return expiry is not None and time.monotonic() < expiry


class Problem(Exception):
    """A request check failed: the answer is a VPC error body with this status."""

    def __init__(self, status: int, code: str, message: str, target: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target


def error_answer(status: int, code: str, message: str, target=None):
    error = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    value = {"errors": [error], "status_code": status, "trace": str(uuid.uuid4())}
    return aws_endpoints.json_answer(status, value)


def problem_answer(p: Problem):
    return error_answer(p.status, p.code, p.message, p.target)


class Request:
    """What an endpoint needs to know about one request."""

    def __init__(self, handler, url, endpoint, raw: bytes, settings):
        self.handler, self.url, self.endpoint, self.raw = handler, url, endpoint, raw
        self.method = handler.command
        self.headers = handler.headers  # case-insensitive lookup
        self.settings = settings  # the token settings
        self.emulator_state = handler.server.emulator.state
        self.vpc: VpcState = self.emulator_state.vpc

    def check_method(self):
        wanted = QUEUE_METHODS[self.endpoint]
        if self.method != wanted:
            raise Problem(405, "method_not_allowed",
                          f"{self.method} is not allowed on {self.url.path}; use {wanted}")

    def check_version(self):
        values = parse_qs(self.url.query, keep_blank_values=True).get("version", [])
        target = {"name": "version", "type": "parameter"}
        if not values or not values[0]:
            raise Problem(400, "missing_version", "The version query parameter is required.",
                          target)
        try:
            version = datetime.date.fromisoformat(values[0])
            if len(values[0]) != 10:
                raise ValueError
        except ValueError:
            version = None
        if version is None or version < FIRST_VERSION:
            raise Problem(400, "invalid_version", "The version query parameter must be a date "
                          f"YYYY-MM-DD, {FIRST_VERSION} or later.", {**target, "value": values[0]})
        if PATHS[self.url.path][1] and version >= NEW_PATHS_VERSION:
            raise Problem(404, "not_found", f"{self.url.path} does not exist in version "
                          f"{values[0]}; use the /identity/v1/ paths from {NEW_PATHS_VERSION} on.")

    def json_body(self) -> dict:
        """The body as a JSON object; an empty body is {}."""
        text = self.raw.decode("utf-8", "replace")
        if not text.strip():
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise Problem(400, "invalid_body", "The request body must be a JSON object.")
        return value


def field_problem(name: str, message: str, value=None) -> Problem:
    target = {"name": name, "type": "field"}
    if value is not None:
        target["value"] = value if isinstance(value, str) else json.dumps(value)
    return Problem(400, "invalid_value", message, target)


# --- step 1: the instance identity token ------------------------------------------------
class IdentityToken:
    content_type = "application/json"

    @staticmethod
    def expires_in(r: Request) -> int:
        value = r.json_body().get("expires_in", DEFAULT_EXPIRES_IN)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not MIN_EXPIRES_IN <= value <= MAX_EXPIRES_IN:
            raise field_problem("expires_in", f"expires_in must be an integer {MIN_EXPIRES_IN}.."
                                f"{MAX_EXPIRES_IN}.", value)
        return value

    @staticmethod
    def queued_error(r: Request, status: int, e: dict):
        code, message = aws_endpoints.error_fields(e, "emulated_error")
        return error_answer(status, code, message, e.get("target"))

    @classmethod
    def success(cls, r: Request, status: int):
        try:
            expires_in = cls.expires_in(r)
        except Problem:  # a queued answer replaces the checks: use the default lifetime
            expires_in = DEFAULT_EXPIRES_IN
        return aws_endpoints.json_answer(status, r.vpc.issue(expires_in))

    @classmethod
    def answer(cls, r: Request):
        try:
            r.check_method()
            r.check_version()
            if r.headers.get("Metadata-Flavor") != METADATA_FLAVOR:
                raise Problem(400, "missing_metadata_flavor",
                              f"The Metadata-Flavor header must be {METADATA_FLAVOR!r}.",
                              {"name": "Metadata-Flavor", "type": "header"})
            expires_in = cls.expires_in(r)
        except Problem as p:
            return problem_answer(p)
        return aws_endpoints.json_answer(200, r.vpc.issue(expires_in))


# --- step 2: an IAM access token for the instance's trusted profile -----------------------
class IamToken:
    content_type = "application/json"
    queued_error = IdentityToken.queued_error

    @staticmethod
    def profile(r: Request) -> str:
        """The token's `sub`: profile-<id or crn>, or profile-vpc-default."""
        body = r.json_body()
        unknown = sorted(set(body) - {"trusted_profile"})
        if unknown:
            raise field_problem(unknown[0], f"Unknown field {unknown[0]!r}.")
        if "trusted_profile" not in body:
            return "profile-vpc-default"
        profile = body["trusted_profile"]
        if not isinstance(profile, dict):
            raise field_problem("trusted_profile", "trusted_profile must be an object with "
                                "either 'id' or 'crn'.", profile)
        keys = sorted(profile)
        if keys not in (["id"], ["crn"]):
            raise field_problem("trusted_profile", "trusted_profile must have exactly one of "
                                f"'id' or 'crn' (got {keys}).", profile)
        value = profile[keys[0]]
        if not isinstance(value, str) or not value:
            raise field_problem(f"trusted_profile.{keys[0]}",
                                f"trusted_profile.{keys[0]} must be a non-empty string.", value)
        return f"profile-{value}"

    @staticmethod
    def iam_answer(r: Request, status: int, sub: str):
        token, iat, exp = r.emulator_state.mint_token(sub, CR_GRANT, r.settings)
        body = {"access_token": token, "created_at": iso(iat, False)}
        if r.settings["expiration"]:
            body["expires_at"] = iso(exp, False)
        if r.settings["expires_in"]:
            body["expires_in"] = r.settings["lifetime"]
        return aws_endpoints.json_answer(status, body)

    @classmethod
    def success(cls, r: Request, status: int):
        try:
            sub = cls.profile(r)
        except Problem:  # a queued answer replaces the checks
            sub = "profile-vpc-default"
        return cls.iam_answer(r, status, sub)

    @classmethod
    def answer(cls, r: Request):
        try:
            r.check_method()
            r.check_version()
            auth = r.headers.get("Authorization") or ""
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not r.vpc.valid(token.strip()):
                raise Problem(401, "not_authorized", "The Authorization header must be 'Bearer "
                              "<instance identity token>' with an unexpired token from this "
                              "service.", {"name": "Authorization", "type": "header"})
            sub = cls.profile(r)
        except Problem as p:
            return problem_answer(p)
        return cls.iam_answer(r, 200, sub)


class Other:
    """Any other path under /instance_identity/ or /identity/v1/."""

    @staticmethod
    def answer(r: Request):
        return error_answer(404, "not_found", f"{r.method} {r.url.path} is not emulated.")


ENDPOINTS = {"vpc-token": IdentityToken, "vpc-iam-token": IamToken, "vpc": Other}


def handle(handler, url, raw: bytes, endpoint: str):
    """Record one VPC request and answer it (called by iam_emulator.Handler.dispatch)."""
    emulator = handler.server.emulator
    take = QUEUE_METHODS.get(endpoint) == handler.command
    _, queued, settings, _ = handler.record_request(url, raw, endpoint, take, body_json=True)
    chosen = queued is not None  # an empty queued object {} still counts as queued
    queued = queued or {}
    if queued.get("hang"):
        return handler.hang()
    # The token settings' delay_ms is for IAM access tokens: step 2 only.
    delay_ms = queued.get("delay_ms", settings["delay_ms"] if endpoint == "vpc-iam-token" else 0)
    if delay_ms and emulator.stopping.wait(delay_ms / 1000):
        handler.close_connection = True  # stopping: drop the connection without answering
        return
    kind = ENDPOINTS[endpoint]
    r = Request(handler, url, endpoint, raw, settings)
    if chosen:
        status, body, headers = aws_endpoints.queued_answer(kind, r, queued)
    else:
        status, body, headers = kind.answer(r)
    handler.send_body(status, body, {**headers, **queued.get("headers", {})}, queued)
