"""The RDS recipes of docs/postgres.md against a real PostgreSQL (tests/python/pg_server.py):
an iamcore RDS token becomes a role's password, and psycopg logs in with it --
as keyword arguments, in a conninfo string, in a URI, and through a psycopg_pool.

Each test signs a token for an RDS-like host name and the server's real port,
sets it as the password of a role of its own (superuser, Unix socket) and
connects over TCP. Roles in the group ``rds_iam`` send the password in clear
text, as RDS asks IAM users to; the others use SCRAM. Tokens carry a session
token, so they are ~1,000 characters with '%', '&', '=' and '/'.
"""

import base64
import datetime
import itertools
import os
import sys
import urllib.parse

import pytest

import iamcore
from iamcore import aws
from pg_server import PostgresServer, StartError, Unavailable, required

try:
    import psycopg
    import psycopg_pool
    from psycopg import sql
except ImportError as exc:  # pragma: no cover - depends on the machine
    # scripts/build.sh installs them on Python 3.10+ (psycopg 3.3 needs it).
    if required() and sys.version_info >= (3, 10):
        raise ImportError("psycopg and psycopg_pool are needed when IAMCORE_REQUIRE_POSTGRES "
                          "is set (scripts/build.sh installs them)") from exc
    pytest.skip("psycopg 3.3 or psycopg_pool 3.3 is not installed", allow_module_level=True)

RDS_HOST = "mydb.123456789012.us-east-1.rds.amazonaws.com"
REGION = "us-east-1"
# A session token as long as STS's, with every character base64 uses.
SESSION_TOKEN = base64.b64encode(bytes(range(256)) * 2).decode()
CREDENTIALS = aws.Credentials("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                              session_token=SESSION_TOKEN)
METHODS = ["scram-sha-256", "password"]
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_aws_environment(monkeypatch):
    # Credentials and region are explicit; nothing may come from the machine.
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def pg():
    """One server for this file."""
    try:
        server = PostgresServer.start()
    except Unavailable as exc:
        if required():
            pytest.fail(f"PostgreSQL is required (IAMCORE_REQUIRE_POSTGRES is set): {exc}",
                        pytrace=False)
        pytest.skip(str(exc))
    except StartError as exc:
        pytest.fail(f"PostgreSQL is installed but could not be started: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def admin(pg):
    """The superuser, over the Unix socket."""
    with psycopg.connect(host=pg.socket_dir, port=pg.port, user=pg.superuser,
                         dbname=pg.database, autocommit=True) as conn:
        yield conn


def set_password(admin, role, password):
    admin.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role),
                                                               sql.Literal(password)))


@pytest.fixture
def new_role(admin):
    """Factory: a new login role; method "password" makes it a member of rds_iam."""
    made = []

    def make(method="scram-sha-256"):
        name = f"app_user_{os.getpid()}_{next(_serial)}"
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        if method == "password":
            admin.execute(sql.SQL("GRANT rds_iam TO {}").format(sql.Identifier(name)))
        made.append(name)
        return name

    yield make
    for name in made:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                      (name,))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def auth_method(admin, role):
    """How the server made `role` log in, from pg_hba.conf as it was loaded."""
    member = admin.execute("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", (role,)).fetchone()[0]
    return "password" if member else "scram-sha-256"


def check_token_shape(token, port, user):
    assert token.startswith(f"{RDS_HOST}:{port}/?Action=connect&DBUser={user}&X-Amz-Algorithm=")
    assert len(token) >= 800, len(token)
    for char in "%&=/":
        assert char in token


def whoami(conn):
    return conn.execute("SELECT current_user").fetchone()[0]


@pytest.mark.parametrize("method", METHODS)
def test_rds_authenticator_token_as_password(pg, admin, new_role, method):
    role = new_role(method)
    rds = iamcore.RDSAuthenticator(RDS_HOST, pg.port, role, region=REGION, credentials=CREDENTIALS)
    token = rds.token()
    check_token_shape(token, pg.port, role)
    set_password(admin, role, token)
    assert auth_method(admin, role) == method

    with psycopg.connect(host=pg.host, port=pg.port, dbname=pg.database, user=role,
                         password=rds.token(), sslmode="disable") as conn:
        assert whoami(conn) == role


@pytest.mark.parametrize("method", METHODS)
def test_generate_db_auth_token_as_password(pg, admin, new_role, method):
    role = new_role(method)
    token = iamcore.generate_db_auth_token(RDS_HOST, pg.port, role, Region=REGION,
                                           credentials=CREDENTIALS)
    check_token_shape(token, pg.port, role)
    set_password(admin, role, token)

    with psycopg.connect(host=pg.host, port=pg.port, dbname=pg.database, user=role,
                         password=token, sslmode="disable") as conn:
        assert whoami(conn) == role


