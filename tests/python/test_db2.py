"""iamcore.db2.connection_string: the Db2 CLI connection string for IBM Cloud IAM
(ACCESSTOKEN from an authenticator, or APIKEY), and its argument checks."""

import pytest

import iamcore
from iamcore import db2
from adapter_support import emulator_claims

HOST = "1a2b3c.databases.appdomain.cloud"
PREFIX = f"DATABASE=bludb;HOSTNAME={HOST};PORT=30376;PROTOCOL=TCPIP;Security=SSL;Authentication=GSSPLUGIN;"


def test_access_token_from_an_authenticator(emulator, iam):
    a = iam()
    text = iamcore.db2.connection_string(database="bludb", hostname=HOST, port=30376, authenticator=a)
    assert text.startswith(PREFIX)
    token = text[len(PREFIX):]
    assert token.startswith("ACCESSTOKEN=")
    assert token[len("ACCESSTOKEN="):] == a.token()
    emulator_claims(a.token())
    # The cached token serves the next connection.
    assert db2.connection_string("bludb", HOST, 30376, authenticator=a) == text
    assert emulator.count() == 1


def test_access_token_of_a_trusted_profile(emulator, container):
    a = container()
    text = db2.connection_string("bludb", HOST, "30376", authenticator=a)
    assert text == PREFIX + "ACCESSTOKEN=" + a.token()
    assert emulator_claims(a.token())["sub"] == "profile-test-profile"


def test_api_key():
    text = db2.connection_string("bludb", HOST, 30376, apikey="my-api-key")
    assert text == PREFIX + "APIKEY=my-api-key"


def test_ssl_server_certificate():
    text = db2.connection_string("bludb", HOST, 30376, apikey="k", ssl_server_certificate="/etc/db2/ca.crt")
    assert text == PREFIX + "SSLServerCertificate=/etc/db2/ca.crt;APIKEY=k"


@pytest.mark.parametrize("hostname", ["db2.example.com", "10.1.2.3", "fd00::1", "[fd00::1]", "localhost"])
def test_hostnames(hostname):
    assert f";HOSTNAME={hostname};" in db2.connection_string("bludb", hostname, 50001, apikey="k")


@pytest.mark.parametrize("port", [1, 65535, "50001"])
def test_ports(port):
    assert f";PORT={int(port)};" in db2.connection_string("bludb", HOST, port, apikey="k")


def test_exactly_one_credential(iam):
    with pytest.raises(iamcore.ConfigError, match="authenticator or apikey is required"):
        db2.connection_string("bludb", HOST, 50001)
    with pytest.raises(iamcore.ConfigError, match="exactly one of authenticator and apikey"):
        db2.connection_string("bludb", HOST, 50001, apikey="k", authenticator=iam())


@pytest.mark.parametrize(
    "field, value",
    [
        ("database", "bludb;UID=admin"),
        ("database", ""),
        ("database", " bludb"),
        ("database", "blu db"),
        ("apikey", "good key"),
        ("ssl_server_certificate", " /certs/ca.pem"),
        ("database", "{bludb}"),
        ("hostname", "host;Security=NONE"),
        ("hostname", "db2 server"),
        ("hostname", "host/path"),
        ("hostname", "x" * 256),
        ("apikey", "key;Authentication=SERVER"),
        ("apikey", "key\n"),
        ("apikey", ""),
        ("apikey", "key\x00"),
        ("ssl_server_certificate", "/tmp/ca.crt;APIKEY=x"),
    ],
)
def test_values_that_would_change_the_string_are_refused(field, value, assert_secret_free):
    args = {"database": "bludb", "hostname": HOST, "port": 50001, "apikey": "good-key"}
    args[field] = value
    with pytest.raises(iamcore.ConfigError) as info:
        db2.connection_string(**args)
    message = str(info.value)
    assert message.startswith(field + " ")
    if len(value) > 3:
        assert_secret_free(message, value, where="the error")
    assert info.value.code == "config"


def test_a_certificate_path_may_hold_spaces():
    text = db2.connection_string(
        "bludb", HOST, 50001, apikey="k-123456", ssl_server_certificate="/certs/Db2 CA.pem"
    )
    assert text.endswith(";Authentication=GSSPLUGIN;SSLServerCertificate=/certs/Db2 CA.pem;APIKEY=k-123456")


@pytest.mark.parametrize("port", [0, 65536, -1, "", "5000x", "٣٣"])
def test_ports_out_of_range(port):
    with pytest.raises(iamcore.ConfigError, match="port must be a number from 1 to 65535"):
        db2.connection_string("bludb", HOST, port, apikey="k")


@pytest.mark.parametrize(
    "args, match",
    [
        ({"port": True}, "port must be an int"),
        ({"port": 5.0}, "port must be an int"),
        ({"database": None}, "database must be a str"),
        ({"hostname": b"host"}, "hostname must be a str"),
        ({"apikey": 123}, "apikey must be a str"),
    ],
)
def test_wrong_types(args, match):
    full = {"database": "bludb", "hostname": HOST, "port": 50001, "apikey": "k"}
    full.update(args)
    with pytest.raises(TypeError, match=match):
        db2.connection_string(**full)


def test_authenticator_needs_a_token(assert_secret_free):
    with pytest.raises(TypeError, match="token authenticator"):
        db2.connection_string("bludb", HOST, 50001, authenticator=object())


class FixedToken:
    def __init__(self, value):
        self.value = value

    def token(self):
        return self.value


@pytest.mark.parametrize("token", ["abc;UID=admin", "", "tok\r\n"])
def test_token_that_cannot_be_written(token, assert_secret_free):
    with pytest.raises(iamcore.ParseError) as info:
        db2.connection_string("bludb", HOST, 50001, authenticator=FixedToken(token))
    assert_secret_free(str(info.value), token, where="the error")


def test_token_error_surfaces(emulator, iam):
    emulator.enqueue({"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": "no"}})
    with pytest.raises(iamcore.AuthenticationError):
        db2.connection_string("bludb", HOST, 50001, authenticator=iam(max_retries=0))


def test_db2_is_loaded_on_first_use():
    assert "db2" in dir(iamcore)
    assert iamcore.db2 is db2
