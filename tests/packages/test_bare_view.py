"""The conditions the other package tests run in hold: no network but loopback, and in the
bare view no compiler, no headers, no pkg-config files, and builds linked to the system's
libcurl/cJSON/OpenSSL cannot load. Without these, a passing package test would prove
nothing."""

import socket
import sys

from conftest import ROOT, in_tree_builds


def test_only_loopback_is_reachable():
    assert [name for _, name in socket.if_nameindex()] == ["lo"]


def test_no_compiler_runs_in_the_bare_view(bare, tmp_path):
    source = tmp_path / "empty.c"
    source.write_text("int main(void) { return 0; }\n")
    for compiler in ("cc", "gcc"):
        result = bare([compiler, "-o", tmp_path / "a.out", source])
        assert result.returncode != 0
    assert not (tmp_path / "a.out").exists()
    assert bare(["make", "--version"]).returncode != 0


def test_no_headers_or_pkg_config_files_in_the_bare_view(bare):
    for header in ("/usr/include/curl/curl.h", "/usr/include/cjson/cJSON.h",
                   "/usr/include/openssl/ssl.h", "/usr/include/node/node_api.h"):
        assert bare(["test", "-e", header]).returncode == 1, header
    assert bare(["pkg-config", "--exists", "libcurl"]).returncode != 0


def test_builds_linked_to_the_system_libraries_do_not_load_in_the_bare_view(bare):
    extension, _, _, addon, addon_anchor = in_tree_builds()
    # The loader finds /dev/null where each library was: "file too short".
    python = bare([sys.executable, "-c", "import iamcore"], cwd=extension.parent.parent)
    assert python.returncode == 1
    assert "ImportError" in python.stderr and "file too short" in python.stderr
    node = bare(["node", "-e", f"require({str(addon)!r})"], cwd=ROOT)
    assert node.returncode == 1
    assert "ERR_DLOPEN_FAILED" in node.stderr and "file too short" in node.stderr
    # Nor do the libraries anchors, through which libcurl is opened.
    node = bare(["node", "-e", f"process.dlopen({{exports: {{}}}}, {str(addon_anchor)!r})"], cwd=ROOT)
    assert node.returncode == 1
    assert "file too short" in node.stderr
