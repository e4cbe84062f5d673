"""Db2 on Cloud (and Db2 Warehouse on Cloud) with IBM Cloud IAM.

The Db2 CLI driver (under ``ibm_db``, ``ibm_db_dbi``, ``ibm_db_sa``) accepts
IAM credentials in its connection string, with the IAM GSS plug-in over TLS::

    import ibm_db, iamcore

    auth = iamcore.ContainerAuthenticator(iam_profile_name="db2-reader")
    conn = ibm_db.connect(
        iamcore.db2.connection_string("bludb", host, 30376, authenticator=auth), "", "")

``ACCESSTOKEN=`` carries an IAM access token from any iamcore token
authenticator, so a trusted profile (no API key at all) can reach Db2;
``APIKEY=`` lets the Db2 client exchange an API key itself. The token is
checked by Db2 when a connection is made, so build a new string for each new
connection (the authenticator's cache makes that cheap).

The returned string holds a secret (the token or the API key): do not log it.
"""

import re

from ._errors import ConfigError, ParseError

__all__ = ["connection_string"]

# Values are written as they are: characters the CLI parser would read
# differently (';' ends a value, braces quote one) are refused, and so are control
# characters and white space (no value but a file path has any; a path may hold
# spaces, not at its ends, which the parser trims). Node's rules are the same.
_UNSAFE = re.compile(r"[\s;{}\x00-\x1f\x7f]")
_UNSAFE_PATH = re.compile(r"[;{}\x00-\x1f\x7f]|^\s|\s$")
_HOSTNAME = re.compile(r"[A-Za-z0-9._:\[\]-]{1,255}")


def _text(value, field, unsafe=_UNSAFE):
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if not value:
        raise ConfigError(f"{field} must not be empty")
    if unsafe.search(value):
        # Never the value: it may be a secret.
        raise ConfigError(
            f"{field} must not contain ';', '{{', '}}', white space or control characters"
            if unsafe is _UNSAFE
            else f"{field} must not contain ';', '{{', '}}', control characters "
            "or surrounding white space"
        )
    return value


def _port(value):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"port must be an int or a str of digits, not {type(value).__name__}")
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ConfigError("port must be a number from 1 to 65535")
        value = int(value)
    if not 1 <= value <= 65535:
        raise ConfigError("port must be a number from 1 to 65535")
    return value


def connection_string(
    database,
    hostname,
    port,
    *,
    authenticator=None,
    apikey=None,
    ssl_server_certificate=None,
):
    """Return a Db2 CLI connection string that authenticates with IBM Cloud IAM::

        DATABASE=<database>;HOSTNAME=<hostname>;PORT=<port>;PROTOCOL=TCPIP;
        Security=SSL;Authentication=GSSPLUGIN;ACCESSTOKEN=<token>

    (one line), or ``APIKEY=<apikey>`` in place of ``ACCESSTOKEN``.

    Args:
        database: the database name (``bludb`` on Db2 on Cloud).
        hostname: the Db2 host name (or IP address).
        port: the TLS port, 1 to 65535 (an int or a str of digits).
        authenticator: an iamcore token authenticator (``IAMAuthenticator``,
            ``ContainerAuthenticator``, ...): its ``token()`` becomes
            ``ACCESSTOKEN``. May fetch a token (and raise what ``token()``
            raises).
        apikey: an IBM Cloud API key for ``APIKEY``, exchanged by the Db2
            client itself.
        ssl_server_certificate: path of the server's CA certificate, added as
            ``SSLServerCertificate`` for Db2 clients that do not trust it by
            default.

    Exactly one of ``authenticator`` and ``apikey`` is required.

    Raises:
        ConfigError: a value is missing, empty, out of range or contains a
            character that would change the connection string (``;``, braces,
            control characters); the message names the argument, never its value.
        TypeError: an argument has the wrong type.
        ParseError: the token cannot be written into a connection string.
    """
    if (authenticator is None) == (apikey is None):
        raise ConfigError(
            "give exactly one of authenticator and apikey"
            if authenticator is not None
            else "authenticator or apikey is required"
        )
    parts = [
        "DATABASE=" + _text(database, "database"),
        "HOSTNAME=" + _hostname(hostname),
        "PORT=%d" % _port(port),
        "PROTOCOL=TCPIP",
        "Security=SSL",
        "Authentication=GSSPLUGIN",
    ]
    if ssl_server_certificate is not None:
        parts.append("SSLServerCertificate=" + _text(ssl_server_certificate, "ssl_server_certificate", _UNSAFE_PATH))
    if apikey is not None:
        parts.append("APIKEY=" + _text(apikey, "apikey"))
    else:
        parts.append("ACCESSTOKEN=" + _token(authenticator))
    return ";".join(parts)


def _hostname(value):
    _text(value, "hostname")
    if not _HOSTNAME.fullmatch(value):
        raise ConfigError("hostname must be a host name or an IP address")
    return value


def _token(authenticator):
    token = getattr(authenticator, "token", None)
    if not callable(token):
        raise TypeError(
            "authenticator must be an iamcore token authenticator (with token()), "
            f"not {type(authenticator).__name__}"
        )
    value = token()
    if not isinstance(value, str) or not value or _UNSAFE.search(value):
        raise ParseError("the access token cannot be written into a connection string")
    return value
