#!/usr/bin/env python3
"""iamcore against its peers, in one run: start-up cost, first token, peak memory,
cached authenticate(), RDS tokens (uncached and cached) and concurrent first calls,
Python and Node, plus a C reference for the RDS token.

    python3 bench/run.py [--quick] [--markdown-only] [--no-site]

Peers (pinned by scripts/build.sh and package.json): ibm_cloud_sdk_core and boto3 for
Python, ibm-cloud-sdk-core and @aws-sdk/rds-signer for Node. Prints the machine and one
markdown table on stdout, with the ratio iamcore / peer of every figure; progress goes
to stderr. Needs the built bindings and the peers, and starts the loopback IAM emulator
(tests/emulator/iam_emulator.py), which it stops at the end. With make and a C compiler
it also builds libiamcore (`make lib`), bench/c/rds_token_bench.c and
bench/c/first_request.c into build/bench/.
See bench/README.md for what each row measures.
"""

import argparse
import glob
import json
import os
import platform
import selectors
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
NODE_MODULES = os.path.join(ROOT, "node_modules")
PYTHON = sys.executable or "python3"
NODE = shutil.which("node")
TIMEOUT = 60  # seconds, for every child process

# Targets (issue: performance), checked against the median.
TARGET_STARTUP_MS = 5.0      # import + construct, over the bare interpreter
TARGET_FIRST_TOKEN_MS = 8.0  # fresh process to first token, over the bare interpreter
TARGET_PY_NS = 250.0         # cached authenticate(), and never slower than the peer
TARGET_NODE_NS = 150.0
TARGET_RDS_NS = 5000.0       # uncached RDS token, Python and Node
TARGET_CONCURRENT_MS = 60.0  # 100 concurrent first calls, 50 ms token service ...
TARGET_REQUESTS = 1          # ... with exactly one token request
TARGET_RSS_MB = 6.0          # peak RSS over the bare interpreter

# The RDS token the fresh-process rows sign (same host, port and user as inproc.py,
# inproc.js and c/rds_token_bench.c), and AWS's documented example key pair.
RDS_HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
RDS_PREFIX = RDS_HOST + ":5432/?Action=connect"
AWS_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1"}  # botocore reads only this one
C_BENCH_SRC = os.path.join(BENCH, "c", "rds_token_bench.c")
FIRST_REQUEST_SRC = os.path.join(BENCH, "c", "first_request.c")
C_BENCH_DIR = os.path.join(ROOT, "build", "bench")

# The peers: (import name or package, what the table calls them).
PY_IAM_PEER = "ibm_cloud_sdk_core"
PY_RDS_PEER = "boto3"
NODE_IAM_PEER = "ibm-cloud-sdk-core"
NODE_RDS_PEER = "@aws-sdk/rds-signer"

QUIET = False


def log(message):
    if not QUIET:
        print(message, file=sys.stderr, flush=True)


