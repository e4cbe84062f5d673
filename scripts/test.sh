#!/usr/bin/env bash
# Runs every test: C (under AddressSanitizer and UBSan, the concurrency tests also
# under ThreadSanitizer), Python (pytest), Node (node --test), each against the local
# emulator; then the Python and Node suites again with the C core and its glue built
# under ASan + UBSan (scripts/test-asan.sh); then the secret scan of everything the
# run printed (docs/SECURITY.md). Installs what it needs first.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh || exit 1
# The PostgreSQL tests fail, rather than skip, when PostgreSQL is missing.
export IAMCORE_REQUIRE_POSTGRES=1

# The secret scan: every emulator the run starts records the secrets it receives or
# hands out; every stage's console output and every Node process's errors are kept,
# and none of them may hold one of those secrets (tests/python/secret_scan.py; the
# Python suite also scans itself, in more places).
scan=$(mktemp -d "${TMPDIR:-/tmp}/iamcore-scan.XXXXXX")
trap 'rm -rf "$scan"' EXIT
export IAMCORE_EMULATOR_SECRETS_LOG=$scan/secrets.jsonl IAMCORE_SECRET_SCAN_DIR=$scan
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require=$PWD/tests/node/secret-scan-preload.js"

status=0
stages=0
# stage TITLE COMMAND...: run it, its output on the console and kept for the scan.
stage() {
    local title=$1
    shift
    stages=$((stages + 1))
    echo "== $title"
    "$@" 2>&1 | tee "$scan/console-$stages.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}

stage "C tests (ASan + UBSan)" make -s test-c
stage "Fuzz corpora replay (ASan + UBSan)" make -s test-fuzz-replay
stage "C concurrency tests (TSan)" make -s test-c-tsan
stage "Python tests" python3 -m pytest -q -p no:cacheprovider tests/python tests/emulator
stage "Node tests" npm test --silent
stage "Instruction counts of the hot paths (callgrind)" python3 bench/icount.py
stage "Python and Node tests with the core under ASan + UBSan" scripts/test-asan.sh
stage "Packages: wheel, sdist, npm tarball, action zips" scripts/test-packages.sh
echo "== Secret scan of the whole run"
python3 tests/python/secret_scan.py --secrets "$scan/secrets.jsonl" "$scan"/*.txt || status=1
[ $status -eq 0 ] && echo "all tests passed" || echo "some tests FAILED"
exit $status
