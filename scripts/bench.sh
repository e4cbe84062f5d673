#!/usr/bin/env bash
# The benchmark from a clean checkout: builds everything and installs the pinned peers
# (scripts/build.sh), then runs bench/run.py with the given options (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >&2
exec python3 bench/run.py "$@"