def test_conninfo_strings(pg, admin, new_role):
    role = new_role()
    rds = iamcore.RDSAuthenticator(RDS_HOST, pg.port, role, region=REGION, credentials=CREDENTIALS)
    set_password(admin, role, rds.token())
    base = f"host={pg.host} port={pg.port} dbname={pg.database} user={role} sslmode=disable"

    # A conninfo without the password, and the password as a keyword argument.
    with psycopg.connect(base, password=rds.token()) as conn:
        assert whoami(conn) == role
    # make_conninfo quotes what needs quoting.
    with psycopg.connect(psycopg.conninfo.make_conninfo(base, password=rds.token())) as conn:
        assert whoami(conn) == role
    # Pasted in as is: a token holds no space, quote or backslash, so it needs no quoting.
    with psycopg.connect(f"{base} password={rds.token()}") as conn:
        assert whoami(conn) == role


def test_uri_needs_the_token_percent_encoded(pg, admin, new_role):
    role = new_role()
    rds = iamcore.RDSAuthenticator(RDS_HOST, pg.port, role, region=REGION, credentials=CREDENTIALS)
    token = rds.token()
    set_password(admin, role, token)

    encoded = urllib.parse.quote(token, safe="")
    uri = f"postgresql://{role}:{encoded}@{pg.host}:{pg.port}/{pg.database}?sslmode=disable"
    assert psycopg.conninfo.conninfo_to_dict(uri)["password"] == token
    with psycopg.connect(uri) as conn:
        assert whoami(conn) == role

    # Unencoded, libpq reads something else than the token (parsed only: never connected).
    raw = f"postgresql://{role}:{token}@{pg.host}:{pg.port}/{pg.database}"
    try:
        parsed = psycopg.conninfo.conninfo_to_dict(raw).get("password")
    except psycopg.ProgrammingError:
        parsed = None
    assert parsed != token


def test_pool_signs_for_each_new_connection(pg, admin, new_role):
    role = new_role("password")
    rds = iamcore.RDSAuthenticator(RDS_HOST, pg.port, role, region=REGION, credentials=CREDENTIALS)
    set_password(admin, role, rds.token())
    calls = []

    def connection_kwargs():
        calls.append(1)
        return {"password": rds.token()}

    with psycopg_pool.ConnectionPool(
        f"host={pg.host} port={pg.port} dbname={pg.database} user={role} sslmode=disable",
        kwargs=connection_kwargs, min_size=3, max_size=3, open=True, timeout=30,
    ) as pool:
        pool.wait(timeout=30)
        held = [pool.getconn() for _ in range(3)]
        try:
            assert [whoami(conn) for conn in held] == [role] * 3
        finally:
            for conn in held:
                pool.putconn(conn)
    assert len(calls) == 3


@pytest.mark.parametrize("method", METHODS)
def test_another_token_is_refused(pg, admin, new_role, assert_secret_free, method):
    role = new_role(method)
    when = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    first = iamcore.generate_db_auth_token(RDS_HOST, pg.port, role, Region=REGION,
                                           credentials=CREDENTIALS, timestamp=when)
    later = iamcore.generate_db_auth_token(RDS_HOST, pg.port, role, Region=REGION,
                                           credentials=CREDENTIALS,
                                           timestamp=when + datetime.timedelta(seconds=1))
    assert first != later
    set_password(admin, role, first)

    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(host=pg.host, port=pg.port, dbname=pg.database, user=role,
                        password=later, sslmode="disable")
    message = str(caught.value)
    assert "password authentication failed" in message
    assert_secret_free(message, first, later, SESSION_TOKEN, where="the error message")


def test_password_length_limits(pg, admin, new_role):
    # SCRAM never sends the password: any length. In clear text, PostgreSQL caps
    # an authentication message at 65,535 bytes: 65,530 characters of password.
    scram = new_role()
    long_password = "a%&=" * 25_000
    set_password(admin, scram, long_password)
    with psycopg.connect(host=pg.host, port=pg.port, dbname=pg.database, user=scram,
                         password=long_password, sslmode="disable") as conn:
        assert whoami(conn) == scram

    clear = new_role("password")
    longest = long_password[:65_530]
    set_password(admin, clear, longest)
    with psycopg.connect(host=pg.host, port=pg.port, dbname=pg.database, user=clear,
                         password=longest, sslmode="disable") as conn:
        assert whoami(conn) == clear
    set_password(admin, clear, longest + "a")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=pg.host, port=pg.port, dbname=pg.database, user=clear,
                        password=longest + "a", sslmode="disable")
