#!/usr/bin/env python3
"""Local IBM Cloud IAM token service for tests, the demo and the benchmarks.

The contract (paths, keys, defaults) is tests/emulator/README.md; the guide for users is
docs/emulator.md. Python standard library only, plus the `openssl` command line tool for the
throw-away HTTPS certificates. The Python package ships it as `iamcore.emulator`.

Run it (prints one JSON line when ready, then serves) as `python3 iam_emulator.py`,
`python -m iamcore.emulator` or `iamcore emulator`, or import `Emulator`:

    with Emulator() as emu:
        ...  # emu.http_url, emu.https_url, emu.ca_file
"""
from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import http.server
import json
import os
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs, parse_qsl, urlsplit

try:  # the AWS credential endpoints and the IBM VPC instance metadata endpoints (README.md)
    from . import aws_endpoints, vpc_endpoints
except ImportError:
    import aws_endpoints
    import vpc_endpoints

TOKEN_PATH = "/identity/token"
CONTROL_PREFIX = "/_emulator/"
GRANT_APIKEY = "urn:ibm:params:oauth:grant-type:apikey"
GRANT_CR = "urn:ibm:params:oauth:grant-type:cr-token"
GRANT_ASSUME = "urn:ibm:params:oauth:grant-type:assume"
GRANT_REFRESH = "refresh_token"
PROFILE_FIELDS = ("profile_crn", "profile_id", "profile_name")
FORM_TYPE = "application/x-www-form-urlencoded"
HANDSHAKE_TIMEOUT = 5.0  # seconds a client gets to finish the TLS handshake
SETTING_TYPES = {"lifetime": int, "iat_offset": int, "delay_ms": float,
                 "expires_in": bool, "expiration": bool, "jwt": bool,
                 "issue_refresh_tokens": bool}
ISSUE_TOKEN = object()  # marks "answer with a normal token" (a queued "json" may be null)
RESPONSE_KEYS = {"status", "json", "body", "headers", "delay_ms", "hang", "truncate", "stall",
                 "pad_bytes", "token", "error", "endpoint"}
MAX_PAD_BYTES = 16 * 1024 * 1024  # enough to exceed any client's response size cap
# Every endpoint name: queue name -> the method whose requests take a queued response for it.
QUEUE_METHODS = {"iam": "POST", **aws_endpoints.QUEUE_METHODS, **vpc_endpoints.QUEUE_METHODS}
# Names recorded requests can carry (also those of paths that never take a queued response).
RECORDED_ENDPOINTS = (frozenset(QUEUE_METHODS) | aws_endpoints.RECORDED_ENDPOINTS
                      | vpc_endpoints.RECORDED_ENDPOINTS)

# A private openssl config so the result does not depend on the system's openssl.cnf.
OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = iamcore emulator
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def make_certificates(directory: str) -> tuple[str, str, str]:
    """Create a test CA and a server certificate it signs; return (ca, cert, key) paths."""
    cnf, ca, ca_key, csr, cert, key = (os.path.join(directory, name) for name in (
        "openssl.cnf", "ca.pem", "ca.key", "server.csr", "server.pem", "server.key"))
    with open(cnf, "w") as f:
        f.write(OPENSSL_CONFIG)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for cmd in (
        ["req", "-x509", "-config", cnf, "-extensions", "ca_ext", *ec, "-keyout", ca_key,
         "-out", ca, "-days", "2", "-subj", "/CN=iamcore emulator test CA"],
        ["req", "-new", "-config", cnf, *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-out", cert, "-days", "2",
         "-set_serial", "0x" + secrets.token_hex(8), "-extfile", cnf, "-extensions", "server_ext"],
    ):
        done = subprocess.run(["openssl", *cmd], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"openssl {cmd[0]} failed: {done.stderr.strip()}")
    return ca, cert, key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def json_bytes(value) -> bytes:
    return json.dumps(value).encode()


def check_endpoint(name) -> None:
    """Validate a queued response's "endpoint"."""
    if name not in QUEUE_METHODS:
        raise ValueError(f"endpoint must be one of {sorted(QUEUE_METHODS)}")


def parse_endpoint_filter(values: list[str]) -> set[str] | None:
    """`?endpoint=sts` or `?endpoint=sts,container` (may repeat) -> a set of names, or None."""
    if not values:
        return None
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(names - RECORDED_ENDPOINTS)
    if unknown:
        raise ValueError(f"unknown endpoint {unknown}; known: {sorted(RECORDED_ENDPOINTS)}")
    return names


