"""iamcore.RDSAuthenticator: the cached RDS token, its fast path, invalidation,
credential lifetimes, concurrency and signing_hostname."""

import datetime
import threading
import time
import urllib.parse

import pytest

import iamcore
from iamcore import _native, aws

HOST = "mydb.c1x2y3z4.eu-central-1.rds.amazonaws.com"
ROLE_ARN = "arn:aws:iam::123456789012:role/web-role"


@pytest.fixture(autouse=True)
def _aws(aws_env):
    return aws_env


def query(token):
    return dict(urllib.parse.parse_qsl(token.split("?", 1)[1], keep_blank_values=True))


def creds(**kwargs):
    return aws.Credentials("AKIDEXAMPLE", "secret", **kwargs)


def test_methods_are_the_c_ones():
    cls = iamcore.RDSAuthenticator
    assert issubclass(cls, _native.RDSAuthenticator)
    for name in ("token", "invalidate"):
        assert getattr(cls, name) is getattr(_native.RDSAuthenticator, name)
    assert cls.__slots__ == ()


def test_token_and_attributes():
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user", credentials=creds())
    assert (rds.hostname, rds.port, rds.username, rds.region) == (HOST, 5432, "app_user",
                                                                 "eu-central-1")
    assert rds.signing_hostname is None and rds.expiration == 870
    assert repr(rds) == (f"RDSAuthenticator(hostname={HOST!r}, port=5432, username='app_user', "
                         "region='eu-central-1')")
    token = rds.token()
    assert token.startswith(HOST + ":5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=")
    q = query(token)
    assert q["X-Amz-Expires"] == "900"
    # The same token generate_db_auth_token signs at that time.
    when = datetime.datetime.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert token == iamcore.generate_db_auth_token(HOST, 5432, "app_user", credentials=creds(),
                                                   timestamp=when)


def test_cached_token_is_the_same_object_and_the_chain_runs_once(aws_env, emulator):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user")
    assert emulator.count() == 0  # no I/O at construction
    first = rds.token()
    assert rds.token() is first
    assert rds.token() is first
    assert emulator.count("container") == 1
    # Another authenticator shares the process's credentials.
    other = iamcore.RDSAuthenticator(HOST, 3306, "other_user", region="eu-central-1")
    assert query(other.token())["X-Amz-Credential"] == query(first)["X-Amz-Credential"]
    assert emulator.count("container") == 1


def test_fast_path_is_fast():
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user", credentials=creds())
    rds.token()
    n = 200_000
    start = time.perf_counter()
    for _ in range(n):
        rds.token()
    per_call = (time.perf_counter() - start) / n
    assert per_call < 2e-6, f"{per_call * 1e9:.0f} ns per cached token()"  # ~50-100 ns here


def test_invalidate_signs_a_new_token(aws_env, emulator):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user")
    first = rds.token()
    rds.invalidate()
    second = rds.token()
    assert second is not first
    assert rds.token() is second
    # The credentials are kept: a new token, not a new chain run.
    assert emulator.count("container") == 1
    assert query(second)["X-Amz-Credential"] == query(first)["X-Amz-Credential"]


def test_expiration_shortens_reuse_not_the_token():
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user", expiration=1, credentials=creds())
    first = rds.token()
    assert query(first)["X-Amz-Expires"] == "900"
    time.sleep(1.1)
    assert rds.token() is not first


def test_credentials_expiring_soon_cap_the_token():
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=300)
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user", credentials=creds(expiration=soon))
    expires = int(query(rds.token())["X-Amz-Expires"])
    assert 290 <= expires <= 300


def test_chain_credentials_expiring_soon_cap_the_token(aws_env, emulator):
    emulator.aws_settings(credential_lifetime=300)
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user")
    expires = int(query(rds.token())["X-Amz-Expires"])
    assert 290 <= expires <= 300


def test_expired_credentials(aws_env):
    past = datetime.datetime(2020, 1, 1)
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user", credentials=creds(expiration=past))
    with pytest.raises(iamcore.ConfigError):
        rds.token()


