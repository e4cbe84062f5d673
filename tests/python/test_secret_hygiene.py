"""Secret hygiene end to end: every authenticator and every AWS credential source,
in success and in failure, with the "iamcore" logger at DEBUG. Everything a
program could show is collected: log records (message and every attribute),
stdout and stderr, the text, repr, traceback and fields of every exception, the
repr, str and attributes of every public object, and the command line's stderr.
None of it may hold a secret, given (API keys, client secrets, refresh and CR
tokens, passwords, bearer tokens, AWS secret keys, session, web identity and
container authorization tokens) or obtained (access tokens, refresh tokens,
identity tokens, RDS / DSQL / ElastiCache tokens, presigned URLs).

The failure cases make the servers echo the secrets back (error messages,
details, unparseable bodies): iamcore must still not repeat them. The run-wide
scan (secret_scan.py) looks for these constants in everything the other tests
show as well."""

import datetime
import json
import logging
import subprocess
import sys
import time
import traceback
import warnings

import pytest

import iamcore
import secret_scan
from cli_run import clean_env, command
from iamcore import aws

APIKEY = "hyg-apikey-Rk3pZ8qW2vN6tY1mL9xC4"
CLIENT_SECRET = "hyg-client-secret-Jd7Hs2Kq9Pw4Lx"
REFRESH_TOKEN = "hyg-refresh-given-Tq5Vn8Bc3Xz1Wm"
REFRESH_ISSUED = "hyg-refresh-issued-Fy2Gu7Ji4Ko9Lp"
CR_TOKEN = "hyg-cr-token-Mw4Ne8Rb2Tc6Yv1Zx"
VPC_IDENTITY = "hyg-vpc-identity-Qa3Ws7Ed1Rf5Tg"
BEARER = "hyg-bearer-token-Uj6Ik2Ol8Pz4Xa"
PASSWORD = "hyg-basic-password-Sd9Fg3Hj7Kl2"
AKID = "AKIAHYGIENE0000TEST"
AWS_SECRET = "hyg-aws-secret-Vb5Nm1Qw7Er3Ty9Ui0Op"
SESSION = "hyg-aws-session-As4Df8Gh2Jk6Lz+/=="
WEB_TOKEN = "hyg-web-identity-Xc1Vb5Nm9Qw3Er"
CONTAINER_AUTH = "hyg-container-auth-Ty7Ui1Op5As9"
GIVEN = (APIKEY, CLIENT_SECRET, REFRESH_TOKEN, REFRESH_ISSUED, CR_TOKEN, VPC_IDENTITY, BEARER,
         PASSWORD, AWS_SECRET, SESSION, WEB_TOKEN, CONTAINER_AUTH)
HOST = "hygiene.c1x2y3z4.eu-central-1.rds.amazonaws.com"
ROLE_ARN = "arn:aws:iam::123456789012:role/hygiene"
DEAD = "http://127.0.0.1:9"  # nothing listens there
PAST = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)

secret_scan.register(*GIVEN, what="a constant of test_secret_hygiene")

# Attributes that hand a secret out on purpose.
HANDS_OUT = {"secret_access_key", "session_token", "bearer_token"}


def echo(*secrets):
    """Text a server sends back with the secrets in it."""
    return "echo " + " and ".join(secrets)


class Transcript:
    """Everything shown during a test, and the secrets none of it may hold."""

    def __init__(self):
        self.texts = []
        self.secrets = list(GIVEN)
        self.events_expected = True  # a test that uses the emulator must log events

    def add(self, where, text):
        self.texts.append((where, str(text)))

    def obtained(self, *values):
        """Secrets the flow produced (tokens): they may not show either."""
        self.secrets += [v for v in values if v]

    def object(self, where, obj):
        self.add(where + " repr", repr(obj))
        self.add(where + " str", str(obj))
        for name in dir(obj):
            if name in HANDS_OUT or name.startswith("__"):
                continue
            try:
                value = getattr(obj, name)
            except Exception as e:  # noqa: BLE001 - a failing attribute shows its error
                value = e
            if not callable(value):
                self.add("%s.%s" % (where, name), repr(value))

    def error(self, where, e):
        self.add(where + " str", str(e))
        self.add(where + " repr", repr(e))
        self.add(where + " traceback", "".join(traceback.format_exception(type(e), e, e.__traceback__)))
        self.add(where + " args", repr(e.args))
        self.add(where + " fields", repr(vars(e)))

    def raises(self, where, kind, call):
        """call() must raise kind; keep everything the exception shows."""
        with pytest.raises(kind) as info:
            call()
        self.error(where, info.value)
        return info.value

    def check(self):
        __tracebackhide__ = True  # the frames would show the texts
        for where, text in self.texts:
            for i, secret in enumerate(self.secrets):
                if secret in text:
                    raise AssertionError("secret #%d appears in %s" % (i, where))


