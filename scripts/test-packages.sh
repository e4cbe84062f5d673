#!/usr/bin/env bash
# The proof that the packages install and run without a compiler (docs/packaging.md):
# builds them (scripts/package.sh), then runs tests/packages inside a network namespace
# that has only loopback (so every install is offline). Those tests run each command under
# test in a private mount namespace where the compilers, the headers, the pkg-config files
# and every library the in-tree builds link (libcurl, cJSON, OpenSSL and their dependencies)
# are hidden: the wheel and the npm tarball are installed and their quick starts and the
# action zips run there, against the emulator. Needs root (namespaces, mounts) and the
# in-tree builds of scripts/build.sh (scripts/test.sh runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test-packages.sh: needs root (it hides files with mount namespaces)" >&2
    exit 1
fi
if ! command -v ip >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null
fi
scripts/package.sh
exec unshare --net --fork -- sh -c \
    'ip link set lo up && exec python3 -m pytest -q -p no:cacheprovider tests/packages'
