#!/usr/bin/env python3
"""iamcore benchmark: start-up cost, first token and cached authenticate(), Python and Node.

    python3 bench/run.py [--quick] [--markdown-only] [--no-site]

Prints the machine and one markdown table on stdout (progress goes to stderr). Needs the
built bindings (python/iamcore/_native*.so and build/Release/iamcore.node) and starts the
loopback IAM emulator (tests/emulator/iam_emulator.py), which it stops at the end.
See bench/README.md for what each row measures.
"""

import argparse
import glob
import json
import os
import platform
import selectors
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


def machine():
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
    return (f"**Machine:** {cpu}, nproc {nproc}, Linux {platform.release()}; "
            f"Python {platform.python_version()}, Node {node}")


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
    ]
    for label, lang, bare, cmd, env, target in cases:
        log(f"  {lang}: {label} ({runs} runs)")
        diffs, bares = spawn_overhead(bare, cmd, env, runs)
        rows.append((label, lang, diffs, "ms", target))
        bare_ms.setdefault(lang, []).extend(bares)
    notes = [f"{lang} {statistics.median(ts):.1f} ms" for lang, ts in bare_ms.items()]
    return rows, notes


def inproc_rows(url, token_file, loops, repeats):
    log(f"  Python: cached authenticate(), {repeats} x {loops} calls per authenticator")
    py = json.loads(run_checked([PYTHON, os.path.join(BENCH, "inproc.py"), url, token_file,
                                 str(loops), str(repeats)], clean_env(pythonpath=True)))
    log(f"  Node: cached authenticate(), {repeats} x {loops} calls per authenticator and mode")
    js = json.loads(run_checked([NODE, os.path.join(BENCH, "inproc.js"), ROOT, url, token_file,
                                 str(loops), str(repeats)], clean_env()))
    rows = []
    for kind, name in (("iam", "IAM"), ("container", "container")):
        rows.append((f"Cached `authenticate(req)`, {name}", "Python", py[kind], "ns", TARGET_PY_NS))
    for kind, name in (("iam", "IAM"), ("container", "container")):
        rows.append((f"Cached `authenticate(opts)`, {name}: call, not awaited", "Node",
                     js[kind + "_sync"], "ns", TARGET_NODE_NS))
        rows.append((f"Cached `await authenticate(opts)`, {name}", "Node",
                     js[kind + "_await"], "ns", TARGET_NODE_NS))
    return rows


def fmt(value, unit):
    return f"{value:.2f}" if unit == "ms" else f"{value:.0f}"


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
    runs, loops, repeats = (7, 200_000, 3) if args.quick else (41, 1_000_000, 5)

    check_builds()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iamcore-bench-") as tmp, Emulator() as emu:
        token_file = os.path.join(tmp, "cr-token")
        with open(token_file, "w") as f:
            f.write("bench-cr-token\n")
        log(f"bench: emulator at {emu.url}")
        rows, bare_notes = startup_rows(emu.url, runs, args.no_site)
        rows += inproc_rows(emu.url, token_file, loops, repeats)

    print(machine() + ("; fresh Python processes started with `-S`" if args.no_site else ""))
    print()
    print(table(rows))
    if not args.markdown_only:
        print()
        site = " -S" if args.no_site else ""
        print(f"Bare interpreter start-up (`python3{site} -c pass`, `node -e ''`), median: "
              f"{', '.join(bare_notes)}. "
              f"Fresh-process rows: {runs} runs after 2 warm-ups; in-process rows: "
              f"{repeats} repeats of {loops:,} calls. Total {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
