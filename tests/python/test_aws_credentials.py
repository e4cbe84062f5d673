"""AWS credentials through Python: the Credentials value class, the credential chain
(environment, profile files, credential_process, web identity via the emulator's
STS, container endpoint, IMDSv2 — all on loopback, never 169.254.x), its order and
errors, the shared providers, and region resolution."""

import copy
import datetime
import pickle
import sys
import textwrap

import pytest

import iamcore
from iamcore import aws

WHEN = datetime.datetime(2024, 5, 1, 12, 0, 0)
ROLE_ARN = "arn:aws:iam::123456789012:role/web-role"


@pytest.fixture(autouse=True)
def _aws(aws_env):
    return aws_env


def token_for(**kwargs):
    """An RDS token signed with whatever the chain finds."""
    kwargs.setdefault("Region", "us-east-1")
    return iamcore.generate_db_auth_token("db.example.com", 5432, "u", timestamp=WHEN, **kwargs)


def akid_of(token):
    return token.split("X-Amz-Credential=", 1)[1].split("%2F", 1)[0]


# ---------------------------------------------------------------- Credentials


def test_credentials_value_class():
    exp = datetime.datetime(2030, 1, 2, 3, 4, 5)
    c = aws.Credentials("AKIAEXAMPLE", "secret/key", "token+/=", exp)
    assert c.access_key_id == "AKIAEXAMPLE"
    assert c.secret_access_key == "secret/key"
    assert c.session_token == "token+/="
    assert c.has_session_token is True
    assert c.expiration == exp.replace(tzinfo=datetime.timezone.utc)
    assert c.source == "explicit"
    assert repr(c) == ("Credentials(access_key_id='AKIA…', has_session_token=True, "
                       "expiration='2030-01-02T03:04:05Z', source='explicit')")
    plain = aws.Credentials("AKIAEXAMPLE", "secret/key")
    assert plain.session_token is None and plain.expiration is None
    assert repr(plain).startswith("Credentials(access_key_id='AKIA…', has_session_token=False, "
                                  "expiration=None")
    # Equality, hashing, immutability, copying.
    assert c == aws.Credentials("AKIAEXAMPLE", "secret/key", "token+/=", exp)
    assert c != plain and plain != aws.Credentials("AKIAEXAMPLE", "other")
    assert hash(c) == hash(plain)
    assert copy.copy(c) is c and copy.deepcopy(c) is c
    with pytest.raises(AttributeError):
        c.access_key_id = "x"
    with pytest.raises(AttributeError):
        c.other = 1
    with pytest.raises(TypeError):
        pickle.dumps(c)
    with pytest.raises(TypeError):
        class Sub(aws.Credentials):  # noqa: F841 - a final class
            pass


def test_credentials_aware_expiration_is_converted():
    tz = datetime.timezone(datetime.timedelta(hours=-5))
    c = aws.Credentials("AKID", "s", expiration=datetime.datetime(2030, 1, 1, 7, 0, tzinfo=tz))
    assert c.expiration == datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        (("", "s"), {}, iamcore.ConfigError),
        (("AKID", ""), {}, iamcore.ConfigError),
        ((None, "s"), {}, TypeError),
        (("AKID", b"s"), {}, TypeError),
        (("AKID", "s", 5), {}, TypeError),
        (("AKID", "s\x00x"), {}, iamcore.ConfigError),
        (("AKID", "s"), {"expiration": 1700000000}, TypeError),
        (("AKID", "s"), {"expiration": datetime.date(2030, 1, 1)}, TypeError),
        (("AKID",), {}, TypeError),
    ],
)
def test_credentials_bad_arguments(args, kwargs, error):
    with pytest.raises(error):
        aws.Credentials(*args, **kwargs)