def subject(form: dict) -> str:
    """The token's `sub`: derived from the credential, never the API key itself."""
    if form.get("grant_type") == GRANT_APIKEY:
        return "apikey-" + hashlib.sha256(form.get("apikey", "").encode()).hexdigest()[:8]
    profile = form.get("profile_id") or form.get("profile_name") or form.get("profile_crn")
    return f"profile-{profile}" if profile else "emulator-user"


def check_setting(key, value):
    kind = SETTING_TYPES.get(key)
    if kind is None:
        raise ValueError(f"unknown token setting {key!r}")
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"token setting {key!r} must be a boolean")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"token setting {key!r} must be a number")
    if key == "delay_ms" and value < 0:
        raise ValueError("delay_ms must not be negative")
    return int(value) if kind is int else value


def check_response(r) -> dict:
    """Validate a queued response so a typo in a test fails loudly instead of being ignored."""
    if not isinstance(r, dict):
        raise ValueError("each queued response must be a JSON object")
    unknown = sorted(set(r) - RESPONSE_KEYS)
    if unknown:
        raise ValueError(f"unknown queued response keys {unknown}")
    status = r.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError("status must be an integer 100..599")
    if "body" in r and not isinstance(r["body"], str):
        raise ValueError("body must be a string")
    if "error" in r and not isinstance(r["error"], dict):
        raise ValueError("error must be an object")
    if not isinstance(r.get("headers", {}), dict):
        raise ValueError("headers must be an object")
    delay = r.get("delay_ms", 0)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError("delay_ms must be a non-negative number")
    pad = r.get("pad_bytes", 0)
    if isinstance(pad, bool) or not isinstance(pad, int) or not 0 <= pad <= MAX_PAD_BYTES:
        raise ValueError(f"pad_bytes must be an integer 0..{MAX_PAD_BYTES}")
    for key in ("hang", "truncate", "stall"):
        if not isinstance(r.get(key, False), bool):
            raise ValueError(f"{key} must be a boolean")
    if r.get("truncate") and r.get("stall"):
        raise ValueError("truncate and stall exclude each other")
    check_endpoint(r.get("endpoint", "iam"))
    return copy.deepcopy(r)


class SecretsLog:
    """With IAMCORE_EMULATOR_SECRETS_LOG set to a file: every secret the emulator receives
    or hands out (API keys, client secrets, refresh, CR, access, IMDS, container, web
    identity and VPC identity tokens, AWS secret keys and session tokens) appended to it,
    one JSON string a line, each once. The test runs read it to prove that none shows in
    anything they print or log (tests/python/secret_scan.py). For tests only."""

    FORM_FIELDS = ("apikey", "refresh_token", "cr_token", "access_token", "password",
                   "client_secret", "WebIdentityToken")
    HEADERS = ("x-aws-ec2-metadata-token", "x-amz-security-token")
    ANSWER_KEYS = ("access_token", "refresh_token", "SecretAccessKey", "Token", "SessionToken")
    XML_ELEMENT = re.compile(r"<(?:SecretAccessKey|SessionToken)>([^<]+)</")
    MIN_LENGTH = 8  # shorter values are no real secret, and too common to look for

    def __init__(self, path):
        self.path = path
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def add(self, *values):
        if not self.path:
            return
        new = [v for v in values if isinstance(v, str) and len(v) >= self.MIN_LENGTH
               and v != "not_supported"]
        with self.lock:
            new = [v for v in dict.fromkeys(new) if v not in self.seen]
            if not new:
                return
            self.seen.update(new)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("".join(json.dumps(v) + "\n" for v in new))

    def received(self, headers: dict, form: dict):
        values = [form.get(name) for name in self.FORM_FIELDS]
        values += [headers.get(name) for name in self.HEADERS]
        auth = headers.get("authorization", "")
        scheme, _, rest = auth.partition(" ")
        if scheme.lower() == "basic":
            try:
                values.append(base64.b64decode(rest).decode("utf-8").partition(":")[2])
            except ValueError:
                pass
        elif scheme.lower() == "bearer":
            values.append(rest)
        elif not auth.startswith("AWS4-"):
            values.append(auth)  # the container endpoint's token, sent as is
        self.add(*values)

    def answered(self, path: str, body: bytes):
        text = body.decode("utf-8", "replace")
        if path == aws_endpoints.IMDS_TOKEN_PATH:
            return self.add(text)
        values = self.XML_ELEMENT.findall(text)
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            values += [answer.get(key) for key in self.ANSWER_KEYS]
        self.add(*values)


