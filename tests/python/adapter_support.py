"""Support of the adapter tests (test_adapters_*.py, test_db2.py).

RecordingServer: a loopback HTTP server that records what each request carried
(method, path, headers) and answers with JSON, or with a redirect.

    with RecordingServer() as server:          # http://127.0.0.1:<port>
        requests.get(server.url + "/x", auth=a)
        server.requests[-1]["headers"]["authorization"]

``GET /redirect?to=<url>`` answers 302 to <url>; ``/_all_dbs`` a JSON list;
everything else a JSON object. ``host="localhost"`` gives a URL with another
host name (same listener address) for redirect tests.
"""

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def emulator_claims(token):
    """The payload of an access token, checked to be one the IAM emulator issued."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if claims.get("iss") != "iamcore-emulator":
        raise AssertionError("the token was not issued by the emulator")
    return claims


def bearer_of(value):
    """The token of an 'Authorization: Bearer <token>' value, checked to come from the emulator."""
    if not value or not value.startswith("Bearer "):
        raise AssertionError("not a Bearer authorization")
    token = value[len("Bearer "):]
    emulator_claims(token)
    return token


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # silent: headers may hold tokens
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        self.server.recorded.append(
            {
                "method": self.command,
                "path": url.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
            }
        )
        if url.path == "/redirect":
            target = urllib.parse.parse_qs(url.query)["to"][0]
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if url.path == "/_all_dbs":
            body = json.dumps(["movies", "reviews"]).encode()
        else:
            body = json.dumps({"couchdb": "Welcome", "version": "3.4.2", "path": url.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer


class RecordingServer:
    def __init__(self, host="127.0.0.1"):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.recorded = []
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self):
        return self._server.recorded

    def authorization(self, index=-1):
        """The Authorization header of a recorded request, or None."""
        return self.requests[index]["headers"].get("authorization")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
