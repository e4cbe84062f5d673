"""Start-up cost: libcurl is loaded by the first request and libcrypto by the
first signature, not by `import iamcore` (importing and constructing map
neither; signing AWS tokens maps no libcurl), and the import pulls in no
standard module a bare interpreter does not already have but atexit."""

import json
import subprocess
import sys
from pathlib import Path

PYTHON_DIR = str(Path(__file__).resolve().parents[2] / "python")

SCRIPT = r"""
import json, sys
def mapped():
    with open("/proc/self/maps") as f:
        maps = f.read()
    return {name: name in maps for name in ("libcurl", "libssl", "libnghttp2", "libcrypto",
                                             "iamcore/_libcurl.", "iamcore/_libcrypto.")}
import iamcore
seen = {"import": mapped()}
auth = iamcore.IAMAuthenticator("test-api-key", url=sys.argv[1], timeout=10)
seen["construct"] = mapped()
creds = iamcore.aws.Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
assert iamcore.generate_db_auth_token("db.example.com", 5432, "u", "us-east-1", credentials=creds)
seen["rds token"] = mapped()
assert auth.token()
seen["first token"] = mapped()
print(json.dumps(seen))
"""


def test_libcurl_and_libcrypto_are_loaded_on_first_use(emulator):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, emulator.http],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": PYTHON_DIR},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    # The anchors beside the extension (csrc/libs/) are what the libraries come through.
    nothing = {"libcurl": False, "libssl": False, "libnghttp2": False, "libcrypto": False,
               "iamcore/_libcurl.": False, "iamcore/_libcrypto.": False}
    for step in ("import", "construct"):
        assert seen[step] == nothing, step
    assert seen["rds token"] == dict(nothing, libcrypto=True, **{"iamcore/_libcrypto.": True})
    assert seen["first token"] == {name: True for name in nothing}
    assert emulator.count() == 1


def test_import_adds_no_heavy_standard_modules():
    # -S: no site, so no .pth file has imported anything yet. functools (with
    # collections), importlib.util (with contextlib and warnings) would cost a
    # clean interpreter about as much as iamcore itself.
    script = "import sys; before = set(sys.modules); import iamcore; print(sorted(set(sys.modules) - before))"
    out = subprocess.run(
        [sys.executable, "-S", "-c", script],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": PYTHON_DIR},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    added = {name for name in json.loads(out.stdout.replace("'", '"')) if not name.startswith("iamcore")}
    assert added <= {"atexit"}, added  # binascii: imported by BasicAuthenticator only