SECRETS_LOG = SecretsLog(os.environ.get("IAMCORE_EMULATOR_SECRETS_LOG"))


class State:
    """Everything both listeners share. One lock guards all of it."""

    def __init__(self, lifetime: int):
        self.lock = threading.Lock()
        self.default_lifetime = lifetime
        self.settings = self._defaults()
        self.aws = aws_endpoints.AwsState()
        self.vpc = vpc_endpoints.VpcState()
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> the `sub` it was issued for
        self.requests: list[dict] = []
        self.queue: list[dict] = []
        # Serials are never reset, so tokens and transaction ids stay unique for the process.
        self.request_serial = 0
        self.token_serial = 0

    def _defaults(self) -> dict:
        return {"lifetime": self.default_lifetime, "iat_offset": 0, "delay_ms": 0,
                "expires_in": True, "expiration": True, "jwt": True,
                "issue_refresh_tokens": False}

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.queue.clear()
            self.settings = self._defaults()
            self.refresh_tokens.clear()
        self.aws.reset()
        self.vpc.reset()

    def record(self, entry: dict, take: bool) -> tuple[int, dict | None, dict]:
        """Record a request; return (serial, the next queued response for its endpoint if
        `take`, settings)."""
        with self.lock:
            self.request_serial += 1
            self.requests.append(entry)
            queued = None
            if take:
                for i, r in enumerate(self.queue):
                    if r.get("endpoint", "iam") == entry["endpoint"]:
                        queued = self.queue.pop(i)
                        break
            return self.request_serial, queued, dict(self.settings)

    def recorded(self, endpoints=None) -> list[dict]:
        with self.lock:
            return copy.deepcopy([r for r in self.requests
                                  if endpoints is None or r["endpoint"] in endpoints])

    def update_settings(self, changes: dict) -> dict:
        checked = {key: check_setting(key, value) for key, value in changes.items()}
        with self.lock:
            self.settings.update(checked)
            return dict(self.settings)

    def get_settings(self) -> dict:
        with self.lock:
            return dict(self.settings)

    def enqueue(self, responses) -> int:
        if not isinstance(responses, list):
            raise ValueError('expected {"responses": [ ... ]}')
        checked = [check_response(r) for r in responses]
        with self.lock:
            self.queue.extend(checked)
            return len(self.queue)

    def refresh_subject(self, token: str) -> str | None:
        """The `sub` a refresh token was issued for, or None if it is not one of ours."""
        with self.lock:
            return self.refresh_tokens.get(token)

    def mint_token(self, sub: str, grant: str, settings: dict) -> tuple[str, int, int]:
        """A new access token (JWT-shaped unless `jwt` is false); return (token, iat, exp)."""
        with self.lock:
            self.token_serial += 1
            n = self.token_serial
        iat = int(time.time()) + settings["iat_offset"]
        exp = iat + settings["lifetime"]
        if settings["jwt"]:
            header = {"kid": "emulator", "alg": "RS256", "typ": "JWT"}
            payload = {"iat": iat, "exp": exp, "sub": sub,
                       "grant_type": grant, "n": n, "iss": "iamcore-emulator"}
            token = ".".join(b64url(json_bytes(part)) for part in (header, payload))
            token += "." + b64url(b"emulator-signature")
        else:
            token = f"opaque-{n}-{secrets.token_hex(8)}"
        return token, iat, exp

    def issue_token(self, form: dict, settings: dict) -> dict:
        """The answer of /identity/token: an access token and, for the API key and refresh
        grants when `issue_refresh_tokens` is set, a new refresh token."""
        grant = form.get("grant_type", "")
        sub = subject(form)
        if grant == GRANT_REFRESH:
            sub = self.refresh_subject(form.get("refresh_token", "")) or sub
        token, iat, exp = self.mint_token(sub, grant, settings)
        refresh = "not_supported"
        if settings["issue_refresh_tokens"] and grant in (GRANT_APIKEY, GRANT_REFRESH):
            with self.lock:
                self.token_serial += 1
                refresh = f"emu-refresh-{self.token_serial}-{secrets.token_urlsafe(32)}"
                self.refresh_tokens[refresh] = sub
        body = {"access_token": token, "refresh_token": refresh, "token_type": "Bearer"}
        if settings["expires_in"]:
            body["expires_in"] = settings["lifetime"]
        if settings["expiration"]:
            body["expiration"] = exp
        body["scope"] = "ibm openid"
        return body