@pytest.fixture
def transcript(request, caplog, capfd):
    """A Transcript, checked at the end of the test with what was printed and logged."""
    caplog.set_level(logging.DEBUG, logger="iamcore")
    t = Transcript()
    yield t
    out, err = capfd.readouterr()
    t.add("stdout", out)
    t.add("stderr", err)
    records = caplog.get_records("setup") + caplog.get_records("call")
    events = [r for r in records if r.name == "iamcore"]
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    for record in records:
        where = "the record %s" % record.getMessage().split(" ")[0]
        t.add(where, formatter.format(record) + " " + repr(vars(record)))
    if "emulator" in request.fixturenames and t.events_expected:
        assert events, "no iamcore event was logged: the check would have seen none"
    t.check()


def quiet(**options):
    options.setdefault("timeout", 5)
    options.setdefault("max_retries", 0)
    return options


# ------------------------------------------------------------------ IBM authenticators

def test_api_key_grant(emulator, monkeypatch, transcript):
    t = transcript
    auth = iamcore.IAMAuthenticator(APIKEY, client_id="bx", client_secret=CLIENT_SECRET,
                                    scope="ibm openid", **quiet(url=emulator.http))
    t.obtained(auth.token())
    t.object("the authenticator", auth)
    for make in (iamcore.requests_auth, iamcore.httpx_auth, iamcore.sdk_core_authenticator):
        t.object(make.__name__, make(auth))

    # A background refresh, then failures with the server echoing the secrets.
    emulator.token_settings(iat_offset=-3000, lifetime=3600)
    auth.invalidate()
    t.obtained(auth.token())
    t.obtained(auth.token())  # due: refreshed in the background
    emulator.wait_for_count(3)
    time.sleep(0.2)
    emulator.token_settings(iat_offset=0)
    emulator.enqueue(
        {"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": echo(APIKEY, CLIENT_SECRET),
                                  "errorDetails": echo(APIKEY)}},
        {"status": 500, "body": echo(APIKEY, CLIENT_SECRET)},
        {"status": 200, "body": "{" + echo(APIKEY)},
        {"status": 200, "json": {"refresh_token": REFRESH_ISSUED, "token_type": "Bearer"}},
        {"status": 200, "json": {"access_token": REFRESH_ISSUED + ".x.y", "token_type": "Bearer"}},
        {"hang": True},
    )
    for kind in (iamcore.AuthenticationError, iamcore.AuthenticationError, iamcore.ParseError,
                 iamcore.ParseError, iamcore.ParseError, iamcore.TimeoutError):
        auth.invalidate()
        t.raises("the %s" % kind.__name__, kind,
                 lambda: iamcore.IAMAuthenticator(APIKEY, client_id="bx", client_secret=CLIENT_SECRET,
                                                  **quiet(url=emulator.http, timeout=1)).token())
    t.raises("the TLS error", iamcore.TLSError,
             lambda: iamcore.IAMAuthenticator(APIKEY, **quiet(url=emulator.https)).token())
    t.raises("the connection error", iamcore.TransportError,
             lambda: iamcore.IAMAuthenticator(APIKEY, **quiet(url=DEAD)).token())
    # libcurl quotes a malformed proxy URL whole, password included. (The proxy is
    # on loopback too: nothing leaves the machine.)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    for proxy in ("http://user:%s@127.0.0.1:9\n" % PASSWORD, "http://user:%s@127.0.0.1:9" % PASSWORD):
        t.raises("the proxy error", iamcore.TransportError,
                 lambda: iamcore.IAMAuthenticator(APIKEY, **quiet(url=DEAD, proxy=proxy, max_retries=1)).token())


