"""The AWS part of the package: names, lazy iamcore.aws, light imports, docstrings,
typing stubs."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import iamcore
from iamcore import _native

AWS_NAMES = [
    "Credentials",
    "RDSAuthenticator",
    "generate_db_auth_token",
    "generate_dsql_auth_token",
    "generate_elasticache_auth_token",
    "presign_url",
    "resolve_credentials",
    "resolve_region",
    "sign_request",
]


def run(code):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=env).stdout
    return ast.literal_eval(out.splitlines()[-1])


def test_names():
    from iamcore import aws

    assert sorted(aws.__all__) == sorted(AWS_NAMES)
    for name in AWS_NAMES:
        assert getattr(aws, name) is not None
    for name in ("RDSAuthenticator", "generate_db_auth_token", "generate_dsql_auth_token",
                 "generate_elasticache_auth_token", "aws"):
        assert name in iamcore.__all__
        assert getattr(iamcore, name) is not None
    assert "aws" in dir(iamcore)
    assert aws.Credentials.__module__ == "iamcore.aws"


def test_aws_is_imported_lazily():
    new = run("import sys; before = set(sys.modules); import iamcore; "
              "print(sorted(set(sys.modules) - before))")
    assert "iamcore.aws" not in new
    assert run("import iamcore; print(repr(iamcore.aws.__name__))") == "iamcore.aws"
    assert run("from iamcore import aws; print(repr(aws.__name__))") == "iamcore.aws"
    assert run("import iamcore.aws; print(repr(iamcore.aws.__name__))") == "iamcore.aws"
    assert run("from iamcore import *; print(repr(aws.__name__))") == "iamcore.aws"


def test_aws_import_is_light():
    new = set(run("import sys; import iamcore; before = set(sys.modules); import iamcore.aws; "
                  "iamcore.RDSAuthenticator; print(sorted(set(sys.modules) - before))"))
    heavy = {"json", "ssl", "typing", "re", "logging", "socket", "threading", "urllib", "enum",
             "datetime"}
    assert new & heavy == set()


def test_unknown_attribute():
    try:
        iamcore.nope
    except AttributeError as e:
        assert "nope" in str(e)
    else:
        raise AssertionError("iamcore.nope did not raise")


def test_docstrings():
    from iamcore import aws

    for obj in [aws, iamcore.RDSAuthenticator, iamcore.RDSAuthenticator.token,
                iamcore.RDSAuthenticator.invalidate]:
        assert obj.__doc__ and len(obj.__doc__) > 40, obj
    for name in AWS_NAMES:
        assert getattr(aws, name).__doc__ and len(getattr(aws, name).__doc__) > 40, name


def test_text_signatures():
    import inspect

    from iamcore import aws

    sig = inspect.signature(aws.generate_db_auth_token)
    assert list(sig.parameters)[:4] == ["DBHostname", "Port", "DBUsername", "Region"]
    assert str(inspect.signature(aws.presign_url)).startswith("(method, url, *, service, region,")
    assert "expires_in=900" in str(inspect.signature(aws.generate_dsql_auth_token))
    assert str(inspect.signature(iamcore.RDSAuthenticator)).startswith(
        "(hostname, port, username, region=None, expiration=870, *, credentials=None")


def test_constants():
    assert _native.RDS_DEFAULT_EXPIRATION == 870
    assert _native.AWS_TOKEN_DEFAULT_EXPIRES == 900
    assert _native.SIGV4_MAX_EXPIRES == 604800


def test_typing_stubs_are_shipped_and_parse():
    package = Path(iamcore.__file__).parent
    for name in ("__init__.pyi", "aws.pyi", "_native.pyi"):
        tree = ast.parse((package / name).read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        defined |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                    for a in n.names}
        if name == "aws.pyi":
            assert set(AWS_NAMES) <= defined
        if name == "__init__.pyi":
            assert {"RDSAuthenticator", "generate_db_auth_token", "generate_dsql_auth_token",
                    "generate_elasticache_auth_token", "aws"} <= defined