def validate(form: dict, content_type: str, authorization: str | None,
             refresh_known) -> tuple[str, str, str | None] | None:
    """IAM's checks on a token request: None if fine, else (errorCode, message, details).
    `refresh_known(token)` tells whether a refresh token is one the emulator issued."""
    def missing(what):
        return "BXNIM0109E", "Property missing or empty.", f"Property {what} either missing or empty."

    def invalid(details):
        return "BXNIM0109E", "Invalid request.", details

    if content_type.split(";")[0].strip().lower() != FORM_TYPE:
        return "BXNIM0109E", "Unsupported content type.", f"Content-Type must be {FORM_TYPE}."
    grant = form.get("grant_type")
    if not grant:
        return missing("'grant_type'")
    if grant == GRANT_APIKEY:
        if not form.get("apikey"):
            return missing("'apikey'")
        if form["apikey"] == "bad-key":
            return "BXNIM0415E", "Provided API key could not be found", None
    elif grant == GRANT_CR:
        if not form.get("cr_token"):
            return missing("'cr_token'")
        if not any(form.get(k) for k in ("profile_id", "profile_name", "profile_crn")):
            return missing("'profile_id', 'profile_name' or 'profile_crn'")
    elif grant == GRANT_ASSUME:
        if not form.get("access_token"):
            return missing("'access_token'")
        profiles = [name for name in PROFILE_FIELDS if form.get(name)]
        if not profiles:
            return missing("'profile_crn', 'profile_id' or 'profile_name' with 'account'")
        if len(profiles) > 1:
            return invalid(f"Only one of 'profile_crn', 'profile_id' or 'profile_name' may be "
                           f"given (got {', '.join(profiles)}).")
        if profiles == ["profile_name"] and not form.get("account"):
            return missing("'account'")
        if form.get("scope"):
            return invalid("Property 'scope' is not allowed with the assume grant.")
        if (authorization or "").strip().lower().startswith("basic"):
            return invalid("Basic authorization is not allowed with the assume grant.")
    elif grant == GRANT_REFRESH:
        if not form.get("refresh_token"):
            return missing("'refresh_token'")
        if not refresh_known(form["refresh_token"]):
            return "BXNIM0408E", "Provided refresh token is invalid or expired", None
    else:
        return "BXNIM0109E", "Unsupported grant type.", f"Grant type {grant!r} is not supported."
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries a Content-Length

    def version_string(self):
        return "iamcore-emulator"

    def log_message(self, fmt, *args):  # silent unless --verbose; never logs bodies
        if self.server.emulator.verbose:
            sys.stderr.write(f"iam_emulator: {self.server.scheme} {fmt % args}\n")

    def do_POST(self):
        self.dispatch()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def dispatch(self):
        url = urlsplit(self.path)
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.send_json(400, {"error": "bad Content-Length or chunk size"})
        if url.path.startswith(CONTROL_PREFIX):
            self.control(url.path[len(CONTROL_PREFIX):], body, url.query)
        elif url.path == TOKEN_PATH:
            self.token_endpoint(url, body)
        elif endpoint := vpc_endpoints.classify(url.path):
            vpc_endpoints.handle(self, url, body, endpoint)
        elif endpoint := aws_endpoints.classify(url.path):
            aws_endpoints.handle(self, url, body, endpoint)
        else:
            self.send_json(404, {"error": "not found", "method": self.command, "path": url.path})

    def send_json(self, status: int, value, headers=None):
        self.send_body(status, json_bytes(value), headers or {})

    def send_body(self, status: int, body: bytes, headers: dict, queued: dict | None = None):
        """Answer; a queued response's `pad_bytes`, `truncate` and `stall` shape the body."""
        queued = queued or {}
        truncate, stall = bool(queued.get("truncate")), bool(queued.get("stall"))
        body += b" " * queued.get("pad_bytes", 0)  # white space after JSON keeps it valid
        path = urlsplit(self.path).path
        if not path.startswith(CONTROL_PREFIX):
            SECRETS_LOG.answered(path, body)
        merged = {"content-type": ("Content-Type", "application/json")}
        for name, value in headers.items():  # later names win, case-insensitively
            merged[name.lower()] = (name, str(value))
        self.send_response(status)
        for name, value in merged.values():
            self.send_header(name, value)
        cut = truncate or stall
        if "content-length" not in merged:
            # truncate / stall: announce the whole body (at least 1 byte), send half of it.
            self.send_header("Content-Length", str(max(len(body), 1) if cut else len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if cut else body)
        if truncate:
            self.close_connection = True
        elif stall:
            self.wfile.flush()
            self.hang()  # the rest never comes

    # --- control API -------------------------------------------------------------------
    def control(self, name: str, raw: bytes, query: str = ""):
        state = self.server.emulator.state
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return self.send_json(400, {"error": "request body is not JSON"})
        route = (self.command, name)
        try:
            if route == ("POST", "reset"):
                state.reset()
                return self.send_json(200, {"ok": True})
            if route == ("GET", "requests"):
                wanted = parse_endpoint_filter(parse_qs(query).get("endpoint", []))
                requests = state.recorded(wanted)
                return self.send_json(200, {"count": len(requests), "requests": requests})
            if route == ("GET", "token-settings"):
                return self.send_json(200, state.get_settings())
            if route == ("GET", "aws-settings"):
                return self.send_json(200, state.aws.get_settings())
            if not isinstance(data, dict):
                raise ValueError("request body must be a JSON object")
            if route == ("POST", "token-settings"):
                return self.send_json(200, state.update_settings(data))
            if route == ("POST", "aws-settings"):
                return self.send_json(200, state.aws.update_settings(data))
            if route == ("POST", "enqueue"):
                return self.send_json(200, {"queued": state.enqueue(data.get("responses"))})
        except ValueError as e:
            return self.send_json(400, {"error": str(e)})
        self.send_json(404, {"error": "unknown control request", "method": self.command,
                             "path": CONTROL_PREFIX + name})

    # --- token endpoint ----------------------------------------------------------------
    def record_request(self, url, raw: bytes, endpoint: str, take: bool, body_json=False):
        """Record a request (IAM, AWS or VPC); return (serial, queued response, settings, form).
        `body_json`: the body is JSON (VPC): record it under "json" and leave "form" empty."""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        text = raw.decode("utf-8", "replace")
        form: dict[str, str] = {}
        entry = {"method": self.command, "path": url.path, "query": url.query, "headers": headers,
                 "body": text, "form": form, "time": time.time(), "scheme": self.server.scheme,
                 "endpoint": endpoint, "client_port": self.client_address[1]}
        if body_json:
            try:
                entry["json"] = json.loads(text) if text.strip() else None
            except ValueError:
                entry["json"] = None
        else:
            for name, value in parse_qsl(text, keep_blank_values=True):
                form.setdefault(name, value)  # a repeated field keeps its first value
        SECRETS_LOG.received(headers, form)
        # Recorded before any delay or hang, so a test can see that the request arrived.
        n, queued, settings = self.server.emulator.state.record(entry, take)
        return n, queued, settings, form

    def token_endpoint(self, url, raw: bytes):
        emulator = self.server.emulator
        n, queued, settings, form = self.record_request(url, raw, "iam", self.command == "POST")
        chosen = queued is not None  # an empty queued object {} still counts as queued
        queued = queued or {}
        if queued.get("hang"):
            return self.hang()
        delay_ms = queued.get("delay_ms", settings["delay_ms"])
        if delay_ms and emulator.stopping.wait(delay_ms / 1000):
            self.close_connection = True  # stopping: drop the connection without answering
            return

        def error(code, message, details=None):
            value = {"errorCode": code, "errorMessage": message}
            if details:
                value["errorDetails"] = details
            value["context"] = {"requestId": f"emu-req-{n}", "url": self.server.base_url}
            return value

        status, body = 200, ISSUE_TOKEN
        if self.command != "POST":
            status, body = 405, error("BXNIM0109E", "Method not allowed.",
                                      f"{self.command} is not allowed on {TOKEN_PATH}.")
        elif not chosen:
            problem = validate(form, self.headers.get("Content-Type", ""),
                               self.headers.get("Authorization"), emulator.state.refresh_subject)
            if problem:
                status, body = 400, error(*problem)
        elif queued.get("token"):
            status = queued.get("status", 200)
        elif "error" in queued:
            e = queued["error"]
            status = queued.get("status", 400)
            body = error(e.get("errorCode", "BXNIM0000E"), e.get("errorMessage", "Emulated error"),
                         e.get("errorDetails"))
        elif "json" in queued:
            status, body = queued.get("status", 200), queued["json"]
        elif "body" in queued:
            status, body = queued.get("status", 200), queued["body"]
        else:
            status = queued.get("status", 200)
            body = ISSUE_TOKEN if status == 200 else ""  # no content: token if 200, else empty

        if body is ISSUE_TOKEN:
            body = emulator.state.issue_token(form, settings)
        data = body.encode() if isinstance(body, str) else json_bytes(body)
        extra = {"X-Global-Transaction-ID": f"emu-{n}", **queued.get("headers", {})}
        self.send_body(status, data, extra, queued)

    def hang(self):
        """Never answer; return when the client closes (or sends more) or the emulator stops."""
        self.close_connection = True
        stopping = self.server.emulator.stopping
        while not stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                return


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog: benchmarks open many connections at once

    def __init__(self, emulator: "Emulator", host: str, port: int, scheme: str, tls=None):
        self.emulator, self.scheme, self.tls = emulator, scheme, tls
        self.serving = False
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.connections: set = set()
        self.connections_lock = threading.Lock()
        super().__init__((host, port), Handler)
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"{scheme}://{shown}:{self.server_address[1]}"

    def server_bind(self):
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, address = self.socket.accept()
        # http.server writes the headers and the body separately; without TCP_NODELAY, Nagle
        # plus the client's delayed ACK adds ~40 ms to every answer on a kept-alive connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            # Handshake later, in the connection's own thread (see finish_request), so a
            # slow or silent client never blocks the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def finish_request(self, request, client_address):
        if self.tls:
            request.settimeout(HANDSHAKE_TIMEOUT)
            request.do_handshake()  # a client rejecting our certificate fails here: handle_error
            request.settimeout(None)
        super().finish_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # Aborted handshakes and clients that hang up are normal in tests: no tracebacks.
        if self.emulator.verbose:
            sys.stderr.write(f"iam_emulator: {self.scheme} {client_address}: {sys.exc_info()[1]!r}\n")

    def close_connections(self):
        """Wake every thread blocked on an idle keep-alive connection."""
        with self.connections_lock:
            connections = list(self.connections)
        for sock in connections:
            try:  # the plain-socket method, so an SSL socket's state is left alone
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class Emulator:
    """The emulator in-process: start() creates the certificates and both listeners."""

    def __init__(self, host="127.0.0.1", http_port=0, https_port=0, lifetime=3600, verbose=False):
        self.host, self.http_port, self.https_port = host, http_port, https_port
        self.verbose = verbose
        self.state = State(lifetime)
        self.stopping = threading.Event()  # releases hangs and delays when set
        self.servers: list[Server] = []
        self.tmpdir = self.ca_file = self.http_url = self.https_url = None

    def start(self) -> "Emulator":
        self.stopping.clear()
        self.tmpdir = tempfile.mkdtemp(prefix="iamemu-")
        try:
            self.ca_file, cert, key = make_certificates(self.tmpdir)
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(cert, key)
            tls.set_alpn_protocols(["http/1.1"])
            self.servers.append(Server(self, self.host, self.http_port, "http"))
            self.servers.append(Server(self, self.host, self.https_port, "https", tls))
        except BaseException:
            self.stop()
            raise
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                             name=f"iam-emulator-{server.scheme}", daemon=True).start()
            server.serving = True
        self.http_url, self.https_url = (s.base_url for s in self.servers)
        return self

    def stop(self):
        """Stop both listeners, drop open connections, remove the certificates. Idempotent."""
        self.stopping.set()
        servers, self.servers = self.servers, []
        for server in servers:
            if server.serving:  # shutdown() would wait forever on a server never started
                server.shutdown()
            server.close_connections()
            server.server_close()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # In-process shortcuts for the control API.
    def reset(self):
        self.state.reset()

    def enqueue(self, *responses) -> int:
        return self.state.enqueue(list(responses))

    def token_settings(self, **changes) -> dict:
        return self.state.update_settings(changes)

    def aws_settings(self, **changes) -> dict:
        return self.state.aws.update_settings(changes)

    def requests(self, endpoint=None) -> list[dict]:
        """Recorded requests; `endpoint`: a name or a list of names to keep."""
        if isinstance(endpoint, str):
            endpoint = [endpoint]
        return self.state.recorded(parse_endpoint_filter(endpoint or []))


