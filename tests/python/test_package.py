"""The package itself: version, public names, light import, C methods, typing files."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import iamcore
from iamcore import _native


def test_version():
    assert iamcore.__version__ == "0.1.0"
    assert _native.core_version() == "0.1.0"


def test_public_names():
    for name in iamcore.__all__:
        assert hasattr(iamcore, name), name
    assert iamcore.Error.__module__ == "iamcore"


def test_methods_are_the_c_ones():
    # No Python wrapper on the hot path: the subclasses inherit the C methods.
    for cls in (iamcore.IAMAuthenticator, iamcore.ContainerAuthenticator):
        assert issubclass(cls, _native.Authenticator)
        for name in ("token", "authenticate", "authentication_type", "invalidate"):
            assert getattr(cls, name) is getattr(_native.Authenticator, name)
            assert type(getattr(cls, name)).__name__ == "method_descriptor"
        assert cls.__slots__ == ()


def test_docstrings():
    for obj in (
        iamcore,
        iamcore.IAMAuthenticator,
        iamcore.ContainerAuthenticator,
        iamcore.IAMAuthenticator.token,
        iamcore.IAMAuthenticator.authenticate,
        iamcore.IAMAuthenticator.authentication_type,
        iamcore.IAMAuthenticator.invalidate,
        iamcore.Error,
        iamcore.ConfigError,
        iamcore.TokenFileError,
    ):
        assert obj.__doc__ and len(obj.__doc__) > 40, obj


def test_import_is_light():
    code = (
        "import sys; before = set(sys.modules); import iamcore; "
        "print(sorted(set(sys.modules) - before))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout
    new = set(ast.literal_eval(out.splitlines()[-1]))
    assert {"iamcore", "iamcore._native", "iamcore._errors"} <= new
    heavy = {"json", "ssl", "typing", "re", "logging", "socket", "threading", "urllib", "enum"}
    assert new & heavy == set()


def test_typing_files_are_shipped():
    package = Path(iamcore.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "__init__.pyi").exists()


def test_user_agent_names_the_python_version():
    v = sys.version_info
    assert _native.USER_AGENT_EXTRA == f"python/{v.major}.{v.minor}.{v.micro}"
