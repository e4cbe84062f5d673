#!/usr/bin/env bash
# Builds everything in place: libiamcore and the C example (make), the Python
# extension next to its package (python/iamcore), the Node addon (build/Release).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s all
# botocore, boto3: the Python tests compare iamcore's AWS tokens with them (skipped without).
# requests, httpx, ibm-cloud-sdk-core + ibmcloudant: the adapter tests run against them;
# pandas: the Db2 example's DataFrame test; wheel: the packaging test installs the project
# with pip, offline (--no-build-isolation).
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pytest botocore==1.43.11 boto3==1.43.11 \
    requests==2.34.2 httpx==0.28.1 ibm-cloud-sdk-core==3.28.0 ibmcloudant==0.11.12 pandas==3.1.1 wheel
# Warnings are errors here (not for users' own installs).
CFLAGS="${CFLAGS:-} -Werror" python3 setup.py --quiet build_ext --inplace
IAMCORE_WERROR=1 npm install --no-audit --no-fund --loglevel=error