def test_configuration_errors(transcript):
    t = transcript
    for args, options in [
        (('"%s"' % APIKEY,), {}),
        (("{%s}" % APIKEY,), {}),
        ((APIKEY,), {"client_secret": CLIENT_SECRET}),
        ((APIKEY + "\0",), {}),
        ((APIKEY,), {"headers": {"X-Key": APIKEY + "\r\n"}}),
        ((APIKEY,), {"refresh_token": REFRESH_TOKEN}),
        ((), {"refresh_token": REFRESH_TOKEN}),
    ]:
        t.raises("the ConfigError", iamcore.ConfigError, lambda: iamcore.IAMAuthenticator(*args, **options))
    t.raises("the ConfigError", iamcore.ConfigError,
             lambda: iamcore.ContainerAuthenticator(client_secret=CLIENT_SECRET, iam_profile_name="p"))
    t.raises("the ConfigError", iamcore.ConfigError,
             lambda: iamcore.IAMAssumeAuthenticator('"%s"' % APIKEY, iam_profile_id="p"))
    t.raises("the ConfigError", iamcore.ConfigError, lambda: iamcore.BearerTokenAuthenticator(BEARER + "\n"))
    t.raises("the ConfigError", iamcore.ConfigError, lambda: iamcore.BasicAuthenticator("u", "{%s}" % PASSWORD))
    t.raises("the ConfigError", iamcore.ConfigError, lambda: iamcore.BasicAuthenticator("u:" + PASSWORD, "x"))


def test_refresh_token_grant(emulator, transcript):
    t = transcript
    now = int(time.time())
    answer = {"json": {"access_token": REFRESH_ISSUED + "-access", "refresh_token": REFRESH_ISSUED,
                       "token_type": "Bearer", "expires_in": 3600, "expiration": now + 3600}}
    emulator.enqueue(answer, answer)
    t.obtained(REFRESH_ISSUED + "-access")
    auth = iamcore.IAMAuthenticator(refresh_token=REFRESH_TOKEN, client_id="bx", client_secret=CLIENT_SECRET,
                                    **quiet(url=emulator.http))
    auth.token()
    auth.invalidate()
    auth.token()  # with the issued refresh token
    t.object("the authenticator", auth)
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0408E", "errorMessage": echo(REFRESH_ISSUED)}})
    auth.invalidate()
    t.raises("the refused refresh", iamcore.AuthenticationError, auth.token)
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0408E", "errorMessage": echo(REFRESH_TOKEN),
                                               "errorDetails": echo(CLIENT_SECRET)}})
    first = iamcore.IAMAuthenticator(refresh_token=REFRESH_TOKEN, client_id="bx", client_secret=CLIENT_SECRET,
                                     **quiet(url=emulator.http))
    t.raises("the refused first refresh", iamcore.AuthenticationError, first.token)


def test_container(emulator, cr_token_file, transcript):
    t = transcript
    path = cr_token_file(CR_TOKEN + "\n")
    auth = iamcore.ContainerAuthenticator(cr_token_filename=path, iam_profile_name="p", client_id="bx",
                                          client_secret=CLIENT_SECRET, **quiet(url=emulator.http))
    t.obtained(auth.token())
    t.object("the authenticator", auth)
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0111E", "errorMessage": echo(CR_TOKEN),
                                               "errorDetails": echo(CLIENT_SECRET)}})
    auth.invalidate()
    t.raises("the refused CR token", iamcore.AuthenticationError, auth.token)
    for content in ("", "\n"):
        empty = iamcore.ContainerAuthenticator(cr_token_filename=cr_token_file(content, name="empty"),
                                               iam_profile_name="p", **quiet(url=emulator.http))
        t.raises("the empty file", iamcore.TokenFileError, empty.token)
    missing = iamcore.ContainerAuthenticator(cr_token_filename=path + ".missing", iam_profile_name="p",
                                             **quiet(url=emulator.http))
    t.raises("the missing file", iamcore.TokenFileError, missing.token)


def test_vpc(emulator, transcript):
    t = transcript
    auth = iamcore.VPCInstanceAuthenticator(**quiet(url=emulator.http))
    t.obtained(auth.token())
    [step_two] = emulator.requests("vpc-iam-token")
    t.obtained(step_two["headers"]["authorization"].split(" ", 1)[1])  # the identity token
    t.object("the authenticator", auth)
    emulator.enqueue({"endpoint": "vpc-token", "json": {"access_token": VPC_IDENTITY, "expires_in": 300}},
                     {"endpoint": "vpc-iam-token", "status": 400,
                      "error": {"code": "invalid_token", "message": echo(VPC_IDENTITY)}})
    auth.invalidate()
    t.raises("the refused identity token", iamcore.AuthenticationError, auth.token)


