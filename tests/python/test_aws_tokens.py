"""RDS, Aurora DSQL and ElastiCache auth tokens through Python: botocore's published
RDS vector, a differential test against botocore (imported lazily, skipped when it
is not installed), and the argument handling of the token functions."""

import contextlib
import datetime
import random
import urllib.parse
from unittest import mock

import pytest

import iamcore
from iamcore import aws

AKID, SECRET = "akid", "skid"
VECTOR_TIME = datetime.datetime(2016, 11, 7, 17, 39, 33)
VECTOR_HOST = "prod-instance.us-east-1.rds.amazonaws.com"
# What botocore's generate_db_auth_token prints for its own test vector (the
# signature starts d1138cdb and ends 4c61).
VECTOR_TOKEN = (
    "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=someusername"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db"
    "%2Faws4_request&X-Amz-Date=20161107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61"
)


@pytest.fixture(autouse=True)
def _aws(aws_env):
    return aws_env


# ---------------------------------------------------------------- botocore helpers

_clients = {}


def botocore_client(service, token=None, region="us-east-1"):
    """A botocore client with static credentials (cached: creating one takes ~0.1 s)."""
    botocore_session = pytest.importorskip("botocore.session")
    key = (service, token, region)
    if key not in _clients:
        session = botocore_session.get_session()
        _clients[key] = session.create_client(
            service, region_name=region, aws_access_key_id=AKID, aws_secret_access_key=SECRET,
            aws_session_token=token,
        )
    return _clients[key]


@contextlib.contextmanager
def botocore_clock(when):
    """Freeze botocore's signing clock (botocore.auth.get_current_datetime in 1.4x)."""
    pytest.importorskip("botocore.auth")
    with mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: when):
        yield


def creds(token=None):
    return aws.Credentials(AKID, SECRET, token)


# ---------------------------------------------------------------- the published vector


def test_botocore_published_rds_vector():
    token = iamcore.generate_db_auth_token(VECTOR_HOST, 3306, "someusername", "us-east-1",
                                           credentials=creds(), timestamp=VECTOR_TIME)
    assert token == VECTOR_TOKEN
    signature = token.rsplit("=", 1)[1]
    assert signature.startswith("d1138cdb") and signature.endswith("4c61")


def test_published_vector_equals_botocore_now():
    client = botocore_client("rds")
    with botocore_clock(VECTOR_TIME):
        expected = client.generate_db_auth_token(VECTOR_HOST, 3306, "someusername", "us-east-1")
    assert expected == VECTOR_TOKEN


def test_published_vector_with_a_session_token():
    token = "FQoGZXIvYXdzEJr+/session=="
    client = botocore_client("rds", token)
    with botocore_clock(VECTOR_TIME):
        expected = client.generate_db_auth_token(VECTOR_HOST, 3306, "someusername", "us-east-1")
    ours = iamcore.generate_db_auth_token(VECTOR_HOST, 3306, "someusername", "us-east-1",
                                          credentials=creds(token), timestamp=VECTOR_TIME)
    assert ours == expected
    assert "&X-Amz-Security-Token=FQoGZXIvYXdzEJr%2B%2Fsession%3D%3D&X-Amz-Signature=" in ours


def test_empty_session_token_is_skipped_unlike_botocore():
    ours = iamcore.generate_db_auth_token(VECTOR_HOST, 3306, "someusername", "us-east-1",
                                          credentials=creds(""), timestamp=VECTOR_TIME)
    assert ours == VECTOR_TOKEN  # as if there were no token
    assert aws.Credentials(AKID, SECRET, "").session_token is None
    client = botocore_client("rds", "")
    with botocore_clock(VECTOR_TIME):
        theirs = client.generate_db_auth_token(VECTOR_HOST, 3306, "someusername", "us-east-1")
    assert "&X-Amz-Security-Token=&" in theirs  # botocore sends it empty
    assert theirs != ours


# ---------------------------------------------------------------- differential


