#!/usr/bin/env bash
# Makes an OpenWhisk action zip (IBM Cloud Functions, Code Engine functions, Apache
# OpenWhisk) of one action file and iamcore, built for Linux x86_64 (docs/serverless.md):
#
#   scripts/action-zip.sh python ACTION.py OUT.zip   ACTION.py becomes __main__.py, with the
#                                                   manylinux wheel of iamcore unpacked beside it
#   scripts/action-zip.sh node ACTION.js OUT.zip     ACTION.js becomes index.js (the "main" of a
#                                                   package.json), with node_modules/iamcore
#                                                   holding the prebuilt addon
#
#   IAMCORE_DIST      where the packages are (default dist/, made by scripts/package.sh)
#   ACTION_PYTHON     the runtime's Python version, e.g. 3.11 for --kind python:3.11
#                     (default: the version of python3 here); a wheel for it must be in
#                     IAMCORE_DIST
#
# Offline: the packages come from IAMCORE_DIST only. The action itself needs no other
# dependency (it uses the standard library / fetch); add yours to the staging directory
# the same way if it does.
set -euo pipefail
usage() { echo "usage: scripts/action-zip.sh python|node ACTION_FILE OUT.zip" >&2; exit 2; }
[ $# -eq 3 ] || usage
kind=$1 action=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "${IAMCORE_DIST:-$root/dist}" && pwd)
[ -f "$action" ] || { echo "scripts/action-zip.sh: no such file: $action" >&2; exit 2; }
case $out in /*) ;; *) out=$PWD/$out ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
case $kind in
    python)
        version=${ACTION_PYTHON:-$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
        cp "$action" "$stage/__main__.py"
        # The wheel for that CPython, whatever Python runs pip here; nothing is compiled.
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-index --no-deps \
            --find-links "$dist" --only-binary :all: --target "$stage" \
            --implementation cp --python-version "$version" --platform manylinux_2_34_x86_64 \
            iamcore
        # The command-line script and the emulator are not for an action.
        rm -rf "$stage/bin" "$stage/iamcore/emulator"
        ;;
    node)
        tarball=$(ls "$dist"/iamcore-*.tgz 2>/dev/null | tail -1)
        [ -n "$tarball" ] || { echo "scripts/action-zip.sh: no iamcore-*.tgz in $dist" >&2; exit 1; }
        cp "$action" "$stage/index.js"
        printf '{"name": "action", "version": "1.0.0", "private": true, "main": "index.js"}\n' \
            >"$stage/package.json"
        (cd "$stage" && npm install --silent --offline --no-audit --no-fund --no-package-lock \
            --cache "$stage/.npm-cache" "$tarball")
        # .bin holds a symbolic link that a zip would turn into a broken copy.
        rm -rf "$stage/.npm-cache" "$stage/node_modules/.bin"
        # npm recorded the tarball's path here; the action needs only the version.
        version=$(node -p "require('$stage/node_modules/iamcore/package.json').version")
        printf '{"name": "action", "version": "1.0.0", "private": true, "main": "index.js",\n "dependencies": {"iamcore": "%s"}}\n' \
            "$version" >"$stage/package.json"
        # Only the linux-x64 prebuilt is loaded there: a source build made here would not fit.
        if [ -d "$stage/node_modules/iamcore/build" ]; then
            echo "scripts/action-zip.sh: iamcore was built from source here (no usable prebuilt);" \
                "make the zip on Linux x86_64" >&2
            exit 1
        fi
        ;;
    *) usage ;;
esac
rm -f "$out"
(cd "$stage" && python3 - "$out" <<'PY'
import os, sys, zipfile
# Every file (symbolic links followed), paths relative to the action's root.
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for top, dirs, files in os.walk("."):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            z.write(path, os.path.relpath(path, "."))
PY
)
echo "$out"
