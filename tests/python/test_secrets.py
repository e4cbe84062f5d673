"""Secrets (API key, client secret, CR token, access tokens) never leak into repr(),
str(), exceptions, or anything written to stdout/stderr/logging.

Every check goes through assert_secret_free, which fails without printing the
secret or the text it was found in.
"""

import copy
import gc
import logging
import pickle
import traceback

import pytest

import iamcore

APIKEY = "s3cr3t-apikey-0123456789abcdef"
CLIENT_SECRET = "s3cr3t-client-secret-fedcba9876"
CR_TOKEN = "s3cr3t-cr-token-5555aaaa"


def exception_texts(e):
    """Everything a program might print or log about an exception."""
    texts = [str(e), repr(e), "".join(traceback.format_exception(type(e), e, e.__traceback__))]
    texts += [repr(a) for a in e.args]
    texts += [repr(v) for v in vars(e).values()]
    return texts


def object_texts(obj):
    texts = [repr(obj), str(obj), format(obj, "")]
    for name in dir(obj):
        try:
            value = getattr(obj, name)
        except Exception as e:  # noqa: BLE001 - any failure is just another text
            value = e
        if not callable(value):
            texts.append(f"{name}={value!r}")
    texts += [repr(o) for o in gc.get_referents(obj)]
    return texts


def test_repr_shows_only_non_secret_options(emulator, iam, assert_secret_free):
    auth = iam(APIKEY, client_id="cid", client_secret=CLIENT_SECRET, scope="ibm")
    assert repr(auth) == f"IAMAuthenticator(url={emulator.http!r})"
    token = auth.token()
    for text in object_texts(auth):
        assert_secret_free(text, APIKEY, CLIENT_SECRET, token, where="the authenticator")


def test_repr_default_url():
    auth = iamcore.IAMAuthenticator(APIKEY)
    assert repr(auth) == "IAMAuthenticator(url='https://iam.cloud.ibm.com')"


def test_container_repr(emulator, container, cr_token_file, assert_secret_free):
    auth = container(
        cr_token_filename=cr_token_file(CR_TOKEN),
        iam_profile_name="prof",
        iam_profile_id="iam-Profile-1",
        iam_profile_crn="crn:v1:x",
        client_id="cid",
        client_secret=CLIENT_SECRET,
    )
    assert repr(auth) == (
        f"ContainerAuthenticator(url={emulator.http!r}, iam_profile_name='prof', "
        "iam_profile_id='iam-Profile-1', iam_profile_crn='crn:v1:x')"
    )
    token = auth.token()
    for text in object_texts(auth):
        assert_secret_free(text, CR_TOKEN, CLIENT_SECRET, token, where="the authenticator")


def test_no_instance_dict_and_no_pickling(iam):
    auth = iam(APIKEY, client_id="cid", client_secret=CLIENT_SECRET)
    assert not hasattr(auth, "__dict__")
    with pytest.raises(TypeError):
        pickle.dumps(auth)
    with pytest.raises(TypeError):
        copy.copy(auth)
    with pytest.raises(TypeError):
        copy.deepcopy(auth)


@pytest.mark.parametrize(
    "enqueued",
    [
        {"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}},
        {"status": 500, "body": "internal error"},
        {"status": 200, "body": "{not json"},
        {"status": 200, "json": {"token_type": "Bearer"}},
        {"hang": True},
    ],
    ids=["auth", "server-error", "bad-json", "no-token", "timeout"],
)
def test_errors_carry_no_secret(emulator, iam, assert_secret_free, enqueued):
    emulator.enqueue(enqueued)
    auth = iam(APIKEY, client_id="cid", client_secret=CLIENT_SECRET, timeout=1, max_retries=0)
    with pytest.raises(iamcore.Error) as info:
        auth.token()
    for text in exception_texts(info.value):
        assert_secret_free(text, APIKEY, CLIENT_SECRET, where="the exception")


def test_config_errors_carry_no_secret(assert_secret_free):
    cases = [
        dict(apikey='"' + APIKEY + '"'),
        dict(apikey="{" + APIKEY + "}"),
        dict(apikey=APIKEY, client_secret=CLIENT_SECRET),  # no client_id
        dict(apikey=APIKEY + "\0tail"),
        dict(apikey=APIKEY, client_id="cid", client_secret=CLIENT_SECRET, timeout=-1),
        dict(apikey=APIKEY, headers={"X-Secret": CLIENT_SECRET + "\r\nInjected: 1"}),
    ]
    for kwargs in cases:
        apikey = kwargs.pop("apikey")
        with pytest.raises(iamcore.ConfigError) as info:
            iamcore.IAMAuthenticator(apikey, **kwargs)
        for text in exception_texts(info.value):
            assert_secret_free(text, APIKEY, CLIENT_SECRET, where="the ConfigError")


def test_token_file_error_carries_no_token_content(emulator, container, cr_token_file, assert_secret_free):
    with pytest.raises(iamcore.TokenFileError) as info:
        container(cr_token_filename=cr_token_file(""), client_id="c", client_secret=CLIENT_SECRET).token()
    for text in exception_texts(info.value):
        assert_secret_free(text, CLIENT_SECRET, where="the TokenFileError")


def test_nothing_secret_is_printed_or_logged(emulator, iam, container, cr_token_file, capfd, caplog, assert_secret_free):
    caplog.set_level(logging.DEBUG)
    tokens = []
    auth = iam(APIKEY, client_id="cid", client_secret=CLIENT_SECRET, max_retries=0, timeout=1)
    tokens.append(auth.token())
    auth.invalidate()
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0415E"}})
    with pytest.raises(iamcore.AuthenticationError):
        auth.token()
    with pytest.raises(iamcore.TLSError):
        iam(APIKEY, url=emulator.https, client_id="cid", client_secret=CLIENT_SECRET).token()
    c = container(cr_token_filename=cr_token_file(CR_TOKEN + "\n"))
    tokens.append(c.token())
    request = {}
    c.authenticate(request)

    out, err = capfd.readouterr()
    for text, where in ((out, "stdout"), (err, "stderr"), (caplog.text, "the log")):
        assert_secret_free(text, APIKEY, CLIENT_SECRET, CR_TOKEN, *tokens, where=where)


def test_the_checker_itself_catches_a_leak(assert_secret_free):
    with pytest.raises(AssertionError) as info:
        assert_secret_free("xx" + APIKEY + "xx", APIKEY, where="a test string")
    assert str(info.value) == "secret #0 appears in a test string"
