#!/usr/bin/env bash
# Runs every test: C (under AddressSanitizer and UBSan), Python (pytest), Node
# (node --test), each against the local emulator. Installs what it needs first.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh || exit 1
# The PostgreSQL tests fail, rather than skip, when PostgreSQL is missing.
export IAMCORE_REQUIRE_POSTGRES=1

status=0
echo "== C tests (ASan + UBSan)"
make -s test-c || status=1
echo "== C concurrency tests (TSan)"
make -s test-c-tsan || status=1
echo "== Python tests"
python3 -m pytest -q -p no:cacheprovider tests/python tests/emulator || status=1
echo "== Node tests"
npm test --silent || status=1
echo "== Instruction counts of the hot paths (callgrind)"
python3 bench/icount.py || status=1
[ $status -eq 0 ] && echo "all tests passed" || echo "some tests FAILED"
exit $status
