#!/usr/bin/env bash
# Builds everything in place: libiamcore and the C example (make), the Python
# extension next to its package (python/iamcore), the Node addon (build/Release).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s all
# Test dependencies, pinned: botocore, boto3 (the AWS tokens are compared with theirs);
# requests, httpx, ibm-cloud-sdk-core + ibmcloudant (the adapters run against them); pandas
# (the Db2 example); psycopg + psycopg_pool (the RDS recipes against a real PostgreSQL);
# wheel (the packaging test installs the project with pip, offline).
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pytest wheel \
    botocore==1.43.11 boto3==1.43.11 requests==2.34.2 httpx==0.28.1 \
    ibm-cloud-sdk-core==3.28.0 ibmcloudant==0.11.12 "pandas==3.1.1; python_version >= '3.11'" \
    "psycopg[binary]==3.3.9; python_version >= '3.10'" "psycopg-pool==3.3.3; python_version >= '3.10'"
# Warnings are errors here (not for users' own installs).
CFLAGS="${CFLAGS:-} -Werror" python3 setup.py --quiet build_ext --inplace
IAMCORE_WERROR=1 npm install --no-audit --no-fund --loglevel=error
