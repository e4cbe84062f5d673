"""Loopback servers that fail below HTTP, for the fault matrix (test_faults.py).

The emulator covers failures inside an HTTP exchange (status codes, bodies, hangs,
stalls, truncation). These cover what it cannot: a listener that accepts and then
never reads or answers, one that hangs up at once, and HTTPS listeners whose
certificate is wrong in one precise way (self-signed, issued for another host name,
expired) next to one that is right, all made at test time with the openssl CLI.

Every server runs on threads of the test process (iamcore releases the GIL while it
waits on the network) and listens on 127.0.0.1 only.
"""

import http.server
import json
import os
import socket
import ssl
import subprocess
import threading

# A private openssl config so the result does not depend on the system's openssl.cnf.
OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = iamcore fault test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[localhost_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[wrong_host_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong-host.invalid
"""

#: What every fake HTTPS server answers: an opaque token with a lifetime.
TOKEN_ANSWER = {"access_token": "fault-tls-token", "token_type": "Bearer", "expires_in": 3600}


def _openssl(*args):
    done = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")


class Certificates:
    """A throw-away CA (``ca``) and server certificates, each a (cert, key) pair:
    ``good`` (the CA's, for localhost and 127.0.0.1), ``self_signed`` (same names, no
    CA), ``wrong_host`` (the CA's, for wrong-host.invalid only) and ``expired`` (the
    CA's, for localhost and 127.0.0.1, expired a day ago)."""

    def __init__(self, directory):
        path = lambda name: os.path.join(str(directory), name)  # noqa: E731
        cnf = path("openssl.cnf")
        with open(cnf, "w") as f:
            f.write(OPENSSL_CONFIG)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        self.ca = path("ca.pem")
        _openssl("req", "-x509", "-config", cnf, "-extensions", "ca_ext", *ec,
                 "-keyout", path("ca.key"), "-out", self.ca, "-days", "2",
                 "-subj", "/CN=iamcore fault test CA")
        self.self_signed = (path("self-signed.pem"), path("self-signed.key"))
        _openssl("req", "-x509", "-config", cnf, "-extensions", "localhost_ext", *ec,
                 "-keyout", self.self_signed[1], "-out", self.self_signed[0], "-days", "2",
                 "-subj", "/CN=localhost")
        # Issued by the CA: (name, extensions, days). -days -1 ends validity a day ago.
        for name, ext, days in (("good", "localhost_ext", "2"),
                                ("wrong_host", "wrong_host_ext", "2"),
                                ("expired", "localhost_ext", "-1")):
            cert, key, csr = path(name + ".pem"), path(name + ".key"), path(name + ".csr")
            _openssl("req", "-new", "-config", cnf, *ec, "-keyout", key, "-out", csr,
                     "-subj", "/CN=" + name)
            _openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-out", cert, "-days", days,
                     "-extfile", cnf, "-extensions", ext)
            setattr(self, name, (cert, key))


class _Listener:
    """A TCP listener on 127.0.0.1 whose connections a subclass handles."""

    scheme = "http"

    def __init__(self):
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        self.accepted = 0
        self._held = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._sock.close()
        self._thread.join(5)
        for conn in self._held:
            conn.close()

    def _serve(self):
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            self.handle(conn)

    def handle(self, conn):
        raise NotImplementedError


class SilentServer(_Listener):
    """Accepts every connection, then never reads or writes: the client's request
    sits in the socket buffers until it gives up."""

    def handle(self, conn):
        self._held.append(conn)


class ClosingServer(_Listener):
    """Accepts every connection and closes it at once: an empty reply."""

    def handle(self, conn):
        conn.close()


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.owner.requests += 1
        body = json.dumps(TOKEN_ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class TlsTokenServer:
    """An HTTPS token service on 127.0.0.1 presenting `certificate` (a (cert, key)
    pair of Certificates); it answers every POST with TOKEN_ANSWER, so a client that
    accepts the certificate (e.g. with verification disabled) gets a token;
    ``requests`` counts the requests answered."""

    def __init__(self, certificate):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self):  # no reverse DNS lookup of the address
                http.server.socketserver.TCPServer.server_bind(self)
                self.server_name, self.server_port = self.server_address[:2]

            def get_request(self):
                sock, address = self.socket.accept()
                return context.wrap_socket(sock, server_side=True,
                                           do_handshake_on_connect=False), address

            def finish_request(self, request, client_address):
                request.settimeout(5)
                request.do_handshake()  # a client refusing the certificate fails here
                request.settimeout(None)
                super().finish_request(request, client_address)

            def handle_error(self, request, client_address):
                pass  # refused handshakes are the point of these servers

        self.requests = 0
        self._server = Server(("127.0.0.1", 0), _TokenHandler)
        self._server.owner = self
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
