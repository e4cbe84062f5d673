#!/usr/bin/env python3
"""iamcore benchmark: start-up cost, first token, cached authenticate() and RDS tokens
(uncached and cached), Python and Node, plus a C reference for the RDS token.

    python3 bench/run.py [--quick] [--markdown-only] [--no-site]

Prints the machine and one markdown table on stdout (progress goes to stderr). Needs the
built bindings (python/iamcore/_native*.so and build/Release/iamcore.node) and starts the
loopback IAM emulator (tests/emulator/iam_emulator.py), which it stops at the end. With
make and a C compiler it also builds libiamcore (`make lib`) and bench/c/rds_token_bench.c
into build/bench/. See bench/README.md for what each row measures.
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
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PYTHON = sys.executable or "python3"
NODE = shutil.which("node")
TIMEOUT = 60  # seconds, for every child process

# Targets: (bound, unit) checked against the median.
TARGET_STARTUP_MS = 5.0
TARGET_PY_NS = 250.0
TARGET_NODE_NS = 150.0
TARGET_RDS_NS = 5000.0  # uncached RDS token, Python and Node

# The RDS token the fresh-process rows sign (same host, port and user as inproc.py,
# inproc.js and c/rds_token_bench.c), and AWS's documented example key pair.
RDS_HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
AWS_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_REGION": "us-east-1"}
C_BENCH_SRC = os.path.join(BENCH, "c", "rds_token_bench.c")
C_BENCH_DIR = os.path.join(ROOT, "build", "bench")

QUIET = False


def log(message):
    if not QUIET:
        print(message, file=sys.stderr, flush=True)


def clean_env(pythonpath=False):
    """A small fixed environment: inherited variables (NODE_OPTIONS, NODE_EXTRA_CA_CERTS,
    PYTHON* ...) change start-up times, so spawned processes get only these."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }
    if pythonpath:
        env["PYTHONPATH"] = os.path.join(ROOT, "python")
    return env


def aws_env(pythonpath=False, keys=False):
    """clean_env() where nothing AWS can reach the network or the home directory: no
    instance metadata, no shared config or credentials file. With keys: credentials and
    region in the environment (the first source of the credential chain)."""
    env = clean_env(pythonpath)
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


def check_builds():
    missing = []
    if not glob.glob(os.path.join(ROOT, "python", "iamcore", "_native*.so")):
        missing.append("python/iamcore/_native*.so: build it with `python3 -m pip install -e .`")
    if NODE is None:
        missing.append("node is not on PATH")
    elif not os.path.exists(os.path.join(ROOT, "build", "Release", "iamcore.node")):
        missing.append("build/Release/iamcore.node: build it with `npm install` at the repo root")
    if missing:
        sys.exit("bench: the bindings are not built:\n  " + "\n  ".join(missing))


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


