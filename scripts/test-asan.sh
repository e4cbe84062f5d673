#!/usr/bin/env bash
# The Python and Node suites once more, with the C core and its Python and Node
# glue built under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan; the
# package's own builds stay as they are). Run after scripts/build.sh, which
# installs the test dependencies; scripts/test.sh runs it.
#
# Every process of the run gets the ASan runtime (LD_PRELOAD: python and node are
# not built with it). Reports go to one file per process; at the end
# tests/sanitizers/check_reports.py fails on any memory or undefined-behaviour
# error, and on any leak with an iamcore frame. Leaks never change a process's exit
# status (exitcode=0): the emulator, shells and compilers the tests start have
# leaks of their own, which the check counts and ignores. Memory and UB errors
# abort the process, and their reports fail the run too.
#
# PYTHONMALLOC=malloc: Python objects come from malloc, where LeakSanitizer sees the
# pointers they hold (pymalloc's mmap'd arenas it does not scan), so the C objects
# of live Python objects do not look leaked. intercept_tls_get_addr=0: this
# LeakSanitizer misreads the dynamic TLS of a thread that is starting and crashes
# when a process exits with threads running (the tests that exit mid-fetch).
# tests/sanitizers/lsan.supp says why each suppression is there.
# IAMCORE_ASAN_REPORTS=DIR keeps the reports in DIR.
#
# IAMCORE_TEST_SANITIZER is set for the tests: long soak or benchmark-like tests
# skip when it is, or cut short (IAMCORE_SOAK_SECONDS is 5 unless set).
#
#   scripts/test-asan.sh            both suites
#   scripts/test-asan.sh python     one of them (python or node)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/asan
sanitize=address,undefined
which=${1:-all}

python=$(python3 -c 'import sys; print(sys.executable)')
libasan=$(${CC:-gcc} -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "libasan.so not found (gcc's AddressSanitizer runtime)" >&2; exit 1; }

echo "== sanitizer builds (build/asan)"
pkg=$out/python/iamcore
IAMCORE_SANITIZE=$sanitize CFLAGS="${CFLAGS:-} -Werror" "$python" setup.py --quiet build_ext \
    --build-lib "$out/python" --build-temp "$out/python-obj" 2> >(grep -v -e FutureWarning -e '^  warn($' >&2) || exit 1
# The package beside its sanitized extension: copies, so that iamcore.__file__ and
# the paths derived from it (the command line's PYTHONPATH) stay in build/asan.
find "$pkg" -maxdepth 1 \( -name '*.py' -o -name '*.pyi' -o -name py.typed \) -delete
cp python/iamcore/*.py python/iamcore/*.pyi python/iamcore/py.typed "$pkg/"
ln -sfn "$root/tests/emulator" "$pkg/emulator"
IAMCORE_SANITIZE=$sanitize IAMCORE_WERROR=1 node node/scripts/build.js --out-dir "$out/node" >"$out/node-build.log" 2>&1 \
    || { cat "$out/node-build.log"; exit 1; }

# The reports: in IAMCORE_ASAN_REPORTS (kept) if set, else in a temporary directory.
if [ -n "${IAMCORE_ASAN_REPORTS:-}" ]; then
    reports=$IAMCORE_ASAN_REPORTS
    mkdir -p "$reports" && rm -f "$reports"/asan.* "$reports"/ubsan.*
else
    reports=$(mktemp -d "${TMPDIR:-/tmp}/iamcore-asan.XXXXXX")
    trap 'rm -rf "$reports"' EXIT
fi

run() {
    env LD_PRELOAD="$libasan" \
        ASAN_OPTIONS="detect_leaks=1:exitcode=0:abort_on_error=1:intercept_tls_get_addr=0:log_path=$reports/asan" \
        LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0" \
        UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
        PYTHONMALLOC=malloc \
        IAMCORE_TEST_SANITIZER=$sanitize IAMCORE_SOAK_SECONDS="${IAMCORE_SOAK_SECONDS:-5}" "$@"
}

status=0
if [ "$which" = all ] || [ "$which" = python ]; then
    echo "== Python tests (ASan + UBSan)"
    IAMCORE_TEST_PACKAGE_DIR=$out/python run "$python" -m pytest -q -p no:cacheprovider tests/python tests/emulator || status=1
fi
if [ "$which" = all ] || [ "$which" = node ]; then
    echo "== Node tests (ASan + UBSan)"
    IAMCORE_TEST_ADDON=$out/node/build/Release/iamcore.node \
        NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require=$root/tests/sanitizers/addon-preload.js" \
        run node --test tests/node/ || status=1
fi
"$python" tests/sanitizers/check_reports.py "$reports" || status=1
exit $status