def test_assume(emulator, transcript):
    t = transcript
    auth = iamcore.IAMAssumeAuthenticator(APIKEY, iam_profile_id="Profile-1", **quiet(url=emulator.http))
    t.obtained(auth.token())
    assume = [r for r in emulator.requests("iam") if "assume" in r["form"].get("grant_type", "")]
    t.obtained(*[r["form"].get("access_token") for r in assume])  # the inner token
    t.object("the authenticator", auth)
    emulator.enqueue({}, {"status": 400, "error": {"errorCode": "BXNIM0501E", "errorMessage": echo(APIKEY)}})
    fresh = iamcore.IAMAssumeAuthenticator(APIKEY, iam_profile_id="Profile-1", **quiet(url=emulator.http))
    t.raises("the refused assume grant", iamcore.AuthenticationError, fresh.token)


def test_bearer_basic_and_no_auth(transcript):
    t = transcript
    bearer = iamcore.BearerTokenAuthenticator(BEARER)
    t.object("the bearer authenticator", bearer)
    bearer.set_bearer_token(BEARER + "-2")
    t.obtained(BEARER + "-2")
    t.object("the bearer authenticator", bearer)
    basic = iamcore.BasicAuthenticator("user", PASSWORD)
    t.object("the basic authenticator", basic)
    request = {"headers": {}}
    basic.authenticate(request)  # the header holds the credentials on purpose
    t.obtained(request["headers"]["Authorization"].split(" ", 1)[1])
    t.object("the no-auth authenticator", iamcore.NoAuthAuthenticator())
    for a in (bearer, basic):
        for make in (iamcore.requests_auth, iamcore.httpx_auth):
            t.object(make.__name__, make(a))


def test_environment_configuration(emulator, tmp_path, monkeypatch, transcript):
    t = transcript
    path = tmp_path / "ibm-credentials.env"
    path.write_text(
        "HYG_AUTH_TYPE=iam\nHYG_APIKEY=%s\nHYG_CLIENT_ID=bx\nHYG_CLIENT_SECRET=%s\nHYG_AUTH_URL=%s\n"
        "HYGB_AUTH_TYPE=basic\nHYGB_USERNAME=user\nHYGB_PASSWORD=%s\n"
        "HYGT_AUTH_TYPE=bearerToken\nHYGT_BEARER_TOKEN=%s\n"
        "HYGX_AUTH_TYPE=iam\nHYGX_APIKEY={%s}\n"
        % (APIKEY, CLIENT_SECRET, emulator.http, PASSWORD, BEARER, APIKEY))
    monkeypatch.setenv("IBM_CREDENTIALS_FILE", str(path))
    for service in ("hyg", "hygb", "hygt"):
        auth = iamcore.get_authenticator_from_environment(service)
        t.object("the %s authenticator" % service, auth)
    t.obtained(iamcore.get_authenticator_from_environment("hyg").token())
    t.raises("the bad key", iamcore.ConfigError, lambda: iamcore.get_authenticator_from_environment("hygx"))
    monkeypatch.delenv("IBM_CREDENTIALS_FILE")
    monkeypatch.setenv("VCAP_SERVICES", json.dumps(
        {"hygv": [{"name": "hygv", "credentials": {"apikey": '"%s"' % APIKEY}}],
         "hygw": [{"name": "hygw", "credentials": {"username": "u", "password": PASSWORD}}]}))
    t.raises("the bad VCAP key", iamcore.ConfigError, lambda: iamcore.get_authenticator_from_environment("hygv"))
    t.object("the VCAP basic authenticator", iamcore.get_authenticator_from_environment("hygw"))


def test_disabling_tls_verification_warns(emulator, monkeypatch, assert_secret_free):
    """InsecureTLSWarning, pointing at the caller's line, from the constructors and
    from the environment; an error when the filters say so; none without the flag."""
    for make in (
        lambda: iamcore.IAMAuthenticator(APIKEY, url=emulator.https, disable_ssl_verification=True),
        lambda: iamcore.ContainerAuthenticator(iam_profile_name="p", disable_ssl_verification=True),
        lambda: iamcore.VPCInstanceAuthenticator(url=emulator.http, disable_ssl_verification=True),
        lambda: iamcore.IAMAssumeAuthenticator(APIKEY, iam_profile_id="p", disable_ssl_verification=True),
    ):
        with pytest.warns(iamcore.InsecureTLSWarning, match="TLS certificate verification is disabled") as record:
            make()
        assert [w.filename for w in record] == [__file__]
        assert_secret_free(str(record[0].message), APIKEY, where="the warning")
    monkeypatch.setenv("HYGS_APIKEY", APIKEY)
    monkeypatch.setenv("HYGS_AUTH_DISABLE_SSL", "true")
    with pytest.warns(iamcore.InsecureTLSWarning):
        iamcore.get_authenticator_from_environment("hygs")
    with warnings.catch_warnings():
        warnings.simplefilter("error", iamcore.InsecureTLSWarning)
        with pytest.raises(iamcore.InsecureTLSWarning):
            iamcore.IAMAuthenticator(APIKEY, disable_ssl_verification=True)
        iamcore.IAMAuthenticator(APIKEY)  # verification on: no warning
        monkeypatch.setenv("HYGS_AUTH_DISABLE_SSL", "false")
        iamcore.get_authenticator_from_environment("hygs")
    assert issubclass(iamcore.InsecureTLSWarning, UserWarning)


