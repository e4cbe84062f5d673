"""The Python distributions: the manylinux wheel installs into a new virtualenv and runs the
quick start in the bare view (no compiler, no -dev packages, no system libcurl, cJSON or
OpenSSL), using the libraries it carries; the sdist holds what a source build needs."""

import os
import re
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT, VERSION
from support import ldd_paths, mapped_libraries

BUNDLED = ("libcurl", "libcjson", "libssl", "libcrypto")


@pytest.fixture(scope="module")
def venv(bare, wheel, tmp_path_factory):
    """A new virtualenv with the wheel installed, offline, in the bare view."""
    path = tmp_path_factory.mktemp("wheel") / "venv"
    made = bare([sys.executable, "-m", "venv", path])
    assert made.returncode == 0, made.stderr
    installed = bare([path / "bin" / "python", "-m", "pip", "install", "--quiet",
                      "--disable-pip-version-check", "--no-index", "--no-deps", wheel])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return path


def site_packages(venv):
    [path] = venv.glob("lib/python3.*/site-packages")
    return path


def test_the_wheel_is_manylinux_and_carries_its_libraries(wheel):
    tag = "cp%d%d" % sys.version_info[:2]
    assert re.fullmatch(rf"iamcore-{VERSION}-{tag}-{tag}-manylinux_2_\d+_x86_64\.whl", wheel.name)
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    for lib in BUNDLED:
        assert any(re.fullmatch(rf"iamcore\.libs/{lib}-[0-9a-f]{{8}}\.so[.0-9]*", n) for n in names), lib
    assert f"iamcore/_native.cpython-{tag[2:]}-x86_64-linux-gnu.so" in names
    for lib in ("curl", "crypto"):  # the anchors that name libcurl and libcrypto
        assert f"iamcore/_lib{lib}.cpython-{tag[2:]}-x86_64-linux-gnu.so" in names
    assert not [n for n in names if n.endswith((".c", ".h", ".o"))]
    assert "iamcore/emulator/iam_emulator.py" in names
    assert not [n for n in names if "/test_" in n]


def test_the_sdist_holds_every_source_and_no_build_output(sdist):
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    expected = {"setup.py", "pyproject.toml", "MANIFEST.in", "README.md",
                "tests/emulator/iam_emulator.py", "python/iamcore/py.typed"}
    expected |= {str(p.relative_to(ROOT)) for pattern in ("csrc/*.c", "csrc/*.h", "csrc/libs/*.c",
                 "csrc/include/*.h", "python/iamcore/*.c", "python/iamcore/*.h",
                 "python/iamcore/*.py", "python/iamcore/*.pyi") for p in ROOT.glob(pattern)}
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.endswith((".so", ".o", ".pyc"))]


def test_quick_start_in_the_bare_view(bare, venv, emulator, cr_token_file, tmp_path):
    env = {"IBMCLOUD_API_KEY": "wheel-check-key", "TRUSTED_PROFILE_NAME": "wheel-check-profile",
           "CR_TOKEN_FILENAME": cr_token_file, "IAM_URL": emulator.https,
           "IAM_CA_FILE": emulator.ca_file, "PYTHONPATH": None}
    result = bare([venv / "bin" / "python", ROOT / "examples" / "python" / "quickstart.py"],
                  cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Python, API key:         Authorization: Bearer ")
    assert lines[1].startswith("Python, trusted profile: token ")
    apikey, profile = emulator.requests()
    assert apikey["form"]["apikey"] == "wheel-check-key"
    assert profile["form"]["profile_name"] == "wheel-check-profile"


def test_ldd_resolves_the_bundled_libraries(bare, venv, capsys):
    # The extension links cJSON; libcurl and libcrypto come through the anchors
    # _libcurl and _libcrypto, which the extension opens on first use (csrc/libs/).
    modules = [next(site_packages(venv).glob(f"iamcore/{name}*.so"))
               for name in ("_native", "_libcurl", "_libcrypto")]
    resolved = {}
    for module in modules:
        result = bare(["ldd", module])
        with capsys.disabled():
            print(f"\nldd {module.relative_to(venv)} (bare view):\n{result.stdout}", end="")
        assert result.returncode == 0 and "not found" not in result.stdout
        resolved.update(ldd_paths(result.stdout))
    libs = str(site_packages(venv) / "iamcore.libs")
    for lib in BUNDLED:
        assert [p for name, p in resolved.items()
                if re.fullmatch(rf"{lib}-[0-9a-f]{{8}}\.so[.0-9]*", name)
                and os.path.dirname(p) == libs], lib


def test_the_process_maps_the_bundled_libraries(bare, venv, emulator, tmp_path, bare_view):
    code = ("import iamcore; auth = iamcore.IAMAuthenticator('maps-key', url=%r, ca_file=%r); "
            "auth.token(); print(open('/proc/self/maps').read())" % (emulator.https, emulator.ca_file))
    result = bare([venv / "bin" / "python", "-c", code], cwd=tmp_path, env={"PYTHONPATH": None})

    assert result.returncode == 0, result.stderr
    mapped = mapped_libraries(result.stdout)
    libs = str(site_packages(venv) / "iamcore.libs") + "/"
    for lib in BUNDLED:
        assert [p for p in mapped if p.startswith(libs + lib + "-")], lib
    assert not mapped & set(bare_view["libs"])
    assert [r["form"]["apikey"] for r in emulator.requests()] == ["maps-key"]


def test_without_ca_file_the_bundle_of_another_layout_is_trusted(bare, venv, emulator, tmp_path):
    # The wheel's libcurl is Debian's: by itself it trusts /etc/ssl/certs/ca-certificates.crt
    # only. Here /etc/ssl is replaced by an empty directory, and the system's CAs (the
    # emulator's test CA) are where Alpine keeps them, /etc/ssl/cert.pem (csrc/ca_bundle.c).
    code = ("import iamcore; auth = iamcore.IAMAuthenticator('layout-key', url=%r, timeout=5); "
            "print(auth.token().count('.'))" % emulator.https)
    for provided in (True, False):
        layout = "mount -t tmpfs tmpfs /etc/ssl && "
        if provided:
            layout += f"cp {emulator.ca_file} /etc/ssl/cert.pem && "
        result = bare(["sh", "-c", layout + 'exec "$@"', "sh", venv / "bin" / "python", "-c", code],
                      cwd=tmp_path, env={"PYTHONPATH": None, "SSL_CERT_FILE": None})
        if provided:
            assert (result.returncode, result.stdout) == (0, "2\n"), result.stderr
        else:  # the control: without that file, nothing is trusted
            assert result.returncode == 1 and "iamcore.TLSError" in result.stderr, result.stderr
    assert [r["form"]["apikey"] for r in emulator.requests()] == ["layout-key"]


def test_the_command_line_runs_in_the_bare_view(bare, venv, tmp_path):
    result = bare([venv / "bin" / "iamcore", "--version"], cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"iamcore {VERSION}\n"), result.stderr

