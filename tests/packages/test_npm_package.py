"""The npm package: installed from its tarball into an empty directory, offline, in the bare
view (no compiler, no headers, no system libcurl, cJSON or OpenSSL), it loads its prebuilt
linux-x64 addon and the libraries beside it, and runs the quick start; where the prebuilt
does not load, the install builds the addon from the shipped sources."""

import os
import re
import shutil
import tarfile

import pytest

from conftest import ROOT, VERSION, run
from support import ldd_paths, mapped_libraries

BUNDLED = ("libcurl", "libcjson", "libssl", "libcrypto")
PREBUILT = "node/prebuilds/linux-x64"


def npm_install(run, app, tarball, *options):
    """`npm install TARBALL` in app (made empty), offline, with an empty npm cache."""
    app.mkdir()
    return run(["npm", "install", "--offline", "--no-audit", "--no-fund", "--foreground-scripts",
                "--cache", app.parent / (app.name + "-npm-cache"), *options, tarball],
               cwd=app, env={"npm_config_build_from_source": None})


@pytest.fixture(scope="module")
def app(bare, npm_tarball, tmp_path_factory):
    path = tmp_path_factory.mktemp("npm") / "app"
    result = npm_install(bare, path, npm_tarball)
    assert result.returncode == 0, result.stdout + result.stderr
    return path


def quick_start(run, app, emulator, cr_token_file):
    shutil.copy(ROOT / "examples" / "node" / "quickstart.js", app / "quickstart.js")
    env = {"IBMCLOUD_API_KEY": "npm-check-key", "TRUSTED_PROFILE_NAME": "npm-check-profile",
           "CR_TOKEN_FILENAME": cr_token_file, "IAM_URL": emulator.https,
           "IAM_CA_FILE": emulator.ca_file, "NODE_PATH": None}
    result = run(["node", "quickstart.js"], cwd=app, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Node, API key:           Authorization: Bearer ")
    assert lines[1].startswith("Node, trusted profile:   token ")
    apikey, profile = emulator.requests()
    assert apikey["form"]["apikey"] == "npm-check-key"
    assert profile["form"]["profile_name"] == "npm-check-profile"


def test_the_tarball_carries_the_prebuilt_addon_and_its_libraries(npm_tarball):
    with tarfile.open(npm_tarball) as t:
        names = [n[len("package/"):] for n in t.getnames()]
    assert f"{PREBUILT}/iamcore.node" in names
    assert f"{PREBUILT}/iamcore_libcurl.node" in names  # names libcurl
    for lib in BUNDLED:
        assert [n for n in names if re.fullmatch(rf"{PREBUILT}/{lib}-[0-9a-f]{{8}}\.so[.0-9]*", n)], lib
    # The sources and the install script of the source-build fallback.
    for name in ("binding.gyp", "node/scripts/install.js", "node/scripts/build.js",
                 "csrc/include/iamcore.h", "node/src/addon.c"):
        assert name in names
    assert not [n for n in names if n.startswith("build/") or n.endswith(".o")]


def test_installs_without_building(app):
    package = app / "node_modules" / "iamcore"
    assert (package / PREBUILT / "iamcore.node").is_file()
    assert not (package / "build").exists()


def test_quick_start_in_the_bare_view(bare, app, emulator, cr_token_file):
    quick_start(bare, app, emulator, cr_token_file)


def test_ldd_resolves_the_bundled_libraries(bare, app, capsys):
    # The addon links cJSON; libcurl (and its libssl, libcrypto) come through
    # iamcore_libcurl.node, which the addon opens at its first request.
    addon = app / "node_modules" / "iamcore" / PREBUILT / "iamcore.node"
    resolved = {}
    for module in (addon, addon.with_name("iamcore_libcurl.node")):
        result = bare(["ldd", module])
        with capsys.disabled():
            print(f"\nldd {module.relative_to(app)} (bare view):\n{result.stdout}", end="")
        assert result.returncode == 0 and "not found" not in result.stdout
        resolved.update(ldd_paths(result.stdout))
    for lib in BUNDLED:
        assert [p for name, p in resolved.items()
                if re.fullmatch(rf"{lib}-[0-9a-f]{{8}}\.so[.0-9]*", name)
                and os.path.dirname(p) == str(addon.parent)], lib


def test_the_process_maps_the_prebuilt_addon_and_its_libraries(bare, app, emulator, bare_view):
    code = ("const { IamAuthenticator } = require('iamcore');"
            "new IamAuthenticator({ apikey: 'maps-key', url: %r, caFile: %r }).getToken()"
            ".then(() => process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8')))"
            % (emulator.https, emulator.ca_file))
    result = bare(["node", "-e", code], cwd=app)

    assert result.returncode == 0, result.stderr
    mapped = mapped_libraries(result.stdout)
    prebuilt = str(app / "node_modules" / "iamcore" / PREBUILT) + "/"
    assert prebuilt + "iamcore.node" in mapped
    for lib in BUNDLED:
        assert [p for p in mapped if p.startswith(prebuilt + lib + "-")], lib
    assert not mapped & set(bare_view["libs"])
    assert [r["form"]["apikey"] for r in emulator.requests()] == ["maps-key"]


def test_the_command_line_runs_in_the_bare_view(bare, app):
    result = bare([app / "node_modules" / ".bin" / "iamcore", "--version"], cwd=app)
    assert (result.returncode, result.stdout) == (0, f"iamcore {VERSION}\n"), result.stderr


def test_build_from_source_is_impossible_in_the_bare_view(bare, npm_tarball, tmp_path):
    # So the install above used the prebuilt: asked to build, the same install fails.
    result = npm_install(bare, tmp_path / "app", npm_tarball, "--build-from-source")
    assert result.returncode != 0
    assert "building the addon from source (--build-from-source)" in result.stderr


def test_builds_from_source_when_the_prebuilt_does_not_load(npm_tarball, tmp_path, emulator,
                                                             cr_token_file):
    # A prebuilt that cannot load here (as on an older glibc or musl): not an ELF file.
    with tarfile.open(npm_tarball) as t:
        t.extractall(tmp_path / "unpacked")
    (tmp_path / "unpacked" / "package" / PREBUILT / "iamcore.node").write_text("not an ELF file")
    broken = tmp_path / "iamcore-unloadable-prebuilt.tgz"
    with tarfile.open(broken, "w:gz") as t:
        t.add(tmp_path / "unpacked" / "package", arcname="package")

    # Outside the bare view (a compiler and the -dev packages are there), still offline.
    app = tmp_path / "app"
    result = npm_install(run, app, broken)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "the prebuilt addon does not load here (" in result.stderr
    assert "building from source" in result.stderr
    assert (app / "node_modules" / "iamcore" / "build" / "Release" / "iamcore.node").is_file()
    quick_start(run, app, emulator, cr_token_file)