# ------------------------------------------------------------------ AWS

@pytest.fixture
def aws_hygiene(aws_env):
    aws_env.set(AWS_REGION="eu-central-1")
    return aws_env


def test_aws_tokens_with_explicit_credentials(aws_hygiene, transcript):
    t = transcript
    c = aws.Credentials(AKID, AWS_SECRET, SESSION)
    t.object("the credentials", c)
    t.obtained(iamcore.generate_db_auth_token(HOST, 5432, "app", credentials=c),
               iamcore.generate_dsql_auth_token("abc.dsql.eu-central-1.on.aws", credentials=c),
               iamcore.generate_elasticache_auth_token("cache-1", "user-1", credentials=c),
               aws.presign_url("GET", "https://s3.eu-central-1.amazonaws.com/b/k", service="s3",
                               region="eu-central-1", credentials=c))
    rds = iamcore.RDSAuthenticator(HOST, 5432, "app", credentials=c)
    t.obtained(rds.token())
    t.object("the RDS authenticator", rds)
    signed = aws.sign_request("POST", "https://sts.eu-central-1.amazonaws.com/", {"X-A": "b"},
                              service="sts", region="eu-central-1", credentials=c)
    t.add("the signed headers (without the session token)",
          repr({k: v for k, v in signed.items() if k.lower() != "x-amz-security-token"}))
    t.raises("the bad credentials", iamcore.ConfigError, lambda: aws.Credentials(AKID, AWS_SECRET + "\0"))
    t.raises("the expired credentials", iamcore.ConfigError,
             lambda: iamcore.generate_db_auth_token(
                 HOST, 5432, "app", credentials=aws.Credentials(AKID, AWS_SECRET, SESSION, expiration=PAST)))


def test_aws_credential_sources(aws_hygiene, emulator, transcript):
    """Environment, profile, credential_process, container, instance metadata, web identity."""
    t = transcript
    env = aws_hygiene

    def resolve(where):
        creds = aws.resolve_credentials()
        t.object(where, creds)
        t.obtained(creds.secret_access_key, creds.session_token)
        iamcore._native._reset_default_provider()
        t.obtained(iamcore.generate_db_auth_token(HOST, 5432, "app"))
        iamcore._native._reset_default_provider()

    env.set(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=AWS_SECRET, AWS_SESSION_TOKEN=SESSION)
    resolve("the environment's credentials")
    env.set(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None)

    env.credentials("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (AKID, AWS_SECRET))
    resolve("the profile's credentials")
    env.credentials("[default]\naws_secret_access_key = %s\n" % AWS_SECRET)  # no key id
    t.raises("the incomplete profile", iamcore.ConfigError, aws.resolve_credentials)
    env.credentials("")

    good = env.file("good.sh", "#!/bin/sh\necho '%s'\n" % json.dumps(
        {"Version": 1, "AccessKeyId": AKID, "SecretAccessKey": AWS_SECRET, "SessionToken": SESSION}), 0o700)
    env.config("[default]\ncredential_process = %s\n" % good)
    resolve("the process's credentials")
    for name, body in [
        ("garbage.sh", "echo 'not json %s %s'" % (AWS_SECRET, SESSION)),
        # stdout never reaches a message; stderr does (docs/SECURITY.md: the helper is trusted).
        ("fails.sh", "echo 'no session' >&2; echo '{\"SecretAccessKey\": \"%s\"}'; exit 3" % AWS_SECRET),
        ("partial.sh", "echo '{\"Version\": 1, \"SecretAccessKey\": \"%s\"}'" % AWS_SECRET),
    ]:
        env.config("[default]\ncredential_process = %s\n" % env.file(name, "#!/bin/sh\n" + body + "\n", 0o700))
        iamcore._native._reset_default_provider()
        t.raises("the failing credential_process %s" % name, iamcore.Error, aws.resolve_credentials)
    env.config("")

    iamcore._native._reset_default_provider()
    emulator.aws_settings(container_auth_token=CONTAINER_AUTH)
    env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=env.container_url(), AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_AUTH)
    resolve("the container's credentials")
    emulator.enqueue({"endpoint": "container", "status": 403,
                      "error": {"code": "AccessDenied", "message": echo(CONTAINER_AUTH)}},
                     {"endpoint": "container", "json": {"AccessKeyId": AKID, "SecretAccessKey": AWS_SECRET,
                                                        "Token": SESSION, "Expiration": "tomorrow"}})
    for kind in (iamcore.AuthenticationError, iamcore.ParseError):
        iamcore._native._reset_default_provider()
        t.raises("the container's %s" % kind.__name__, kind, aws.resolve_credentials)
    env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=None, AWS_CONTAINER_AUTHORIZATION_TOKEN=None)

    iamcore._native._reset_default_provider()
    env.use_imds()
    resolve("the instance's credentials")  # IMDSv2: the session token the emulator issues
    env.set(AWS_EC2_METADATA_DISABLED="true")

    iamcore._native._reset_default_provider()
    env.set(AWS_WEB_IDENTITY_TOKEN_FILE=env.file("web-token", WEB_TOKEN), AWS_ROLE_ARN=ROLE_ARN)
    resolve("the web identity credentials")
    emulator.enqueue({"endpoint": "sts", "status": 400,
                      "error": {"Code": "InvalidIdentityToken", "Message": echo(WEB_TOKEN)}})
    iamcore._native._reset_default_provider()
    t.raises("the refused web identity", iamcore.AuthenticationError, aws.resolve_credentials)


