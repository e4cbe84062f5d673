#!/usr/bin/env bash
# The long soak, on demand: tests/python/test_soak.py and tests/node/soak.test.js, each for
# IAMCORE_SOAK_SECONDS (600 unless set), then the machine line and one markdown table of
# both runs (what docs/reliability.md keeps). Needs the built bindings (scripts/build.sh).
#
#   scripts/soak.sh                         10 minutes per language
#   IAMCORE_SOAK_SECONDS=120 scripts/soak.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export IAMCORE_SOAK_SECONDS=${IAMCORE_SOAK_SECONDS:-600}
ls python/iamcore/_native*.so >/dev/null 2>&1 || { echo "build the Python extension first (scripts/build.sh)" >&2; exit 1; }
[ -f build/Release/iamcore.node ] || { echo "build the Node addon first (scripts/build.sh)" >&2; exit 1; }

results=$(mktemp)
trap 'rm -f "$results"' EXIT
export IAMCORE_SOAK_REPORT=$results
status=0
echo "== Python soak, $IAMCORE_SOAK_SECONDS s" >&2
python3 -m pytest -q -p no:cacheprovider tests/python/test_soak.py >&2 || status=1
echo "== Node soak, $IAMCORE_SOAK_SECONDS s" >&2
node --test tests/node/soak.test.js >&2 || status=1
echo
python3 tests/python/soak_support.py "$results"
[ $status -eq 0 ] || echo "some soak FAILED (its assertion is above)" >&2
exit $status