def service_prefix(name: str) -> str:
    """IBM's environment property prefix of a service: `my-service` -> `MY_SERVICE`."""
    return name.upper().replace("-", "_").replace(" ", "_")


def env_lines(emulator: Emulator, services=()) -> list[str]:
    """Shell `export` lines that point iamcore and the IBM and AWS SDKs at `emulator`."""
    http = emulator.http_url
    values = [("IAMCORE_EMULATOR_HTTP", http), ("IAMCORE_EMULATOR_HTTPS", emulator.https_url),
              ("IAMCORE_EMULATOR_CA_FILE", emulator.ca_file)]
    values += [(service_prefix(name) + "_AUTH_URL", http) for name in services]
    values += [("AWS_ENDPOINT_URL_STS", http),
               ("AWS_CONTAINER_CREDENTIALS_FULL_URI", http + "/container-credentials/local"),
               ("AWS_EC2_METADATA_SERVICE_ENDPOINT", http)]
    lines = [f"export {name}={shlex.quote(value)}" for name, value in values]
    if not services:
        lines.insert(3, f"# <SERVICE>_AUTH_URL={http}  (--service NAME prints it for a service)")
    return lines


def service_name(value: str) -> str:
    if not value or not all(c.isalnum() or c in "-_ " for c in value):
        raise argparse.ArgumentTypeError("a service name is letters, digits, '-', '_' and spaces")
    return value