# ------------------------------------------------------------------ the command line

def test_command_line(emulator, tmp_path, transcript):
    """Secrets come from the environment; errors are one line on stderr, without them.
    A token command's stdout is the token, by design: only its stderr is checked,
    and stdout too when the command fails."""
    t = transcript
    t.events_expected = False  # in other processes

    def run(args, **extra):
        """(exit status, stdout): never the CompletedProcess, whose repr in a failed
        assertion would show the token."""
        result = subprocess.run(command("python") + args, env=clean_env(tmp_path, **extra), cwd=str(tmp_path),
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        t.add("the stderr of iamcore %s" % args[0], result.stderr)
        if result.returncode != 0:
            t.add("the stdout of a failed iamcore %s" % args[0], result.stdout)
        return result.returncode, result.stdout.strip()

    rds_args = ["rds-token", "--hostname", HOST, "--port", "5432", "--username", "app", "--region", "eu-central-1"]
    status, token = run(["token", "--apikey-env", "K", "--url", emulator.http], K=APIKEY)
    assert status == 0
    t.obtained(token)
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": echo(APIKEY)}})
    assert run(["token", "--apikey-env", "K", "--url", emulator.http], K=APIKEY)[0] == 4
    assert run(["token", "--apikey-env", "K", "--url", emulator.https], K=APIKEY)[0] == 7
    assert run(["token", "--apikey-env", "K"], K='"%s"' % APIKEY)[0] == 3
    status, rds_token = run(rds_args, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=AWS_SECRET,
                            AWS_SESSION_TOKEN=SESSION)
    assert status == 0
    t.obtained(rds_token)
    assert run(rds_args, AWS_SECRET_ACCESS_KEY=AWS_SECRET)[0] == 3


def test_the_check_sees_a_secret(assert_secret_free):
    """The transcript's check fails on a secret, naming only where it is."""
    t = Transcript()
    t.add("a text", "before %s after" % APIKEY)
    with pytest.raises(AssertionError) as info:
        t.check()
    assert str(info.value) == "secret #0 appears in a text"
    assert_secret_free(str(info.value), APIKEY, where="the check's message")


def test_the_run_wide_scan_sees_every_shape():
    """secret_scan.find: by value (any secret of the run) and by shape."""
    texts = [("one", "x %s y" % CR_TOKEN), ("two", "nothing"), ("three", "X-Amz-Signature=" + "ab" * 32)]
    findings = secret_scan.find(texts, {CR_TOKEN: "a constant", APIKEY: "a constant"})
    assert [(where, what) for where, _, what in findings] == [("one", "a constant"),
                                                              ("three", "a presigned AWS token")]
    assert all(CR_TOKEN not in secret_scan.describe(f) for f in findings)
