"""Build of the iamcore Python package: one extension, iamcore._native, compiled
from the C core (csrc/*.c) and its CPython glue (python/iamcore/*.c), plus the
local emulator as the pure-Python subpackage iamcore.emulator. Its source stays
in tests/emulator (mapped below, without its test_*.py files); in the source tree
python/iamcore/emulator is a symbolic link to it.

System libraries are found with pkg-config: libcurl, libcjson and libcrypto
(Debian/Ubuntu: apt-get install pkg-config libcurl4-openssl-dev libcjson-dev libssl-dev).
Package metadata lives in pyproject.toml.
"""

import glob
import os
import re
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_CONFIG_PACKAGES = ("libcurl", "libcjson", "libcrypto")
# Linked: cJSON only. The core loads libcurl with dlopen on its first request
# (csrc/curl_lib.h) and libcrypto when it first signs (csrc/crypto_lib.h), so that
# importing iamcore loads neither (libcurl pulls in ~30 libraries).
LINKED_PACKAGES = ("libcjson",)


def fail(message):
    sys.stderr.write("\nerror: " + message + "\n\n")
    sys.exit(1)


def pkg_config(option, packages=PKG_CONFIG_PACKAGES):
    command = [os.environ.get("PKG_CONFIG", "pkg-config"), option, *packages]
    try:
        result = subprocess.run(command, check=False, capture_output=True, text=True)
    except FileNotFoundError:
        fail(
            "pkg-config was not found; it is needed to locate %s.\n"
            "Debian/Ubuntu: apt-get install pkg-config libcurl4-openssl-dev libcjson-dev libssl-dev"
            % ", ".join(PKG_CONFIG_PACKAGES)
        )
    if result.returncode != 0:
        fail(
            "pkg-config could not find the development files of %s:\n%s\n"
            "Debian/Ubuntu: apt-get install libcurl4-openssl-dev libcjson-dev libssl-dev"
            % (", ".join(PKG_CONFIG_PACKAGES), result.stderr.strip())
        )
    return shlex.split(result.stdout)


def split_flags(cflags, libs):
    """Sort pkg-config output into the Extension's fields."""
    include_dirs, library_dirs, libraries, compile_args, link_args = [], [], [], [], []
    for flag in cflags:
        if flag.startswith("-I"):
            include_dirs.append(flag[2:])
        else:
            compile_args.append(flag)
    for flag in libs:
        if flag.startswith("-L"):
            library_dirs.append(flag[2:])
        elif flag.startswith("-l"):
            libraries.append(flag[2:])
        else:
            link_args.append(flag)
    return include_dirs, library_dirs, libraries, compile_args, link_args


def rel(path):
    return os.path.relpath(path, HERE)


def native_extension():
    core_sources = sorted(glob.glob(os.path.join(HERE, "csrc", "*.c")))
    if not core_sources:
        fail("no C sources found in %s" % os.path.join(HERE, "csrc"))
    glue_sources = sorted(glob.glob(os.path.join(HERE, "python", "iamcore", "*.c")))
    sources = [rel(p) for p in core_sources + glue_sources]
    include_dirs, library_dirs, libraries, compile_args, link_args = split_flags(
        pkg_config("--cflags"), pkg_config("--libs", LINKED_PACKAGES)
    )
    optimize = ["-O2"]
    sanitize = os.environ.get("IAMCORE_SANITIZE", "").strip()
    if sanitize:
        # A test build under sanitizers (scripts/test-asan.sh), e.g. "address,undefined".
        if not re.fullmatch(r"[a-z]+(,[a-z]+)*", sanitize):
            fail("IAMCORE_SANITIZE must be a list of sanitizer names, e.g. address,undefined")
        optimize = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=" + sanitize,
                    "-fno-sanitize-recover=all"]
        link_args.append("-fsanitize=" + sanitize)
    return Extension(
        "iamcore._native",
        sources=sources,
        include_dirs=[os.path.join("csrc", "include")] + include_dirs,
        library_dirs=library_dirs,
        libraries=libraries + ["pthread", "m", "dl"],
        extra_compile_args=compile_args
        + ["-std=c11", "-Wall", "-Wextra", "-fvisibility=hidden"]
        + optimize,
        extra_link_args=link_args,
        depends=[rel(p) for p in glob.glob(os.path.join(HERE, "csrc", "include", "*.h"))]
        + [rel(p) for p in glob.glob(os.path.join(HERE, "csrc", "*.h"))]
        + [rel(p) for p in glob.glob(os.path.join(HERE, "python", "iamcore", "*.h"))],
    )


def libs_anchor(lib, package):
    """iamcore._lib<lib>: links one library (libcurl or libcrypto) and holds nothing
    else, so that auditwheel copies it (and what it needs) into the wheel. The core
    opens it instead of the system's library when it is there (csrc/libs/)."""
    include_dirs, library_dirs, libraries, compile_args, link_args = split_flags(
        pkg_config("--cflags", (package,)), pkg_config("--libs", (package,))
    )
    return Extension(
        "iamcore._lib" + lib,
        sources=[os.path.join("csrc", "libs", "anchor_lib%s.c" % lib)],
        include_dirs=include_dirs,
        library_dirs=library_dirs,
        libraries=libraries,
        extra_compile_args=compile_args + ["-std=c11", "-Wall", "-Wextra", "-O2"],
        extra_link_args=link_args,
    )


class build_py_without_tests(build_py):
    """Leave the emulator's own tests (test_*.py) out of the package."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if not (package == "iamcore.emulator" and m[1].startswith("test_"))]


setup(
    package_dir={"": "python", "iamcore.emulator": os.path.join("tests", "emulator")},
    packages=["iamcore", "iamcore.emulator"],
    package_data={"iamcore": ["py.typed", "*.pyi"], "iamcore.emulator": ["README.md"]},
    exclude_package_data={"iamcore": ["*.c", "*.h"]},
    ext_modules=[native_extension(), libs_anchor("curl", "libcurl"),
                 libs_anchor("crypto", "libcrypto")],
    cmdclass={"build_py": build_py_without_tests},
    zip_safe=False,
)