def main(argv=None, prog=None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Local IBM Cloud IAM, IBM VPC instance metadata and AWS credential endpoints "
                    "for offline tests. Serves HTTP and HTTPS (a throw-away test CA) on loopback "
                    "until stopped. When ready it prints one JSON line: "
                    '{"http": URL, "https": URL, "ca_file": PATH, "pid": N}.')
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on [127.0.0.1]")
    parser.add_argument("--http-port", "--port", type=int, default=0, metavar="N",
                        help="HTTP port, 0 = a free one [0]")
    parser.add_argument("--https-port", type=int, default=0, metavar="N",
                        help="HTTPS port, 0 = a free one [0]")
    parser.add_argument("--lifetime", type=int, default=3600,
                        help="default token lifetime in seconds (restored by reset) [3600]")
    parser.add_argument("--print-env", action="store_true",
                        help="print shell `export` lines for iamcore and the IBM and AWS SDKs "
                             "instead of the JSON line")
    parser.add_argument("--service", action="append", default=[], type=service_name,
                        metavar="NAME",
                        help="with --print-env: also print NAME's <SERVICE>_AUTH_URL (repeatable)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="shut down when standard input reaches end of file")
    parser.add_argument("--verbose", action="store_true",
                        help="log one line per request and connection error to stderr (no bodies)")
    args = parser.parse_args(argv)
    if args.service and not args.print_env:
        parser.error("--service only applies with --print-env")

    quit_event = threading.Event()
    # Installed before start(), so a signal during start-up still ends in stop() and cleanup.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: quit_event.set())
    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while os.read(sys.stdin.fileno(), 65536):
                    pass
            except (OSError, ValueError):
                pass
            quit_event.set()
        threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()

    emulator = Emulator(args.host, args.http_port, args.https_port, args.lifetime, args.verbose)
    try:
        emulator.start()
        if args.print_env:
            print("\n".join(env_lines(emulator, args.service)), flush=True)
        else:
            print(json.dumps({"http": emulator.http_url, "https": emulator.https_url,
                              "ca_file": emulator.ca_file, "pid": os.getpid()}), flush=True)
        while not quit_event.wait(0.5):
            pass
    except (RuntimeError, OSError) as e:
        print(f"iam_emulator: {e}", file=sys.stderr)
        return 1
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
