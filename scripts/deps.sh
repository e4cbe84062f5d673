#!/usr/bin/env bash
# Installs what building and testing iamcore needs on a Debian-like machine:
# a C compiler, make, pkg-config, the openssl tool and the -dev packages of
# libcurl (OpenSSL flavour), cJSON and OpenSSL; for the tests, PostgreSQL (the
# RDS recipes log in to a private server started by the tests) and valgrind (the
# instruction counts of bench/icount.py). Python 3 and
# Node.js (>= 18) with npm must already be installed. Only missing packages are
# installed.
set -euo pipefail

need=()
for pkg in gcc make pkg-config openssl libcurl4-openssl-dev libcjson-dev libssl-dev postgresql valgrind; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for tool in python3 node npm; do
    command -v "$tool" >/dev/null || { echo "iamcore needs $tool on PATH" >&2; exit 1; }
done
python3 - <<'PY'
import sys, sysconfig, os
if sys.version_info < (3, 8):
    sys.exit("iamcore needs Python 3.8 or newer")
if not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
    sys.exit("Python.h not found: install python3-dev")
PY