USER_CHARS = list("abcXYZ019-_.~@+=/&#% ?:;,!$'()*[]") + ["é", "ü", "日本", "Ω", "😀", "\u00a0"]
REGIONS = ["us-east-1", "eu-west-3", "ap-southeast-2", "eu-de-1", "us-gov-west-1", "cn-north-1"]
TOKENS = [None, "IQoJb3JpZ2luX2VjE+/abc==", "AQoDYXdzEPT//////////wEXAMPLE+/=", "x+y/z="]
TIMES = [
    datetime.datetime(2016, 11, 7, 17, 39, 33),
    datetime.datetime(2024, 2, 29, 23, 59, 59),
    datetime.datetime(2030, 1, 1, 0, 0, 0),
]


def random_host(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return "localhost"
    if kind == 1:
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    name = "".join(rng.choice("abcdefghij0123456789-") for _ in range(rng.randint(1, 12))).strip("-") or "db"
    region = rng.choice(REGIONS)
    host = f"{name}.{rng.choice(['', 'proxy-', 'cluster-', 'cluster-ro-'])}c1x2y3z4.{region}.rds.amazonaws.com"
    if kind == 2:
        host = host.upper()
    elif kind == 3:
        host = "".join(c.upper() if rng.random() < 0.3 else c for c in host)
    return host


def random_user(rng):
    return "".join(rng.choice(USER_CHARS) for _ in range(rng.randint(1, 16)))


def differential_inputs(n=300, seed=20161107):
    rng = random.Random(seed)
    for _ in range(n):
        yield (
            random_host(rng),
            rng.choice([443, 5432, 3306, 3306, 5432, rng.randint(1, 65535)]),
            random_user(rng),
            rng.choice(REGIONS),
            rng.choice(TOKENS),
            rng.choice(TIMES),
        )


def test_differential_rds_tokens_against_botocore():
    pytest.importorskip("botocore")
    inputs = list(differential_inputs())
    # The generated set covers what it should.
    assert {443, 5432, 3306} <= {i[1] for i in inputs}
    assert any(i[0] != i[0].lower() for i in inputs)
    assert all(any(c in "".join(i[2] for i in inputs) for c in s) for s in "@+=/&#% é日😀")
    assert {i[5] for i in inputs} == set(TIMES) and {i[4] for i in inputs} == set(TOKENS)

    mismatches = []
    for host, port, user, region, token, when in inputs:
        client = botocore_client("rds", token)
        with botocore_clock(when):
            expected = client.generate_db_auth_token(host, port, user, region)
        ours = iamcore.generate_db_auth_token(host, port, user, region, credentials=creds(token),
                                              timestamp=when)
        if ours != expected:
            mismatches.append((host, port, user, region, token, when, ours, expected))
    assert mismatches == [], f"{len(mismatches)} of {len(inputs)} differ; first: {mismatches[0]}"


def test_differential_ipv6_hosts_against_botocore():
    pytest.importorskip("botocore")
    client = botocore_client("rds")
    for host in ("[::1]", "[2001:DB8::1]", "[fd00:ec2::23]"):
        for port in (443, 5432):
            with botocore_clock(VECTOR_TIME):
                expected = client.generate_db_auth_token(host, port, "u", "us-east-1")
            assert iamcore.generate_db_auth_token(host, port, "u", "us-east-1", credentials=creds(),
                                                  timestamp=VECTOR_TIME) == expected


def test_dsql_tokens_against_botocore():
    rng = random.Random(7)
    checked = 0
    for token in TOKENS:
        client = botocore_client("dsql", token)
        if not hasattr(client, "generate_db_connect_auth_token"):
            pytest.skip("this botocore has no DSQL token generator")
        for _ in range(10):
            region = rng.choice(REGIONS[:4])
            host = f"{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(26))}.dsql.{region}.on.aws"
            if rng.random() < 0.3:
                host = host.upper()
            expires = rng.choice([900, 60, 3600, 604800])
            when = rng.choice(TIMES)
            with botocore_clock(when):
                plain = client.generate_db_connect_auth_token(host, region, ExpiresIn=expires)
                admin = client.generate_db_connect_admin_auth_token(host, region, ExpiresIn=expires)
            assert iamcore.generate_dsql_auth_token(host, region, expires_in=expires,
                                                    credentials=creds(token), timestamp=when) == plain
            assert aws.generate_dsql_auth_token(host, region, admin=True, expires_in=expires,
                                                credentials=creds(token), timestamp=when) == admin
            checked += 1
    assert checked == 40


def botocore_elasticache_token(cache_name, user, region, token, when, serverless, expires=900):
    """The way AWS's ElastiCache documentation builds the token with botocore."""
    signers = pytest.importorskip("botocore.signers")
    model = pytest.importorskip("botocore.model")
    botocore_session = pytest.importorskip("botocore.session")
    credentials = pytest.importorskip("botocore.credentials")
    session = botocore_session.get_session()
    signer = signers.RequestSigner(
        model.ServiceId("elasticache"), region, "elasticache", "v4",
        credentials.Credentials(AKID, SECRET, token), session.get_component("event_emitter"),
    )
    params = {"Action": "connect", "User": user}
    if serverless:
        params["ResourceType"] = "ServerlessCache"
    url = urllib.parse.urlunparse(("https", cache_name, "/", "", urllib.parse.urlencode(params), ""))
    with botocore_clock(when):
        signed = signer.generate_presigned_url(
            {"method": "GET", "url": url, "body": {}, "headers": {}, "context": {}},
            operation_name="connect", expires_in=expires, region_name=region,
        )
    return signed[len("https://"):]


def test_elasticache_tokens_against_botocore():
    rng = random.Random(11)
    for i in range(24):
        name = "".join(rng.choice("abcdefghij0123456789-") for _ in range(rng.randint(3, 20))).strip("-") or "c"
        if i % 3 == 0:
            name = name.upper()
        user = "".join(rng.choice("abcdefghijXYZ0123456789-_") for _ in range(rng.randint(1, 20)))
        region, token, when = rng.choice(REGIONS[:4]), rng.choice(TOKENS), rng.choice(TIMES)
        serverless = i % 2 == 1
        expected = botocore_elasticache_token(name, user, region, token, when, serverless)
        ours = iamcore.generate_elasticache_auth_token(name, user, region, serverless=serverless,
                                                       credentials=creds(token), timestamp=when)
        assert ours == expected


# ---------------------------------------------------------------- shapes and arguments


def test_dsql_shape():
    host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
    token = iamcore.generate_dsql_auth_token(host, credentials=creds(), timestamp=VECTOR_TIME)
    assert token.startswith(host + "/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&")
    assert "%2Fus-east-1%2Fdsql%2Faws4_request&" in token  # region from the host name
    assert "&X-Amz-Expires=900&" in token
    admin = iamcore.generate_dsql_auth_token(host, admin=True, expires_in=60, credentials=creds(),
                                             timestamp=VECTOR_TIME)
    assert admin.startswith(host + "/?Action=DbConnectAdmin&")
    assert "&X-Amz-Expires=60&" in admin


def test_elasticache_shape():
    token = iamcore.generate_elasticache_auth_token("My-Cache", "app-user", "eu-west-1",
                                                    credentials=creds("t+/="),
                                                    timestamp=VECTOR_TIME)
    assert token.startswith("My-Cache/?Action=connect&User=app-user&X-Amz-Algorithm=")
    assert "%2Feu-west-1%2Felasticache%2Faws4_request&" in token
    assert "&X-Amz-Security-Token=t%2B%2F%3D&X-Amz-Signature=" in token
    serverless = iamcore.generate_elasticache_auth_token(
        "my-cache", "app-user", "eu-west-1", serverless=True, credentials=creds(),
        timestamp=VECTOR_TIME)
    assert serverless.startswith(
        "my-cache/?Action=connect&User=app-user&ResourceType=ServerlessCache&X-Amz-Algorithm=")


def test_elasticache_region_is_not_guessed(aws_env):
    with pytest.raises(iamcore.ConfigError, match="region"):
        iamcore.generate_elasticache_auth_token("my-cache", "u", credentials=creds())
    aws_env.set(AWS_DEFAULT_REGION="sa-east-1")
    assert "%2Fsa-east-1%2F" in iamcore.generate_elasticache_auth_token("my-cache", "u",
                                                                         credentials=creds())


def test_boto3_keyword_names_and_string_port():
    a = iamcore.generate_db_auth_token(DBHostname=VECTOR_HOST, Port=3306, DBUsername="someusername",
                                       Region="us-east-1", credentials=creds(),
                                       timestamp=VECTOR_TIME)
    b = iamcore.generate_db_auth_token(VECTOR_HOST, "3306", "someusername", credentials=creds(),
                                       timestamp=VECTOR_TIME)  # region from the host name
    assert a == b == VECTOR_TOKEN


def test_aliases_in_iamcore_aws():
    assert aws.generate_db_auth_token is iamcore.generate_db_auth_token
    assert aws.generate_dsql_auth_token is iamcore.generate_dsql_auth_token
    assert aws.generate_elasticache_auth_token is iamcore.generate_elasticache_auth_token
    assert aws.RDSAuthenticator is iamcore.RDSAuthenticator


def test_token_capped_at_the_credentials_lifetime():
    soon = aws.Credentials(AKID, SECRET, "t", expiration=VECTOR_TIME + datetime.timedelta(seconds=300))
    token = iamcore.generate_db_auth_token(VECTOR_HOST, 3306, "u", credentials=soon,
                                           timestamp=VECTOR_TIME)
    assert "&X-Amz-Expires=300&" in token
    with pytest.raises(iamcore.ConfigError):
        iamcore.generate_db_auth_token(VECTOR_HOST, 3306, "u", credentials=soon,
                                       timestamp=VECTOR_TIME + datetime.timedelta(seconds=300))


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((VECTOR_HOST, 0, "u"), {}, iamcore.ConfigError),
        ((VECTOR_HOST, 65536, "u"), {}, iamcore.ConfigError),
        ((VECTOR_HOST, 2**80, "u"), {}, iamcore.ConfigError),
        ((VECTOR_HOST, "33o6", "u"), {}, iamcore.ConfigError),
        ((VECTOR_HOST, True, "u"), {}, TypeError),
        ((VECTOR_HOST, 3306.0, "u"), {}, TypeError),
        ((VECTOR_HOST, None, "u"), {}, TypeError),
        ((None, 3306, "u"), {}, TypeError),
        ((VECTOR_HOST, 3306, None), {}, TypeError),
        ((VECTOR_HOST, 3306, ""), {}, iamcore.ConfigError),
        ((VECTOR_HOST, 3306, "u\n"), {}, iamcore.ConfigError),
        ((VECTOR_HOST, 3306, "u\x00"), {}, iamcore.ConfigError),
        (("https://" + VECTOR_HOST, 3306, "u"), {}, iamcore.ConfigError),
        ((VECTOR_HOST + ":3306", 3306, "u"), {}, iamcore.ConfigError),
        (("db.example.com", 3306, "u"), {}, iamcore.ConfigError),  # no region anywhere
        ((VECTOR_HOST, 3306, "u", "US-EAST-1"), {}, iamcore.ConfigError),
        ((VECTOR_HOST, 3306, "u"), {"timestamp": "2016-11-07"}, TypeError),
        ((VECTOR_HOST, 3306, "u"), {"credentials": (AKID, SECRET)}, TypeError),
        ((VECTOR_HOST, 3306, "u"), {"profile": 1}, TypeError),
    ],
)
def test_rds_token_bad_arguments(args, kwargs, error):
    kwargs.setdefault("credentials", creds())
    with pytest.raises(error):
        iamcore.generate_db_auth_token(*args, **kwargs)


def test_dsql_and_elasticache_bad_arguments():
    with pytest.raises(iamcore.ConfigError):
        iamcore.generate_dsql_auth_token("x.dsql.us-east-1.on.aws", expires_in=0, credentials=creds())
    with pytest.raises(TypeError):
        iamcore.generate_dsql_auth_token("x.dsql.us-east-1.on.aws", expires_in="900",
                                         credentials=creds())
    with pytest.raises(iamcore.ConfigError):
        iamcore.generate_dsql_auth_token("https://x.dsql.us-east-1.on.aws", credentials=creds())
    with pytest.raises(iamcore.ConfigError):
        iamcore.generate_elasticache_auth_token("my-cache", "", "us-east-1", credentials=creds())
    with pytest.raises(iamcore.ConfigError):
        iamcore.generate_elasticache_auth_token("my cache", "u", "us-east-1", credentials=creds())
    with pytest.raises(iamcore.ConfigError):
        iamcore.generate_elasticache_auth_token("c", "u", "us-east-1", expires_in=604801,
                                                credentials=creds())
