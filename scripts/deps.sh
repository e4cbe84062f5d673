#!/usr/bin/env bash
# Installs what building and testing iamcore needs on a Debian-like machine:
# a C compiler, make, pkg-config, the openssl tool and the -dev packages of
# libcurl (OpenSSL flavour), cJSON and OpenSSL; for the tests, PostgreSQL (the
# RDS recipes log in to a private server started by the tests), curl (the
# docs' curl examples run) and valgrind (the instruction counts of
# bench/icount.py). Python 3 and
# Node.js (>= 18) with npm must already be installed. Only missing packages are
# installed. With --fuzz, also clang and its libFuzzer runtime, which only the
# fuzzing campaigns (scripts/fuzz.sh) need.
set -euo pipefail

fuzz=0
[ "${1:-}" = "--fuzz" ] && fuzz=1

need=()
pkgs=(gcc make pkg-config openssl libcurl4-openssl-dev libcjson-dev libssl-dev postgresql curl valgrind)
[ $fuzz -eq 1 ] && pkgs+=(clang)
for pkg in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian ships libFuzzer in libclang-rt-<version>-dev (bookworm and later).
if [ $fuzz -eq 1 ] && [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] &&
    [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-aarch64.a)" ]; then
    major=$(clang -dumpversion | cut -d. -f1)
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "libclang-rt-$major-dev" >/dev/null
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
