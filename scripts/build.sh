#!/usr/bin/env bash
# Builds everything in place: libiamcore and the C example (make), the Python
# extension next to its package (python/iamcore), the Node addon (build/Release).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s all
# botocore: the Python tests compare iamcore's AWS tokens with it (skipped without it).
# psycopg + psycopg_pool: the RDS recipes against a real PostgreSQL (Python 3.10+).
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pytest botocore==1.43.11 \
    "psycopg[binary]==3.3.9; python_version >= '3.10'" "psycopg-pool==3.3.3; python_version >= '3.10'"
# Warnings are errors here (not for users' own installs).
CFLAGS="${CFLAGS:-} -Werror" python3 setup.py --quiet build_ext --inplace
IAMCORE_WERROR=1 npm install --no-audit --no-fund --loglevel=error