def test_one_sts_request_for_100_threads(aws_env, emulator):
    emulator.aws_settings(delay_ms=200)
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=aws_env.file("web-token", "tok"),
                AWS_ROLE_ARN=ROLE_ARN)
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user")
    barrier = threading.Barrier(100)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(rds.token())
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(100)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    elapsed = time.monotonic() - start
    assert errors == []
    assert len(results) == 100 and len(set(results)) == 1
    assert emulator.count("sts") == 1
    assert elapsed < 5


def test_failure_is_raised_and_not_cached(aws_env, emulator):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    emulator.enqueue({"endpoint": "container", "status": 500}, {"endpoint": "container", "status": 500},
                     {"endpoint": "container", "status": 500})
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app_user")
    with pytest.raises(iamcore.Error):
        rds.token()
    assert rds.token().startswith(HOST)


def test_signing_hostname():
    tunnel = "localhost"
    rds = iamcore.RDSAuthenticator(tunnel, 15432, "app_user", credentials=creds(),
                                   signing_hostname=HOST)
    assert rds.region == "eu-central-1"  # from the signing host name
    assert rds.hostname == tunnel and rds.signing_hostname == HOST
    assert "signing_hostname=" in repr(rds)
    token = rds.token()
    assert token.startswith(HOST + ":15432/?Action=connect&")
    when = datetime.datetime.strptime(query(token)["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert token == iamcore.generate_db_auth_token(HOST, 15432, "app_user", credentials=creds(),
                                                   timestamp=when)
    plain = iamcore.RDSAuthenticator(tunnel, 15432, "app_user", "eu-central-1", credentials=creds())
    assert plain.token().startswith("localhost:15432/?")


def test_profile_for_credentials_and_region(aws_env):
    aws_env.config("[profile dev]\nregion = ap-northeast-1\n")
    aws_env.credentials("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n")
    rds = iamcore.RDSAuthenticator("db.example.com", 5432, "u", profile="dev")
    assert rds.region == "ap-northeast-1"
    assert "profile='dev'" in repr(rds)
    assert query(rds.token())["X-Amz-Credential"].startswith("AKIADEV/")


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((HOST, 0, "u"), {}, iamcore.ConfigError),
        ((HOST, "x", "u"), {}, iamcore.ConfigError),
        ((HOST, 5432.0, "u"), {}, TypeError),
        ((HOST, 5432, ""), {}, iamcore.ConfigError),
        (("", 5432, "u"), {}, iamcore.ConfigError),
        ((HOST, 5432, "u"), {"expiration": 0}, iamcore.ConfigError),
        ((HOST, 5432, "u"), {"expiration": 901}, iamcore.ConfigError),
        ((HOST, 5432, "u"), {"expiration": 1.5}, TypeError),
        ((HOST, 5432, "u"), {"credentials": "AKID"}, TypeError),
        (("db.example.com", 5432, "u"), {}, iamcore.ConfigError),  # no region
        ((HOST, 5432, "u", "bad region"), {}, iamcore.ConfigError),
    ],
)
def test_bad_arguments(args, kwargs, error):
    kwargs.setdefault("credentials", creds())
    with pytest.raises(error):
        iamcore.RDSAuthenticator(*args, **kwargs)


@pytest.mark.parametrize("host", ["https://" + HOST, HOST + ":5432", HOST + "/db", "a b"])
def test_bad_host_fails_at_construction(host):
    with pytest.raises(iamcore.ConfigError, match="hostname"):
        iamcore.RDSAuthenticator(host, 5432, "u", "eu-central-1", credentials=creds())
    with pytest.raises(iamcore.ConfigError, match="signing_hostname"):
        iamcore.RDSAuthenticator(HOST, 5432, "u", "eu-central-1", credentials=creds(),
                                 signing_hostname=host)


def test_uninitialised_and_reinitialised():
    rds = iamcore.RDSAuthenticator.__new__(iamcore.RDSAuthenticator)
    with pytest.raises(RuntimeError):
        rds.token()
    assert "not initialised" in repr(rds)
    ok = iamcore.RDSAuthenticator(HOST, 5432, "u", credentials=creds())
    with pytest.raises(RuntimeError):
        ok.__init__(HOST, 5432, "u", credentials=creds())