def warn(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ environment

def clean_env(pythonpath=False, site_path=False):
    """A small fixed environment: inherited variables (NODE_OPTIONS, NODE_EXTRA_CA_CERTS,
    PYTHON* ...) change start-up times, so spawned processes get only these. site_path:
    also site-packages on PYTHONPATH (for `python -S`, which does not add it)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }
    paths = []
    if pythonpath:
        paths.append(os.path.join(ROOT, "python"))
    if site_path:
        paths.append(sysconfig.get_paths()["purelib"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def aws_env(pythonpath=False, keys=False, site_path=False):
    """clean_env() where nothing AWS can reach the network or the home directory: no
    instance metadata, no shared config or credentials file. With keys: credentials and
    region in the environment (the first source of every credential chain)."""
    env = clean_env(pythonpath, site_path)
    env.update({"AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    if keys:
        env.update(AWS_KEYS)
    return env


def machine(cc_version=None):
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    node = "not found"
    if NODE:
        node = subprocess.run([NODE, "--version"], capture_output=True, text=True,
                              timeout=TIMEOUT, env=clean_env()).stdout.strip()
    cc = f", C `{cc_version}`" if cc_version else ""
    return (f"**Machine:** {cpu}, nproc {nproc}, Linux {platform.release()}; "
            f"Python {platform.python_version()}, Node {node}{cc}")


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def check_builds():
    missing = []
    if not glob.glob(os.path.join(ROOT, "python", "iamcore", "_native*.so")):
        missing.append("python/iamcore/_native*.so: build it with `scripts/build.sh` "
                       "(or `python3 setup.py build_ext --inplace`)")
    if NODE is None:
        missing.append("node is not on PATH")
    elif not os.path.exists(os.path.join(ROOT, "build", "Release", "iamcore.node")):
        missing.append("build/Release/iamcore.node: build it with `npm install` at the repo root")
    for name in (PY_IAM_PEER, PY_RDS_PEER):
        found = subprocess.run([PYTHON, "-c", f"import importlib.util, sys; "
                                f"sys.exit(importlib.util.find_spec({name!r}) is None)"],
                               env=clean_env(), capture_output=True, timeout=TIMEOUT)
        if found.returncode != 0:
            missing.append(f"the Python peer {name} is not installed: `scripts/build.sh` installs "
                           f"the pinned versions")
    for name in (NODE_IAM_PEER, NODE_RDS_PEER):
        if not os.path.exists(os.path.join(NODE_MODULES, name, "package.json")):
            missing.append(f"the Node peer {name} is not installed: `npm install` at the repo root "
                           f"(a devDependency)")
    if missing:
        sys.exit("bench: missing:\n  " + "\n  ".join(missing))


def peer_versions():
    script = ("import importlib.metadata as m, json; print(json.dumps({n: m.version(n) for n in "
              f"({PY_IAM_PEER.replace('_', '-')!r}, {PY_RDS_PEER!r}, 'botocore')}}))")
    py = json.loads(subprocess.run([PYTHON, "-c", script], env=clean_env(), capture_output=True,
                                   text=True, timeout=TIMEOUT, check=True).stdout)
    node = {}
    for name in (NODE_IAM_PEER, NODE_RDS_PEER):
        with open(os.path.join(NODE_MODULES, name, "package.json")) as f:
            node[name] = json.load(f)["version"]
    return (f"`{PY_IAM_PEER}` {py['ibm-cloud-sdk-core']}, `{PY_RDS_PEER}` {py['boto3']} "
            f"(botocore {py['botocore']}), `{NODE_IAM_PEER}` {node[NODE_IAM_PEER]}, "
            f"`{NODE_RDS_PEER}` {node[NODE_RDS_PEER]}")


class Emulator:
    """tests/emulator/iam_emulator.py in a child process; stops when its stdin closes."""

    def __enter__(self):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(ROOT, "tests", "emulator", "iam_emulator.py"), "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=clean_env())
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=20)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            self.__exit__()
            self.stderr.seek(0)
            sys.exit("bench: the emulator did not start:\n" + self.stderr.read().decode(errors="replace"))
        self.url = json.loads(line)["http"]
        return self

    def __exit__(self, *exc):
        try:
            self.proc.stdin.close()
        except OSError:  # it has already exited
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc.stdout.close()
        self.stderr.close()


# ------------------------------------------------------------------ child processes

def run_checked(argv, env):
    result = subprocess.run(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(argv[:2])} failed ({result.returncode}):\n{result.stderr.strip()}")
    return result.stdout


# Every fresh-process command (the bare ones too) ends by printing its peak RSS, the
# VmHWM line of /proc/self/status. Not the parent's wait4/getrusage ru_maxrss: that one
# also counts the memory of the forked parent before exec (tens of MB here), which
# would hide the difference being measured.
PY_HWM = ("import sys; sys.stdout.write(next(l for l in open('/proc/self/status') "
          "if l.startswith('VmHWM:')))")
NODE_HWM = ("process.on('exit', () => { const fs = require('fs'); "
            "fs.writeSync(1, fs.readFileSync('/proc/self/status', 'latin1').match(/VmHWM:.*/)[0] + '\\n'); });")


def spawn(argv, env):
    """Run argv to its end: (wall ms, peak RSS in kB as the child printed it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        # A blocking wait, and a timer for the timeout: wait(timeout=...) polls with
        # sleeps of up to 50 ms, which would round the wall times up to them.
        watchdog = threading.Timer(TIMEOUT, proc.kill)
        watchdog.start()
        try:
            proc.wait()
        finally:
            watchdog.cancel()
        elapsed = (time.perf_counter() - start) * 1000.0
        out.seek(0)
        hwm = [line for line in out.read().decode(errors="replace").splitlines()
               if line.startswith("VmHWM:")]
        if proc.returncode != 0 or not hwm:
            err.seek(0)
            sys.exit(f"bench: {shlex.join(argv)} failed ({proc.returncode}"
                     f"{'' if hwm else ', no VmHWM line'}):\n"
                     f"{err.read().decode(errors='replace').strip()}")
        return elapsed, int(hwm[-1].split()[1])


class FreshCase:
    """One fresh-process comparison: the bare interpreter, iamcore's command and the
    peer's, run in turn (rotating the order every run, so that drift in machine load hits
    all three alike). Keeps per-run differences over the bare run of the same round."""

    def __init__(self, bare, ours, peer, ours_env, peer_env):
        self.bare, self.ours, self.peer = bare, ours, peer
        self.ours_env, self.peer_env = ours_env, peer_env
        self.ms = {"ours": [], "peer": []}
        self.mb = {"ours": [], "peer": []}
        self.bare_ms = []
        self.bare_mb = []

    def run(self, runs, warmups=2):
        commands = [("bare", self.bare, self.ours_env), ("ours", self.ours, self.ours_env),
                    ("peer", self.peer, self.peer_env)]
        for i in range(warmups + runs):
            got = {}
            for k in range(3):
                name, argv, env = commands[(i + k) % 3]
                got[name] = spawn(argv, env)
            if i < warmups:
                continue
            bare_ms, bare_kb = got["bare"]
            self.bare_ms.append(bare_ms)
            self.bare_mb.append(bare_kb * 1024 / 1e6)
            for who in ("ours", "peer"):
                ms, kb = got[who]
                self.ms[who].append(ms - bare_ms)
                self.mb[who].append((kb - bare_kb) * 1024 / 1e6)


# ------------------------------------------------------------------ rows

class Row:
    """One table line: iamcore's values against the peer's (if any) and a target.
    check: "max" (median <= target), "max-peer" (also no slower than the peer's median),
    "exact" (every value equals target)."""

    def __init__(self, label, lang, unit, ours, peer=None, peer_values=None, target=None,
                 check="max", note=""):
        self.label, self.lang, self.unit = label, lang, unit
        self.ours, self.peer, self.peer_values = ours, peer, peer_values
        self.target, self.check, self.note = target, check, note


def startup_cases(url, no_site):
    """The fresh-process comparisons, per language: import + construct and first token,
    for the IAM authenticator and for RDS tokens."""
    py = [PYTHON, "-S"] if no_site else [PYTHON]
    py_iam_env = clean_env(pythonpath=True, site_path=no_site)
    py_rds_env = aws_env(pythonpath=True, keys=True, site_path=no_site)
    node_iam_env = clean_env()
    node_rds_env = aws_env(keys=True)
    py_bare = py + ["-c", PY_HWM]
    node_bare = [NODE, "-e", NODE_HWM]
    check_token = (f"assert t.startswith({RDS_PREFIX!r}) and '&X-Amz-Signature=' in t")

    ours_construct = f"import iamcore; a = iamcore.IAMAuthenticator('bench-key', url={url!r}, timeout=10)"
    peer_construct = (f"from {PY_IAM_PEER}.authenticators import IAMAuthenticator; "
                      f"a = IAMAuthenticator('bench-key', url={url!r})")
    ours_rds_construct = f"import iamcore; r = iamcore.RDSAuthenticator({RDS_HOST!r}, 5432, 'app_user')"
    peer_rds_construct = "import boto3; c = boto3.client('rds')"
    ours_rds = f"import iamcore; t = iamcore.generate_db_auth_token({RDS_HOST!r}, 5432, 'app_user'); " + check_token
    peer_rds = f"import boto3; t = boto3.client('rds').generate_db_auth_token({RDS_HOST!r}, 5432, 'app_user'); " + check_token

    root = json.dumps(ROOT)
    node_iam_peer = json.dumps(os.path.join(NODE_MODULES, NODE_IAM_PEER))
    node_rds_peer = json.dumps(os.path.join(NODE_MODULES, NODE_RDS_PEER))
    rds_opts = f"{{hostname: {json.dumps(RDS_HOST)}, port: 5432, username: 'app_user'}}"
    node_check = (f"(t) => {{ if (typeof t !== 'string' || !t.startsWith({json.dumps(RDS_PREFIX)}) "
                  f"|| !t.includes('&X-Amz-Signature=')) process.exit(3); }}, "
                  f"(e) => {{ console.error(e); process.exit(4); }}")
    n_ours_construct = (f"const {{IamAuthenticator}} = require({root}); "
                        f"const a = new IamAuthenticator({{apikey: 'bench-key', url: {json.dumps(url)}, timeout: 10000}});")
    n_peer_construct = (f"const {{IamAuthenticator}} = require({node_iam_peer}); "
                        f"const a = new IamAuthenticator({{apikey: 'bench-key', url: {json.dumps(url)}}});")
    n_token_check = ".then((t) => { if (!t) process.exit(3); }, (e) => { console.error(e); process.exit(4); });"
    n_ours_rds_construct = f"const {{RdsSigner}} = require({root}); const s = new RdsSigner({rds_opts});"
    n_peer_rds_construct = f"const {{Signer}} = require({node_rds_peer}); const s = new Signer({rds_opts});"
    n_ours_rds = f"require({root}).aws.generateDbAuthToken({rds_opts}).then({node_check});"
    n_peer_rds = f"const {{Signer}} = require({node_rds_peer}); new Signer({rds_opts}).getAuthToken().then({node_check});"

    def pyc(code):
        return py + ["-c", f"{code}; {PY_HWM}"]

    def nodec(code):
        return [NODE, "-e", NODE_HWM + " " + code]

    return [
        # (kind, lang, peer name, FreshCase)
        ("iam-construct", "Python", PY_IAM_PEER,
         FreshCase(py_bare, pyc(ours_construct), pyc(peer_construct), py_iam_env, py_iam_env)),
        ("iam-token", "Python", PY_IAM_PEER,
         FreshCase(py_bare, pyc(ours_construct + "; assert a.token()"),
                   pyc(peer_construct + "; assert a.token_manager.get_token()"), py_iam_env, py_iam_env)),
        ("rds-construct", "Python", PY_RDS_PEER,
         FreshCase(py_bare, pyc(ours_rds_construct), pyc(peer_rds_construct), py_rds_env, py_rds_env)),
        ("rds-token", "Python", PY_RDS_PEER,
         FreshCase(py_bare, pyc(ours_rds), pyc(peer_rds), py_rds_env, py_rds_env)),
        ("iam-construct", "Node", NODE_IAM_PEER,
         FreshCase(node_bare, nodec(n_ours_construct), nodec(n_peer_construct), node_iam_env, node_iam_env)),
        ("iam-token", "Node", NODE_IAM_PEER,
         FreshCase(node_bare, nodec(n_ours_construct + " a.getToken()" + n_token_check),
                   nodec(n_peer_construct + " a.tokenManager.getToken()" + n_token_check),
                   node_iam_env, node_iam_env)),
        ("rds-construct", "Node", NODE_RDS_PEER,
         FreshCase(node_bare, nodec(n_ours_rds_construct), nodec(n_peer_rds_construct), node_rds_env, node_rds_env)),
        ("rds-token", "Node", NODE_RDS_PEER,
         FreshCase(node_bare, nodec(n_ours_rds), nodec(n_peer_rds), node_rds_env, node_rds_env)),
    ]


STARTUP_LABELS = {
    "iam-construct": ("Import + construct IAM authenticator, fresh process, over bare", TARGET_STARTUP_MS),
    "iam-token": ("Fresh process → first IAM token (HTTP loopback), over bare", TARGET_FIRST_TOKEN_MS),
    "rds-construct": ("Import + construct RDS signer, fresh process, over bare", TARGET_STARTUP_MS),
    "rds-token": ("Fresh process → first RDS token (credentials from env), over bare", TARGET_FIRST_TOKEN_MS),
}
RSS_LABELS = {
    "iam-construct": "Peak RSS after import + construct (IAM), over bare",
    "iam-token": "Peak RSS after the first IAM token, over bare",
    "rds-construct": "Peak RSS after import + construct (RDS), over bare",
    "rds-token": "Peak RSS after the first RDS token, over bare",
}


def startup_rows(url, runs, no_site):
    time_rows, rss_rows, bare = [], [], {}
    for kind, lang, peer, case in startup_cases(url, no_site):
        label, target = STARTUP_LABELS[kind]
        log(f"  {lang}: {label} ({runs} runs, iamcore and {peer})")
        case.run(runs)
        time_rows.append(Row(label, lang, "ms", case.ms["ours"], peer, case.ms["peer"], target))
        rss_rows.append(Row(RSS_LABELS[kind], lang, "MB", case.mb["ours"], peer, case.mb["peer"],
                            TARGET_RSS_MB))
        b = bare.setdefault(lang, ([], []))
        b[0].extend(case.bare_ms)
        b[1].extend(case.bare_mb)
    notes = [f"{lang} {statistics.median(ms):.1f} ms and {statistics.median(mb):.1f} MB"
             for lang, (ms, mb) in bare.items()]
    return time_rows, rss_rows, notes


def inproc_rows(url, token_file, loops, repeats, rds_loops):
    """Cached authenticate() and the RDS token loops, iamcore and peers, in-process.
    The peers are slower per call, so they run fewer calls (the figure is per call)."""
    peer_loops, peer_rds_loops = max(loops // 5, 10), max(rds_loops // 10, 10)
    args = [url, token_file]
    log(f"  Python: iamcore, {repeats} x {loops} cached calls, {repeats} x {rds_loops} RDS tokens")
    py = json.loads(run_checked([PYTHON, os.path.join(BENCH, "inproc.py")] + args
                                + [str(loops), str(repeats), str(rds_loops)], aws_env(pythonpath=True)))
    log(f"  Python: peers, {repeats} x {peer_loops} cached calls, {repeats} x {peer_rds_loops} RDS tokens")
    py_peer = json.loads(run_checked([PYTHON, os.path.join(BENCH, "peer_inproc.py")] + args
                                     + [str(peer_loops), str(repeats), str(peer_rds_loops)], aws_env()))
    log(f"  Node: iamcore, {repeats} x {loops} cached calls, {repeats} x {rds_loops} RDS tokens (per mode)")
    js = json.loads(run_checked([NODE, os.path.join(BENCH, "inproc.js"), ROOT] + args
                                + [str(loops), str(repeats), str(rds_loops)], aws_env()))
    log(f"  Node: peers, {repeats} x {loops} cached calls, {repeats} x {peer_rds_loops} RDS tokens (per mode)")
    js_peer = json.loads(run_checked([NODE, os.path.join(BENCH, "peer_inproc.js"), ROOT] + args
                                     + [str(loops), str(repeats), str(peer_rds_loops)], aws_env()))
    cached = []
    for kind, name in (("iam", "IAM"), ("container", "container")):
        cached.append(Row(f"Cached `authenticate(req)`, {name}", "Python", "ns", py[kind],
                          PY_IAM_PEER, py_peer[kind], TARGET_PY_NS, "max-peer"))
    for kind, name in (("iam", "IAM"), ("container", "container")):
        cached.append(Row(f"Cached `authenticate(opts)`, {name}: call, not awaited", "Node", "ns",
                          js[kind + "_sync"], NODE_IAM_PEER, js_peer[kind + "_sync"], TARGET_NODE_NS,
                          "max-peer"))
        cached.append(Row(f"Cached `await authenticate(opts)`, {name}", "Node", "ns",
                          js[kind + "_await"], NODE_IAM_PEER, js_peer[kind + "_await"], TARGET_NODE_NS,
                          "max-peer"))
    return cached, py, py_peer, js, js_peer


def rds_rows(py, py_peer, js, js_peer, c_values):
    rows = []
    if c_values is not None:
        rows.append(Row("Uncached RDS token `iam_rds_auth_token()` (reference)", "C", "ns", c_values))
    rows += [
        Row("Uncached RDS token `generate_db_auth_token(…, credentials=creds)`", "Python", "ns",
            py["rds_uncached"], PY_RDS_PEER, py_peer["rds"], TARGET_RDS_NS),
        Row("Uncached RDS token `aws.generateDbAuthToken(opts)`: call, not awaited", "Node", "ns",
            js["rds_uncached_sync"], NODE_RDS_PEER, js_peer["rds_sync"], TARGET_RDS_NS),
        Row("Uncached RDS token `await aws.generateDbAuthToken(opts)`", "Node", "ns",
            js["rds_uncached_await"], NODE_RDS_PEER, js_peer["rds_await"], TARGET_RDS_NS),
        Row("Cached `RDSAuthenticator.token()`", "Python", "ns", py["rds_cached"],
            PY_RDS_PEER, py_peer["rds"], note="¹"),
        Row("Cached `signer.getAuthToken()` (`RdsSigner`): call, not awaited", "Node", "ns",
            js["rds_cached_sync"], NODE_RDS_PEER, js_peer["rds_sync"], note="¹"),
        Row("Cached `await signer.getAuthToken()` (`RdsSigner`)", "Node", "ns",
            js["rds_cached_await"], NODE_RDS_PEER, js_peer["rds_await"], note="¹"),
    ]
    return rows


def concurrent_rows(url, rounds):
    """100 concurrent first calls against the emulator answering after 50 ms."""
    results = {}
    for lang, impl in (("Python", "iamcore"), ("Python", "peer"), ("Python", "floor"),
                       ("Node", "iamcore"), ("Node", "peer")):
        log(f"  {lang}: 100 concurrent first calls, {impl}, {rounds} rounds")
        if lang == "Python":
            argv = [PYTHON, os.path.join(BENCH, "first_calls.py"), impl, url, str(rounds)]
            env = clean_env(pythonpath=True)
        else:
            argv = [NODE, os.path.join(BENCH, "first_calls.js"), impl, ROOT, url, str(rounds)]
            env = clean_env()
        results[(lang, impl)] = json.loads(run_checked(argv, env))
    rows = []
    for lang, peer in (("Python", PY_IAM_PEER), ("Node", NODE_IAM_PEER)):
        ours, theirs = results[(lang, "iamcore")], results[(lang, "peer")]
        rows.append(Row("100 concurrent first `authenticate()`, 50 ms token service: wall time", lang,
                        "ms", ours["wall_ms"], peer, theirs["wall_ms"], TARGET_CONCURRENT_MS))
        rows.append(Row("100 concurrent first `authenticate()`: token requests received", lang,
                        "requests", ours["requests"], peer, theirs["requests"], TARGET_REQUESTS, "exact"))
    floor = statistics.median(results[("Python", "floor")]["wall_ms"])
    return rows, floor


# ------------------------------------------------------------------ C reference

def build_c_bench(src=C_BENCH_SRC, name="rds_token_bench"):
    """`make lib`, then src (bench/c/rds_token_bench.c) against build/c/libiamcore.a with
    the Makefile's own variables (CC, CPPFLAGS, WARN, CFLAGS, LDLIBS), into build/bench/name.
    Returns (executable, compiler version) or (None, why not). Also used by icount.py."""
    make = shutil.which("make")
    if make is None:
        return None, "make is not on PATH"
    env = clean_env()  # no inherited CC / CFLAGS: the Makefile's defaults
    query = subprocess.run(
        [make, "-s", "--no-print-directory",
         "--eval=bench-flags: ; @printf '%s\\n' '$(CC)' '$(CPPFLAGS)' '$(WARN)' '$(CFLAGS)' '$(LDLIBS)'",
         "bench-flags"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    lines = query.stdout.split("\n")
    if query.returncode != 0 or len(lines) < 5:
        return None, f"could not read the Makefile's flags: {query.stderr.strip()}"
    cc, cppflags, warn_flags, cflags, ldlibs = (shlex.split(line) for line in lines[:5])
    if not cc or shutil.which(cc[0]) is None:
        return None, f"no C compiler ({' '.join(cc) or 'CC is empty'})"
    log("  C: make lib")
    try:
        built = subprocess.run([make, "-s", f"-j{os.cpu_count() or 1}", "lib"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None, "`make lib` took more than 300 s"
    if built.returncode != 0:
        return None, f"`make lib` failed:\n{built.stderr.strip()[-2000:]}"
    os.makedirs(C_BENCH_DIR, exist_ok=True)
    exe = os.path.join(C_BENCH_DIR, name)
    compiled = subprocess.run(
        cc + cppflags + warn_flags + cflags
        + [src, os.path.join(ROOT, "build", "c", "libiamcore.a"), "-o", exe] + ldlibs,
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    if compiled.returncode != 0:
        return None, f"compiling {os.path.relpath(src, ROOT)} failed:\n{compiled.stderr.strip()}"
    version = subprocess.run(cc + ["--version"], env=env, capture_output=True, text=True,
                             timeout=TIMEOUT).stdout.split("\n")[0].strip()
    return exe, version


def first_request_steps(exe, url, runs):
    """bench/c/first_request.c in `runs` fresh processes: the median (ms, MB) of each
    step of a first token (load libcrypto, load libcurl, curl_global_init, ...)."""
    log(f"  C: the steps of a first token request, {runs} fresh processes")
    samples = [json.loads(run_checked([exe, url], clean_env())) for _ in range(runs)]
    return {name: (statistics.median(s[name][0] for s in samples),
                   statistics.median(s[name][1] for s in samples) * 1024 / 1e6)
            for name in samples[0]}


def c_rds_values(exe, rds_loops, repeats):
    log(f"  C: iam_rds_auth_token(), {repeats} x {rds_loops} calls")
    return json.loads(run_checked([exe, str(rds_loops), str(repeats)], aws_env()))["rds_token"]


def speed_probe():
    """ms for a fixed pure-Python loop in this process, best of 3: the CPU's speed state at
    the time (it flips on some VMs, see README), to read the in-process rows against."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        x = 0
        for i in range(1_000_000):
            x += i
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


# ------------------------------------------------------------------ table

def fmt(value, unit):
    if unit == "ms":
        return f"{value:.2f}"
    if unit == "MB":
        return f"{value:.1f}"
    if unit == "requests":
        return f"{value:g}"
    return f"{value:,.0f}"


def cell(values, unit):
    if not values:
        return "—", "—"
    suffix = "" if unit == "requests" else f" {unit}"
    return (f"{fmt(statistics.median(values), unit)}{suffix}",
            f"{fmt(min(values), unit)} – {fmt(max(values), unit)}")


def ratio(ours, peer):
    a, b = statistics.median(ours), statistics.median(peer)
    if b <= 0 or a < 0:
        return "—"
    r = a / b
    return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


def verdict(row):
    if row.target is None:
        return "—", "—"
    med = statistics.median(row.ours)
    if row.check == "exact":
        ok = all(v == row.target for v in row.ours)
        return f"= {fmt(row.target, row.unit)}", "yes" if ok else "**no**"
    target = f"≤ {fmt(row.target, row.unit)} {row.unit}"
    misses = []
    if med > row.target:
        over = (med / row.target - 1) * 100
        misses.append(f"+{over:.1f} %" if over < 9.95 else f"+{over:.0f} %")
    if row.check == "max-peer":
        target += ", ≤ peer"
        if row.peer_values and med > statistics.median(row.peer_values):
            misses.append("slower than the peer")
    return target, "yes" if not misses else f"**no** ({', '.join(misses)})"


def table(rows):
    lines = ["| Measurement | Runtime | iamcore | min – max | Peer | Peer | min – max | iamcore / peer | Target | Met |",
             "|---|---|---:|---:|---|---:|---:|---:|---|:---:|"]
    for row in rows:
        ours, ours_span = cell(row.ours, row.unit)
        if row.peer is not None:
            theirs, theirs_span = cell(row.peer_values, row.unit)
            peer, r = f"`{row.peer}`{row.note}", ratio(row.ours, row.peer_values)
        else:
            theirs = theirs_span = peer = r = "—"
        target, met = verdict(row)
        lines.append(f"| {row.label} | {row.lang} | {ours} | {ours_span} | {peer} | {theirs} | "
                     f"{theirs_span} | {r} | {target} | {met} |")
    return "\n".join(lines)


def main():
    global QUIET
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look)")
    parser.add_argument("--markdown-only", action="store_true",
                        help="print only the machine line and the table, no progress or notes")
    parser.add_argument("--no-site", action="store_true",
                        help="start the fresh Python processes with -S (no site-packages .pth "
                             "files: less scatter where those are slow; site-packages stays "
                             "reachable through PYTHONPATH for the peers)")
    args = parser.parse_args()
    QUIET = args.markdown_only
    # Fresh-process differences scatter by ±10 ms here (bare Python start-up alone
    # does), so their medians need many rounds.
    runs, loops, repeats, rds_loops, rounds = ((7, 200_000, 3, 10_000, 3) if args.quick
                                               else (61, 1_000_000, 5, 100_000, 7))

    check_builds()
    started = time.perf_counter()
    load_before = load_average()
    peers = peer_versions()
    c_exe, c_info = build_c_bench()
    if c_exe is None:
        warn(f"no C reference row: {c_info}")
    steps_exe, steps_info = build_c_bench(FIRST_REQUEST_SRC, "first_request")
    if steps_exe is None:
        warn(f"no first-request steps: {steps_info}")
    steps = None
    with tempfile.TemporaryDirectory(prefix="iamcore-bench-") as tmp, Emulator() as emu:
        token_file = os.path.join(tmp, "cr-token")
        with open(token_file, "w") as f:
            f.write("bench-cr-token\n")
        log(f"bench: emulator at {emu.url}")
        time_rows, rss_rows, bare_notes = startup_rows(emu.url, runs, args.no_site)
        probe_before = speed_probe()
        cached_rows, py, py_peer, js, js_peer = inproc_rows(emu.url, token_file, loops, repeats, rds_loops)
        conc_rows, floor_ms = concurrent_rows(emu.url, rounds)
        if steps_exe:
            steps = first_request_steps(steps_exe, emu.url, max(runs // 4, 3))
    c_values = c_rds_values(c_exe, rds_loops, repeats) if c_exe else None
    probe_after = speed_probe()
    load_after = load_average()
    rows = time_rows + cached_rows + rds_rows(py, py_peer, js, js_peer, c_values) + conc_rows + rss_rows

    print(machine(c_info if c_exe else None)
          + ("; fresh Python processes started with `-S`" if args.no_site else ""))
    print()
    print(table(rows))
    if not args.markdown_only:
        print()
        site = " -S" if args.no_site else ""
        loads = ""
        if load_before is not None:
            loads = f" 1-minute load average: {load_before:.2f} at the start, {load_after:.2f} at the end."
        print(f"Peers: {peers}. ¹ The peer has no cache: its figure is the cost of the token it "
              f"signs on every call.")
        print()
        print(f"Bare interpreter (`python3{site} -c pass`, `node -e ''`), median wall time and peak "
              f"RSS: {', '.join(bare_notes)}. Fresh-process rows: {runs} runs after 2 warm-ups "
              f"(bare, iamcore and peer in turn); in-process rows: {repeats} repeats of {loops:,} "
              f"calls ({rds_loops:,} for uncached RDS tokens; the peers: {max(loops // 5, 10):,} "
              f"Python cached calls, {max(rds_loops // 10, 10):,} tokens); concurrent calls: "
              f"{rounds} rounds after a warm-up; 100 Python threads doing `time.sleep(0.05)` "
              f"instead take {floor_ms:.1f} ms (the floor of that row). Total "
              f"{time.perf_counter() - started:.0f} s.{loads}")
        print(f"CPU speed probe (`for i in range(1_000_000): x += i` in run.py, best of 3): "
              f"{probe_before:.0f} ms before the in-process rows, {probe_after:.0f} ms after them.")
        if steps:
            print(f"Where a fresh process's first IAM token goes (`bench/c/first_request.c`, the "
                  f"core's steps one by one, median of {max(runs // 4, 3)} processes; time, peak RSS "
                  f"growth): " + ", ".join(f"{name} {ms:.2f} ms / {mb:.1f} MB"
                                           for name, (ms, mb) in steps.items()) + ".")
        if c_exe is None:
            print(f"No C reference row: {c_info.splitlines()[0]}")


if __name__ == "__main__":
    main()
