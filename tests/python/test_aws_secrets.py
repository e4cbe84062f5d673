"""AWS secrets (secret access keys, session tokens, web identity and container
authorization tokens) never appear in repr(), str(), pickles or exceptions.

Every check goes through assert_secret_free, which fails without printing the
secret or the text it was found in."""

import copy
import gc
import pickle
import traceback

import pytest

import iamcore
from iamcore import aws

AKID = "AKIASECRETTESTKEY777"
SECRET = "s3cr3t-aws-secret-key-0123456789abcdefXYZ"
SESSION = "s3cr3t-session-token+/0123456789=="
WEB_TOKEN = "s3cr3t-web-identity-token-abcdef"
CONTAINER_AUTH = "s3cr3t-container-authorization-4242"
ROLE_ARN = "arn:aws:iam::123456789012:role/web-role"
HOST = "mydb.c1x2y3z4.eu-central-1.rds.amazonaws.com"
SECRETS = (SECRET, SESSION, WEB_TOKEN, CONTAINER_AUTH)


@pytest.fixture(autouse=True)
def _aws(aws_env):
    return aws_env


def exception_texts(e):
    texts = [str(e), repr(e), "".join(traceback.format_exception(type(e), e, e.__traceback__))]
    texts += [repr(a) for a in e.args]
    texts += [repr(v) for v in vars(e).values()]
    return texts


def object_texts(obj, skip=()):
    """What printing or inspecting obj may show; `skip`: attributes that hand the
    secret out on purpose."""
    texts = [repr(obj), str(obj), format(obj, "")]
    for name in dir(obj):
        if name in skip:
            continue
        try:
            value = getattr(obj, name)
        except Exception as e:  # noqa: BLE001 - any failure is just another text
            value = e
        if not callable(value):
            texts.append(f"{name}={value!r}")
    texts += [repr(o) for o in gc.get_referents(obj)]
    return texts


def test_credentials_repr_and_attributes(assert_secret_free):
    c = aws.Credentials(AKID, SECRET, SESSION)
    assert repr(c) == str(c)
    assert "AKIA…" in repr(c) and AKID not in repr(c)
    for text in object_texts(c, skip={"secret_access_key", "session_token"}):
        assert_secret_free(text, SECRET, SESSION, where="the credentials")
    # Read on purpose, they are there.
    assert c.secret_access_key == SECRET and c.session_token == SESSION


def test_credentials_cannot_be_pickled(assert_secret_free):
    c = aws.Credentials(AKID, SECRET, SESSION)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError) as info:
            pickle.dumps(c, protocol)
        for text in exception_texts(info.value):
            assert_secret_free(text, SECRET, SESSION, where="the pickling error")
    assert copy.copy(c) is c


def test_chain_credentials_repr(aws_env, assert_secret_free):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=SESSION)
    c = aws.resolve_credentials()
    assert c.source == "env"
    for text in object_texts(c, skip={"secret_access_key", "session_token"}):
        assert_secret_free(text, SECRET, SESSION, where="the resolved credentials")


def test_rds_authenticator(aws_env, assert_secret_free):
    aws_env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=SESSION)
    for rds in (
        iamcore.RDSAuthenticator(HOST, 5432, "app_user"),
        iamcore.RDSAuthenticator(HOST, 5432, "app_user",
                                 credentials=aws.Credentials(AKID, SECRET, SESSION)),
    ):
        token = rds.token()
        assert_secret_free(token, SECRET, where="the token")  # the session token is in it
        for text in object_texts(rds):
            assert_secret_free(text, SECRET, SESSION, token, where="the authenticator")
        with pytest.raises(TypeError):
            pickle.dumps(rds)
        with pytest.raises(TypeError):
            copy.copy(rds)


def test_signing_errors(assert_secret_free):
    c = aws.Credentials(AKID, SECRET, SESSION + "\n")  # a control character in the token
    calls = [
        lambda: iamcore.generate_db_auth_token(HOST, 5432, "u", credentials=c),
        lambda: aws.sign_request("GET", "https://h/", None, service="s", region="us-east-1",
                                 credentials=c),
        lambda: aws.Credentials(AKID, SECRET + "\x00"),
        lambda: aws.Credentials(AKID, SECRET + "\ud800"),
        lambda: aws.Credentials(AKID, SECRET, SESSION + "\ud800"),
        lambda: aws.sign_request("GET", "https://h/", {"X-Secret": SECRET + "\ud800"}, service="s",
                                 region="us-east-1", credentials=aws.Credentials(AKID, SECRET)),
    ]
    for call in calls:
        with pytest.raises(iamcore.ConfigError) as info:
            call()
        for text in exception_texts(info.value):
            assert_secret_free(text, SECRET, SESSION, where="a signing error")


def test_environment_errors(aws_env, assert_secret_free):
    aws_env.set(AWS_SECRET_ACCESS_KEY=SECRET)  # without a key id
    with pytest.raises(iamcore.ConfigError) as info:
        aws.resolve_credentials()
    for text in exception_texts(info.value):
        assert_secret_free(text, SECRET, where="the environment error")


def test_failing_sts_call(aws_env, emulator, assert_secret_free):
    aws_env.set(AWS_WEB_IDENTITY_TOKEN_FILE=aws_env.file("web-token", WEB_TOKEN),
                AWS_ROLE_ARN=ROLE_ARN)
    # An STS error that echoes the web identity token back.
    emulator.enqueue({"endpoint": "sts", "status": 400,
                      "error": {"Code": "InvalidIdentityToken",
                                "Message": f"token {WEB_TOKEN} is not valid"}})
    with pytest.raises(iamcore.AuthenticationError) as info:
        iamcore.generate_db_auth_token(HOST, 5432, "u")
    assert info.value.error_code == "InvalidIdentityToken"
    assert "[redacted]" in info.value.error_message
    for text in exception_texts(info.value):
        assert_secret_free(text, WEB_TOKEN, where="the STS error")


def test_failing_container_call(aws_env, emulator, assert_secret_free):
    emulator.aws_settings(container_auth_token="the-expected-one")
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url(),
                AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_AUTH)
    rds = iamcore.RDSAuthenticator(HOST, 5432, "u")
    with pytest.raises(iamcore.AuthenticationError) as info:
        rds.token()
    assert info.value.status == 401
    for text in exception_texts(info.value):
        assert_secret_free(text, CONTAINER_AUTH, where="the container error")


def test_failing_container_call_that_echoes_the_token(aws_env, emulator, assert_secret_free):
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url(),
                AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_AUTH)
    emulator.enqueue({"endpoint": "container", "status": 403,
                      "error": {"code": "AccessDenied",
                                "message": f"authorization {CONTAINER_AUTH} refused"}})
    with pytest.raises(iamcore.AuthenticationError) as info:
        aws.resolve_credentials()
    for text in exception_texts(info.value):
        assert_secret_free(text, CONTAINER_AUTH, where="the container error")


def test_unparseable_answers(aws_env, emulator, assert_secret_free):
    # Credentials in an answer that cannot be used: the error must not quote them.
    aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=aws_env.container_url())
    emulator.enqueue({"endpoint": "container",
                      "json": {"AccessKeyId": AKID, "SecretAccessKey": SECRET,
                               "Token": SESSION, "Expiration": "tomorrow"}})
    with pytest.raises(iamcore.ParseError) as info:
        aws.resolve_credentials()
    for text in exception_texts(info.value):
        assert_secret_free(text, SECRET, SESSION, where="the parse error")