def test_datetime_not_imported_by_iamcore():
    import subprocess

    code = ("import sys, iamcore; from iamcore import aws; "
            "c = aws.Credentials('AKID', 's'); repr(c); "
            "print('datetime' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env=_subprocess_env()).stdout
    assert out.strip() == "False"


def _subprocess_env():
    import os

    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


# ---------------------------------------------------------------- the chain, source by source


def test_environment(aws_env):
    aws_env.set(AWS_ACCESS_KEY_ID="AKIAENVEXAMPLE", AWS_SECRET_ACCESS_KEY="env-secret",
                AWS_SESSION_TOKEN="env+token/=", AWS_CREDENTIAL_EXPIRATION="2031-01-01T00:00:00Z")
    c = aws.resolve_credentials()
    assert (c.source, c.access_key_id, c.secret_access_key, c.session_token) == (
        "env", "AKIAENVEXAMPLE", "env-secret", "env+token/=")
    assert c.expiration == datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
    token = token_for()
    assert akid_of(token) == "AKIAENVEXAMPLE"
    assert "&X-Amz-Security-Token=env%2Btoken%2F%3D&" in token


def test_environment_half_configured(aws_env):
    aws_env.set(AWS_ACCESS_KEY_ID="AKIAENVEXAMPLE")
    with pytest.raises(iamcore.ConfigError, match="AWS_SECRET_ACCESS_KEY"):
        aws.resolve_credentials()


def test_profile_static_keys(aws_env):
    aws_env.credentials("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n"
                        "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other-secret\n")
    c = aws.resolve_credentials()
    assert (c.source, c.access_key_id, c.secret_access_key) == ("profile", "AKIAFILE", "file-secret")
    assert aws.resolve_credentials("other").access_key_id == "AKIAOTHER"
    assert akid_of(token_for()) == "AKIAFILE"
    assert akid_of(token_for(profile="other")) == "AKIAOTHER"
    aws_env.set(AWS_PROFILE="other")
    assert aws.resolve_credentials().access_key_id == "AKIAOTHER"


def test_config_file_static_keys_with_a_named_profile(aws_env):
    aws_env.config("[profile dev]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n")
    assert aws.resolve_credentials(profile="dev").access_key_id == "AKIACONFIG"


def test_credential_process(aws_env):
    script = aws_env.file("creds.py", textwrap.dedent("""\
        import json
        print(json.dumps({"Version": 1, "AccessKeyId": "AKIAPROCESS",
                          "SecretAccessKey": "process-secret", "SessionToken": "proc+tok=",
                          "Expiration": "2032-02-02T02:02:02Z"}))
        """))
    aws_env.config(f"[default]\ncredential_process = {sys.executable} {script}\n")
    c = aws.resolve_credentials()
    assert (c.source, c.access_key_id, c.session_token) == ("process", "AKIAPROCESS", "proc+tok=")
    assert c.expiration == datetime.datetime(2032, 2, 2, 2, 2, 2, tzinfo=datetime.timezone.utc)


def test_credential_process_failure(aws_env):
    script = aws_env.file("fail.py", "import sys; sys.stderr.write('sso session expired'); sys.exit(3)\n")
    aws_env.config(f"[default]\ncredential_process = {sys.executable} {script}\n")
    with pytest.raises(iamcore.AuthenticationError, match="sso session expired") as info:
        aws.resolve_credentials()
    assert info.value.code == "auth"


def test_web_identity_from_the_environment(aws_env, emulator):
    token_file = aws_env.file("web-token", "header.payload.signature\n")
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=token_file, AWS_ROLE_ARN=ROLE_ARN,
                AWS_ROLE_SESSION_NAME="py-session", AWS_REGION="eu-west-1")
    c = aws.resolve_credentials()
    assert c.source == "web-identity"
    assert c.access_key_id.startswith("ASIA") and c.has_session_token
    assert c.expiration is not None
    (request,) = emulator.requests("sts")
    assert request["form"]["RoleArn"] == ROLE_ARN
    assert request["form"]["RoleSessionName"] == "py-session"
    assert request["form"]["WebIdentityToken"] == "header.payload.signature"


def test_web_identity_from_a_profile(aws_env, emulator):
    token_file = aws_env.file("web-token", "tok")
    aws_env.config(f"[profile web]\nrole_arn = {ROLE_ARN}\nweb_identity_token_file = {token_file}\n"
                   "region = ap-south-1\n")
    c = aws.resolve_credentials(profile="web")
    assert c.source == "web-identity"
    assert emulator.count("sts") == 1


def test_web_identity_refused(aws_env, emulator):
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=aws_env.file("web-token", "bad-token"),
                AWS_ROLE_ARN=ROLE_ARN)
    with pytest.raises(iamcore.AuthenticationError) as info:
        aws.resolve_credentials()
    assert info.value.status == 400
    assert info.value.error_code == "InvalidIdentityToken"


def test_web_identity_token_file_missing(aws_env, emulator, tmp_path):
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(tmp_path / "missing"), AWS_ROLE_ARN=ROLE_ARN)
    with pytest.raises(iamcore.TokenFileError):
        aws.resolve_credentials()
    assert emulator.count("sts") == 0


