#!/usr/bin/env python3
"""Instruction counts of the C core's two hot paths, for CI (scripts/test.sh) and review.

    python3 bench/icount.py [--loops N]

Builds bench/c/icount.c against build/c/libiamcore.a (`make lib`, the Makefile's flags,
into build/bench/icount), starts the loopback IAM emulator for the one token it needs,
and runs the program once per hot path under `valgrind --tool=callgrind
--toggle-collect=<function>`, which counts only the instructions executed inside that
function (and what it calls). Prints instructions per call:

    hot_cached_peek   iam_auth_peek() on a cached token (the bindings' cached authenticate())
    hot_cached_get    iam_auth_get_token() + iam_token_release() on a cached token
    hot_rds_token     iam_rds_auth_token() + iam_aws_string_free() (signing key cached)

Counts are deterministic for one binary, libraries and input (this is not a timing), so
a change in review shows as a change in these numbers. Valgrind's CPU has no SHA
extensions, so SHA-256 runs in OpenSSL's generic code here: the RDS count overstates
hashing compared with a real CPU. Exits 1 when a count exceeds its ceiling: the
ceilings are generous (about twice today's counts, to absorb other compilers, OpenSSL
and glibc builds) and only catch a gross regression, such as the database tokens
falling back to the generic presigner (~64,000 instructions per token before their
fast path, ~28,000 with it).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the bench runner: build and emulator helpers)

SOURCE = os.path.join(run.BENCH, "c", "icount.c")

# function: (what it does, ceiling in instructions per call)
PATHS = {
    "hot_cached_peek": ("iam_auth_peek(), cached token", 300),
    "hot_cached_get": ("iam_auth_get_token() + release, cached token", 400),
    "hot_rds_token": ("iam_rds_auth_token() + free", 50_000),
}


def count(valgrind, exe, url, function, loops):
    result = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
         f"--toggle-collect={function}", exe, url, str(loops)],
        env=run.aws_env(), capture_output=True, text=True, timeout=600)
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if result.returncode != 0 or not found:
        sys.exit(f"icount: {function} under callgrind failed ({result.returncode}):\n"
                 f"{result.stderr.strip()[-3000:]}")
    return int(found.group(1)) / loops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=200, help="calls per hot path [200]")
    args = parser.parse_args()
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("icount: valgrind is not installed (scripts/deps.sh installs it)")
    run.QUIET = True
    exe, info = run.build_c_bench(SOURCE, "icount")
    if exe is None:
        sys.exit(f"icount: {info}")
    failed = False
    print(f"Instructions per call (callgrind, {args.loops} calls, {info}):")
    with run.Emulator() as emu:
        for function, (what, ceiling) in PATHS.items():
            n = count(valgrind, exe, emu.url, function, args.loops)
            over = n > ceiling
            failed |= over
            print(f"  {function:<16} {n:>9,.0f}   {what} (ceiling {ceiling:,})"
                  f"{'   ABOVE THE CEILING' if over else ''}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
