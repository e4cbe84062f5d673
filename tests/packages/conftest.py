"""Fixtures of the package tests (docs/packaging.md): the distributions in dist/, the
emulator, a loopback service, and `bare`, which runs a command where nothing can be
built and iamcore's system libraries cannot be loaded.

Run by scripts/test-packages.sh after scripts/package.sh, as root (the bare view is a
private mount namespace) and inside a network namespace that has only loopback.
"""

import http.server
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("IAMCORE_DIST", ROOT / "dist"))
VERSION = json.loads((ROOT / "package.json").read_text())["version"]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# What `bare` hides: the compilers, every header (libcurl, cJSON, OpenSSL, Python, Node),
# the pkg-config files, and -- by bind-mounting /dev/null over each file -- every shared
# library that the in-tree builds link beyond glibc, libgcc and libz.
TOOLS = ("cc", "c++", "gcc", "g++", "cpp", "clang", "make", "as", "ld")
HEADER_DIRS = ("/usr/include", "/usr/local/include", "/usr/lib/gcc",
               "/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/share/pkgconfig",
               "/usr/local/lib/pkgconfig", sysconfig.get_paths()["include"],
               os.path.expanduser("~/.cache/node-gyp"))
BARE_SCRIPT = r"""set -e
IFS='
'
for f in $BARE_FILES; do mount --bind /dev/null "$f"; done
for d in $BARE_DIRS; do mount -t tmpfs -o ro,size=16k tmpfs "$d"; done
unset BARE_FILES BARE_DIRS
exec "$@"
"""


def in_tree_builds():
    """The extension and addon scripts/build.sh made, with their libraries anchors
    (csrc/libs/): linked to the system's libraries."""
    package = ROOT / "python" / "iamcore"
    found = [sorted(package.glob(pattern)) for pattern in ("_native*.so", "_libcurl*.so",
                                                             "_libcrypto*.so")]
    addon = ROOT / "build" / "Release" / "iamcore.node"
    addon_anchor = ROOT / "build" / "Release" / "iamcore_libcurl.node"
    if not all(found) or not addon.exists() or not addon_anchor.exists():
        pytest.fail("the in-tree builds are missing: run scripts/build.sh first")
    return [files[0] for files in found] + [addon, addon_anchor]


@pytest.fixture(scope="session")
def bare_view():
    if os.geteuid() != 0:
        pytest.fail("the package tests hide files with mount namespaces: run them as root")
    libs = subprocess.run([sys.executable, str(ROOT / "scripts" / "bundle_libs.py"), "--deps",
                           *map(str, in_tree_builds())],
                          check=True, capture_output=True, text=True).stdout.split()
    assert any("/libcurl.so" in p for p in libs) and any("/libcjson.so" in p for p in libs)
    tools = {os.path.realpath(shutil.which(t)) for t in TOOLS if shutil.which(t)}
    dirs = [d for d in HEADER_DIRS if os.path.isdir(d)]
    return {"BARE_FILES": "\n".join(sorted(tools) + libs), "BARE_DIRS": "\n".join(dirs),
            "libs": libs}


def run(cmd, cwd=None, env=None, timeout=600, prefix=()):
    """subprocess.run of cmd with env's entries added to os.environ (None removes one)."""
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = str(value)
    return subprocess.run([*prefix, *map(str, cmd)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def bare(bare_view):
    """bare(cmd, cwd=..., env={...}) -> CompletedProcess: cmd run in a private mount
    namespace without compilers, headers, pkg-config files and the system's libcurl, cJSON,
    OpenSSL and their dependencies."""
    hide = {"BARE_FILES": bare_view["BARE_FILES"], "BARE_DIRS": bare_view["BARE_DIRS"]}

    def run_bare(cmd, cwd=None, env=None, timeout=600):
        return run(cmd, cwd, {**(env or {}), **hide}, timeout,
                   prefix=("unshare", "--mount", "--propagation", "private",
                           "sh", "-c", BARE_SCRIPT, "sh"))

    return run_bare


def dist_file(pattern):
    found = sorted(DIST.glob(pattern))
    if len(found) != 1:
        pytest.fail(f"expected one {pattern} in {DIST}, found {[f.name for f in found]}: "
                    "run scripts/package.sh first")
    return found[0]


@pytest.fixture(scope="session")
def wheel():
    tag = "cp%d%d" % sys.version_info[:2]
    return dist_file(f"iamcore-{VERSION}-{tag}-{tag}-manylinux_*_x86_64.whl")


@pytest.fixture(scope="session")
def sdist():
    return dist_file(f"iamcore-{VERSION}.tar.gz")


@pytest.fixture(scope="session")
def npm_tarball():
    return dist_file(f"iamcore-{VERSION}.tgz")


class Emulator:
    def __init__(self, info):
        self.http, self.https, self.ca_file = info["http"], info["https"], info["ca_file"]

    def _call(self, method, name, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.http + "/_emulator/" + name, data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with OPENER.open(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self):
        self._call("POST", "reset", {})

    def requests(self, endpoint="iam"):
        return self._call("GET", "requests?endpoint=" + endpoint)["requests"]


@pytest.fixture(scope="session")
def emulator():
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "emulator"),
                             "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            pytest.fail("the emulator did not start: " + proc.communicate(timeout=10)[1])
        yield Emulator(json.loads(line))
    finally:
        proc.stdin.close()
        proc.wait(timeout=15)
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(autouse=True)
def _reset_emulator(request):
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset()


@pytest.fixture
def cr_token_file(tmp_path):
    path = tmp_path / "cr-token"
    path.write_text("cr-token-of-the-package-check\n")
    return path


class Service:
    """A loopback HTTP service that records the Authorization headers it receives."""

    def __init__(self):
        self.authorizations = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                service.authorizations.append(self.headers.get("Authorization", ""))
                body = b'["db-one", "db-two"]'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/things"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def service():
    svc = Service()
    yield svc
    svc.server.shutdown()
    svc.server.server_close()