def test_container(aws_env, emulator):
    emulator.aws_settings(container_auth_token="container-auth-value")
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url(),
                AWS_CONTAINER_AUTHORIZATION_TOKEN="container-auth-value")
    c = aws.resolve_credentials()
    assert c.source == "container" and c.has_session_token and c.expiration is not None
    (request,) = emulator.requests("container")
    assert request["headers"]["authorization"] == "container-auth-value"


def test_container_auth_token_from_a_file(aws_env, emulator):
    emulator.aws_settings(container_auth_token="from-file")
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url(),
                AWS_CONTAINER_AUTHORIZATION_TOKEN="ignored",
                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=aws_env.file("auth", "from-file\n"))
    assert aws.resolve_credentials().source == "container"


def test_container_refused(aws_env, emulator):
    emulator.aws_settings(container_auth_token="expected")
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url(),
                AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong")
    with pytest.raises(iamcore.AuthenticationError) as info:
        aws.resolve_credentials()
    assert info.value.status == 401


def test_container_plain_http_to_a_remote_host_refused(aws_env):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://credentials.example.com/creds")
    with pytest.raises(iamcore.ConfigError, match="https"):
        aws.resolve_credentials()


def test_imds(aws_env, emulator):
    aws_env.use_imds()
    c = aws.resolve_credentials()
    assert c.source == "imds" and c.has_session_token
    assert emulator.count("imds-token") == 1
    (request,) = emulator.requests("imds-credentials")
    assert request["path"].endswith("/iamcore-test-role")
    assert request["headers"]["x-aws-ec2-metadata-token"]


def test_imds_timeout(aws_env, emulator):
    aws_env.use_imds()
    aws_env.set(AWS_METADATA_SERVICE_TIMEOUT="0.3")
    emulator.enqueue({"endpoint": "imds-credentials", "hang": True})
    with pytest.raises(iamcore.ConfigError, match="instance metadata") as info:
        aws.resolve_credentials()  # IMDS unreachable counts as "not on EC2"
    assert "no AWS credentials found" in str(info.value)


# ---------------------------------------------------------------- order and errors


def test_chain_order(aws_env, emulator):
    aws_env.use_imds()
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    assert aws.resolve_credentials().source == "container"  # container before IMDS
    aws_env.credentials("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n")
    assert aws.resolve_credentials().source == "profile"  # profile files before the container
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=aws_env.file("t", "tok"), AWS_ROLE_ARN=ROLE_ARN)
    assert aws.resolve_credentials().source == "web-identity"  # web identity before the files
    aws_env.set(AWS_ACCESS_KEY_ID="AKIAENV", AWS_SECRET_ACCESS_KEY="s")
    assert aws.resolve_credentials().source == "env"  # the environment first
    # A named profile skips the environment and web identity.
    assert aws.resolve_credentials("default").source == "profile"
    assert emulator.count("imds-credentials") == 0


def test_credentials_file_before_config_file(aws_env):
    aws_env.config("[default]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n")
    aws_env.credentials("[default]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n")
    assert aws.resolve_credentials().access_key_id == "AKIACREDS"


def test_missing_named_profile(aws_env):
    with pytest.raises(iamcore.ConfigError, match="nope"):
        aws.resolve_credentials("nope")
    with pytest.raises(iamcore.ConfigError, match="nope"):
        token_for(profile="nope")
    aws_env.set(AWS_PROFILE="nope")
    with pytest.raises(iamcore.ConfigError, match="nope"):
        aws.resolve_credentials()


def test_nothing_configured_names_every_source(aws_env, emulator):
    with pytest.raises(iamcore.ConfigError) as info:
        aws.resolve_credentials()
    message = str(info.value)
    assert message.startswith("no AWS credentials found")
    for source in ("environment", "web identity", "profile \"default\"", "container",
                   "instance metadata"):
        assert source in message, source
    assert info.value.code == "config"
    with pytest.raises(iamcore.ConfigError, match="no AWS credentials found"):
        token_for()
    assert emulator.count() == 0  # nothing was sent anywhere


# ---------------------------------------------------------------- shared providers


def test_default_provider_runs_the_chain_once(aws_env, emulator):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    first = token_for()
    for _ in range(5):
        assert akid_of(token_for()) == akid_of(first)
    iamcore.generate_dsql_auth_token("x.dsql.us-east-1.on.aws", timestamp=WHEN)
    aws.sign_request("GET", "https://h.example/", None, service="s", region="us-east-1")
    assert emulator.count("container") == 1
    # resolve_credentials is uncached: it runs the chain every time.
    aws.resolve_credentials()
    aws.resolve_credentials()
    assert emulator.count("container") == 3
    # The test hook forgets the shared provider.
    iamcore._native._reset_default_provider()
    assert akid_of(token_for()) != akid_of(first)
    assert emulator.count("container") == 4


