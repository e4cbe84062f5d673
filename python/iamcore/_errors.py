"""The iamcore exception hierarchy.

Every failure of the C core arrives as one of these classes; the native module
(`iamcore._native`) imports this module and picks the class from the core's
status code::

    Error(Exception)
    +-- ConfigError(Error, ValueError)      "config"      bad option, at construction
    +-- AuthenticationError(Error)          "auth"        the token service said no
    +-- TransportError(Error)               "transport"   connection failed / reset / too large
    |   +-- TimeoutError(TransportError, builtins.TimeoutError)   "timeout"
    |   +-- TLSError(TransportError)        "tls"         certificate or handshake failure
    +-- ParseError(Error)                   "parse"       the response could not be understood
    +-- TokenFileError(Error)               "token_file"  compute-resource token file unusable

Out of memory in the core raises the built-in MemoryError; an internal error of
the core raises Error itself with ``code == "internal"``.

This module must stay cheap to import: it imports nothing but builtins.
"""

import builtins

__all__ = [
    "Error",
    "ConfigError",
    "AuthenticationError",
    "TransportError",
    "TimeoutError",
    "TLSError",
    "ParseError",
    "TokenFileError",
    "InsecureTLSWarning",
]


class Error(Exception):
    """Base class of every iamcore error.

    ``str(error)`` is the core's one-line summary. It never contains an API key,
    a client secret or a token, and neither does any attribute.

    Attributes:
        code: stable lower-case name of the failure kind: ``"config"``,
            ``"auth"``, ``"transport"``, ``"timeout"``, ``"tls"``, ``"parse"``,
            ``"token_file"`` or ``"internal"``.
        status: HTTP status of the last response from the token service, or
            None when no response was received.
        error_code: IAM ``errorCode`` (e.g. ``"BXNIM0415E"``) or None.
        error_message: IAM ``errorMessage`` as sent, or None.
        error_details: IAM ``errorDetails`` (JSON text when not a string), or None.
        request_id: IAM ``context.requestId``, or None.
        transaction_id: the ``X-Global-Transaction-ID`` response header, or None.
        attempts: number of HTTP attempts made, retries included (0 when the
            failure happened before any request, e.g. a bad configuration).
    """

    #: The ``code`` used when an instance is created without one.
    default_code = "internal"

    def __init__(
        self,
        message="",
        *,
        code=None,
        status=None,
        error_code=None,
        error_message=None,
        error_details=None,
        request_id=None,
        transaction_id=None,
        attempts=0,
    ):
        super().__init__(message)
        self.code = self.default_code if code is None else code
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.error_details = error_details
        self.request_id = request_id
        self.transaction_id = transaction_id
        self.attempts = attempts

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class ConfigError(Error, ValueError):
    """An option is missing, malformed or inconsistent.

    Raised by the IBM authenticators' constructors (never later), with a message
    naming the option but never repeating its value. The AWS functions also
    raise it when no region or no credentials can be found (the message names
    what each credential source lacked), for a named profile that does not
    exist, and for credentials that have expired.
    """

    default_code = "config"


class AuthenticationError(Error):
    """The token service answered with an error (e.g. 400 BXNIM0415E for an
    unknown API key). ``status``, ``error_code``, ``error_message``,
    ``error_details``, ``request_id`` and ``transaction_id`` carry IAM's answer.
    """

    default_code = "auth"


class TransportError(Error):
    """The token service could not be reached or the exchange broke off
    (connection refused or reset, proxy failure, response too large)."""

    default_code = "transport"


class TimeoutError(TransportError, builtins.TimeoutError):
    """The connect timeout or the total ``timeout`` of a token fetch was reached.

    Also a built-in :class:`TimeoutError` (and so an :class:`OSError`).
    """

    default_code = "timeout"


class TLSError(TransportError):
    """The TLS handshake failed, usually because the server's certificate is not
    trusted (see the ``ca_file`` and ``disable_ssl_verification`` options)."""

    default_code = "tls"


class ParseError(Error):
    """The token service's response could not be understood: not JSON, no
    ``access_token``, or no usable expiry (none at all, or already past)."""

    default_code = "parse"


class TokenFileError(Error):
    """The compute-resource token file is missing, empty or unreadable. Raised by
    the token fetch (not by the constructor); the message names every path tried."""

    default_code = "token_file"


class InsecureTLSWarning(UserWarning):
    """Issued when an authenticator is created with TLS certificate verification
    disabled (``disable_ssl_verification=True``, or ``AUTH_DISABLE_SSL=true`` in
    its environment configuration): the token service is then not authenticated,
    and whoever is on the network path can read the credentials sent to it and
    the tokens it returns. For test set-ups only; ``ca_file`` trusts a private CA.
    Shown once per place in the code by Python's default warning filters;
    ``warnings.simplefilter("error", iamcore.InsecureTLSWarning)`` makes it an
    error."""


# Shown as iamcore.<Name> in tracebacks and found there by pickle.
for _cls in (Error, ConfigError, AuthenticationError, TransportError, TimeoutError,
             TLSError, ParseError, TokenFileError, InsecureTLSWarning):
    _cls.__module__ = "iamcore"
del _cls