def run_checked(argv, env):
    result = subprocess.run(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        sys.exit(f"bench: {argv[0]} failed ({result.returncode}):\n{result.stderr.strip()}")
    return result.stdout


def wall_ms(argv, env):
    start = time.perf_counter()
    run_checked(argv, env)
    return (time.perf_counter() - start) * 1000.0


def spawn_overhead(bare, cmd, env, runs, warmups=2):
    """Differences (ms) of fresh-process wall times, `cmd` minus `bare`, and the bare times.
    The two alternate (and swap order every run) so that drift in machine load hits both alike."""
    diffs, bares = [], []
    for i in range(warmups + runs):
        if i % 2:
            t_cmd, t_bare = wall_ms(cmd, env), wall_ms(bare, env)
        else:
            t_bare, t_cmd = wall_ms(bare, env), wall_ms(cmd, env)
        if i >= warmups:
            diffs.append(t_cmd - t_bare)
            bares.append(t_bare)
    return diffs, bares


def startup_rows(url, runs, no_site):
    rows, bare_ms = [], {}
    py_env = clean_env(pythonpath=True)
    py = [PYTHON, "-S"] if no_site else [PYTHON]
    py_bare = py + ["-c", "pass"]
    py_construct = f"import iamcore; a = iamcore.IAMAuthenticator('bench-key', url={url!r}, timeout=10)"
    node_bare = [NODE, "-e", ""]
    node_construct = (f"const {{IamAuthenticator}} = require({ROOT!r}); "
                      f"const a = new IamAuthenticator({{apikey: 'bench-key', url: {url!r}, timeout: 10000}});")
    # First RDS token: credentials and region from the environment (the chain's first
    # source), so the process resolves them itself, as an application would.
    py_rds_env = aws_env(pythonpath=True, keys=True)
    node_rds_env = aws_env(keys=True)
    py_rds = (f"import iamcore; t = iamcore.generate_db_auth_token({RDS_HOST!r}, 5432, 'app_user'); "
              f"assert t.startswith({RDS_HOST + ':5432/?Action=connect'!r}) and '&X-Amz-Signature=' in t")
    node_rds = (f"require({ROOT!r}).aws.generateDbAuthToken({{hostname: {RDS_HOST!r}, port: 5432, "
                f"username: 'app_user'}}).then((t) => {{ if (!t.startsWith({RDS_HOST + ':5432/?Action=connect'!r}) "
                f"|| !t.includes('&X-Amz-Signature=')) process.exit(3); }}, "
                f"(e) => {{ console.error(e); process.exit(4); }});")
    cases = [
        ("Import + construct, fresh process, over bare", "Python", py_bare,
         py + ["-c", py_construct], py_env, TARGET_STARTUP_MS),
        ("Import + construct, fresh process, over bare", "Node", node_bare,
         [NODE, "-e", node_construct], clean_env(), TARGET_STARTUP_MS),
        ("First token (HTTP loopback), fresh process, over bare", "Python", py_bare,
         py + ["-c", py_construct + "; assert a.token()"], py_env, None),
        ("First token (HTTP loopback), fresh process, over bare", "Node", node_bare,
         [NODE, "-e", node_construct + " a.getToken().then((t) => { if (!t) process.exit(3); });"],
         clean_env(), None),
        ("First RDS token (credentials from env), fresh process, over bare", "Python", py_bare,
         py + ["-c", py_rds], py_rds_env, None),
        ("First RDS token (credentials from env), fresh process, over bare", "Node", node_bare,
         [NODE, "-e", node_rds], node_rds_env, None),
    ]
    for label, lang, bare, cmd, env, target in cases:
        log(f"  {lang}: {label} ({runs} runs)")
        diffs, bares = spawn_overhead(bare, cmd, env, runs)
        rows.append((label, lang, diffs, "ms", target))
        bare_ms.setdefault(lang, []).extend(bares)
    notes = [f"{lang} {statistics.median(ts):.1f} ms" for lang, ts in bare_ms.items()]
    return rows, notes


def inproc_rows(url, token_file, loops, repeats, rds_loops):
    """The in-process rows: cached authenticate() first, then the RDS token rows (C
    reference, if built, then uncached and cached per language)."""
    log(f"  Python: cached authenticate() and RDSAuthenticator.token(), {repeats} x {loops} calls; "
        f"generate_db_auth_token(), {repeats} x {rds_loops} calls")
    py = json.loads(run_checked([PYTHON, os.path.join(BENCH, "inproc.py"), url, token_file,
                                 str(loops), str(repeats), str(rds_loops)], aws_env(pythonpath=True)))
    log(f"  Node: cached authenticate() and getAuthToken(), {repeats} x {loops} calls; "
        f"aws.generateDbAuthToken(), {repeats} x {rds_loops} calls (per mode)")
    js = json.loads(run_checked([NODE, os.path.join(BENCH, "inproc.js"), ROOT, url, token_file,
                                 str(loops), str(repeats), str(rds_loops)], aws_env()))
    rows = []
    for kind, name in (("iam", "IAM"), ("container", "container")):
        rows.append((f"Cached `authenticate(req)`, {name}", "Python", py[kind], "ns", TARGET_PY_NS))
    for kind, name in (("iam", "IAM"), ("container", "container")):
        rows.append((f"Cached `authenticate(opts)`, {name}: call, not awaited", "Node",
                     js[kind + "_sync"], "ns", TARGET_NODE_NS))
        rows.append((f"Cached `await authenticate(opts)`, {name}", "Node",
                     js[kind + "_await"], "ns", TARGET_NODE_NS))
    return rows, py, js


def rds_rows(py, js, c_values):
    rows = []
    if c_values is not None:
        rows.append(("Uncached RDS token `iam_rds_auth_token()` (reference)", "C", c_values, "ns", None))
    rows += [
        ("Uncached RDS token `generate_db_auth_token(…, credentials=creds)`", "Python",
         py["rds_uncached"], "ns", TARGET_RDS_NS),
        ("Uncached RDS token `aws.generateDbAuthToken(opts)`: call, not awaited", "Node",
         js["rds_uncached_sync"], "ns", TARGET_RDS_NS),
        ("Uncached RDS token `await aws.generateDbAuthToken(opts)`", "Node",
         js["rds_uncached_await"], "ns", TARGET_RDS_NS),
        ("Cached `RDSAuthenticator.token()`", "Python", py["rds_cached"], "ns", None),
        ("Cached `signer.getAuthToken()` (`RdsSigner`): call, not awaited", "Node",
         js["rds_cached_sync"], "ns", None),
        ("Cached `await signer.getAuthToken()` (`RdsSigner`)", "Node", js["rds_cached_await"], "ns", None),
    ]
    return rows


def warn(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def build_c_bench():
    """`make lib`, then bench/c/rds_token_bench.c against build/c/libiamcore.a with the
    Makefile's own variables (CC, CPPFLAGS, WARN, CFLAGS, LDLIBS), into build/bench/.
    Returns (executable, compiler version) or (None, why not)."""
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
    exe = os.path.join(C_BENCH_DIR, "rds_token_bench")
    compiled = subprocess.run(
        cc + cppflags + warn_flags + cflags
        + [C_BENCH_SRC, os.path.join(ROOT, "build", "c", "libiamcore.a"), "-o", exe] + ldlibs,
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    if compiled.returncode != 0:
        return None, f"compiling {os.path.relpath(C_BENCH_SRC, ROOT)} failed:\n{compiled.stderr.strip()}"
    version = subprocess.run(cc + ["--version"], env=env, capture_output=True, text=True,
                             timeout=TIMEOUT).stdout.split("\n")[0].strip()
    return exe, version


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


def fmt(value, unit):
    return f"{value:.2f}" if unit == "ms" else f"{value:,.0f}"


def table(rows):
    lines = ["| Measurement | Runtime | Median | Min – max | Target | Met |",
             "|---|---|---:|---:|---:|:---:|"]
    for label, lang, values, unit, target in rows:
        med = statistics.median(values)
        span = f"{fmt(min(values), unit)} – {fmt(max(values), unit)} {unit}"
        if target is None:
            target_cell, met = "—", "—"
        else:
            target_cell = f"≤ {fmt(target, unit)} {unit}"
            met = "yes" if med <= target else f"**no** (+{(med / target - 1) * 100:.0f} %)"
        lines.append(f"| {label} | {lang} | {fmt(med, unit)} {unit} | {span} | {target_cell} | {met} |")
    return "\n".join(lines)


def main():
    global QUIET
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look)")
    parser.add_argument("--markdown-only", action="store_true",
                        help="print only the machine line and the table, no progress or notes")
    parser.add_argument("--no-site", action="store_true",
                        help="start the fresh Python processes with -S (no site-packages .pth "
                             "files: less scatter where those are slow)")
    args = parser.parse_args()
    QUIET = args.markdown_only
    runs, loops, repeats, rds_loops = ((7, 200_000, 3, 10_000) if args.quick
                                       else (41, 1_000_000, 5, 100_000))

    check_builds()
    started = time.perf_counter()
    c_exe, c_info = build_c_bench()
    if c_exe is None:
        warn(f"no C reference row: {c_info}")
    with tempfile.TemporaryDirectory(prefix="iamcore-bench-") as tmp, Emulator() as emu:
        token_file = os.path.join(tmp, "cr-token")
        with open(token_file, "w") as f:
            f.write("bench-cr-token\n")
        log(f"bench: emulator at {emu.url}")
        rows, bare_notes = startup_rows(emu.url, runs, args.no_site)
        probe_before = speed_probe()
        cached_rows, py, js = inproc_rows(emu.url, token_file, loops, repeats, rds_loops)
        rows += cached_rows
    c_values = c_rds_values(c_exe, rds_loops, repeats) if c_exe else None
    probe_after = speed_probe()
    rows += rds_rows(py, js, c_values)

    print(machine(c_info if c_exe else None)
          + ("; fresh Python processes started with `-S`" if args.no_site else ""))
    print()
    print(table(rows))
    if not args.markdown_only:
        print()
        site = " -S" if args.no_site else ""
        print(f"Bare interpreter start-up (`python3{site} -c pass`, `node -e ''`), median: "
              f"{', '.join(bare_notes)}. "
              f"Fresh-process rows: {runs} runs after 2 warm-ups; in-process rows: "
              f"{repeats} repeats of {loops:,} calls ({rds_loops:,} for uncached RDS tokens). "
              f"Total {time.perf_counter() - started:.0f} s.")
        print(f"CPU speed probe (`for i in range(1_000_000): x += i` in run.py, best of 3): "
              f"{probe_before:.0f} ms before the in-process rows, {probe_after:.0f} ms after them.")
        if c_exe is None:
            print(f"No C reference row: {c_info.splitlines()[0]}")


if __name__ == "__main__":
    main()