def test_profile_providers_are_shared_per_profile(aws_env, emulator):
    script = aws_env.file("count.py", textwrap.dedent(f"""\
        import json, os
        path = {str(aws_env.tmp_path / "runs")!r}
        with open(path, "a") as f:
            f.write("x")
        print(json.dumps({{"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "s"}}))
        """))
    aws_env.config(f"[profile a]\ncredential_process = {sys.executable} {script}\n"
                   f"[profile b]\ncredential_process = {sys.executable} {script}\n")
    for _ in range(3):
        token_for(profile="a")
        token_for(profile="b")
    assert (aws_env.tmp_path / "runs").read_text() == "xx"


def test_a_failure_is_not_cached(aws_env, emulator):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    emulator.enqueue({"endpoint": "container", "status": 403,
                      "error": {"code": "AccessDenied", "message": "no"}})
    with pytest.raises(iamcore.AuthenticationError):
        token_for()
    assert akid_of(token_for()).startswith("ASIA")
    assert emulator.count("container") == 2


# ---------------------------------------------------------------- regions


def test_region_explicit_first(aws_env):
    aws_env.set(AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-2")
    assert aws.resolve_region("ap-east-1") == "ap-east-1"


def test_region_environment_order(aws_env):
    aws_env.set(AWS_DEFAULT_REGION="eu-west-2")
    assert aws.resolve_region() == "eu-west-2"
    aws_env.set(AWS_REGION="eu-west-1")
    assert aws.resolve_region() == "eu-west-1"
    aws_env.set(AWS_REGION="")  # empty counts as unset
    assert aws.resolve_region() == "eu-west-2"


def test_region_from_the_profile(aws_env):
    aws_env.config("[default]\nregion = sa-east-1\n[profile dev]\nregion = ca-central-1\n")
    assert aws.resolve_region() == "sa-east-1"
    assert aws.resolve_region(profile="dev") == "ca-central-1"
    aws_env.set(AWS_PROFILE="dev")
    assert aws.resolve_region() == "ca-central-1"
    aws_env.set(AWS_DEFAULT_REGION="eu-west-2")  # the environment wins over the profile
    assert aws.resolve_region() == "eu-west-2"


def test_region_from_the_host_name(aws_env):
    assert aws.resolve_region(hostname="db.c1.eu-central-1.rds.amazonaws.com") == "eu-central-1"
    assert aws.resolve_region(hostname="x.proxy-c1.cn-north-1.rds.amazonaws.com.cn") == "cn-north-1"
    assert aws.resolve_region(hostname="abc.dsql.us-east-2.on.aws") == "us-east-2"
    aws_env.config("[default]\nregion = sa-east-1\n")  # the profile wins over the host
    assert aws.resolve_region(hostname="db.c1.eu-central-1.rds.amazonaws.com") == "sa-east-1"


def test_region_in_tokens(aws_env):
    creds = aws.Credentials("AKID", "s")
    host = "db.c1.eu-central-1.rds.amazonaws.com"
    scope = lambda t: t.split("X-Amz-Credential=")[1].split("&")[0]  # noqa: E731
    assert "%2Feu-central-1%2F" in scope(iamcore.generate_db_auth_token(host, 5432, "u", credentials=creds))
    aws_env.set(AWS_REGION="us-west-2")
    assert "%2Fus-west-2%2F" in scope(iamcore.generate_db_auth_token(host, 5432, "u", credentials=creds))
    assert "%2Fap-east-1%2F" in scope(
        iamcore.generate_db_auth_token(host, 5432, "u", "ap-east-1", credentials=creds))


def test_region_none_found(aws_env):
    with pytest.raises(iamcore.ConfigError, match="no AWS region"):
        aws.resolve_region()
    with pytest.raises(iamcore.ConfigError, match="no AWS region"):
        aws.resolve_region(hostname="db.example.com")
    with pytest.raises(iamcore.ConfigError, match="not a valid AWS region"):
        aws.resolve_region("Frankfurt")
    aws_env.set(AWS_REGION="us_east_1")
    with pytest.raises(iamcore.ConfigError, match="AWS_REGION"):
        aws.resolve_region()
