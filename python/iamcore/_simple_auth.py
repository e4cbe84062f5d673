"""The authenticators that need no token service: a ready bearer token, HTTP
Basic, and none at all. Same shape as the IBM token authenticators
(``authenticate(request)``, ``authentication_type()``) and ibm-cloud-sdk-core's
classes of the same names; no C is involved.

The bearer token and the password are kept only inside the ready Authorization
header, wrapped in an object whose repr is "<secret>": ``repr()``, attribute
listings and ``gc.get_referents`` show neither; the objects cannot be pickled or
copied, and errors name the argument, never its value.
"""

from ._adapters import AuthAdapters
from ._errors import ConfigError

__all__ = ["BearerTokenAuthenticator", "BasicAuthenticator", "NoAuthAuthenticator"]


def _text(value, name):
    """A non-empty str argument; TypeError or ConfigError naming it otherwise."""
    if value is None:
        raise ConfigError(f"{name} is required")
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ConfigError(f"{name} is required")
    if "\0" in value:
        raise ConfigError(f"{name} must not contain NUL characters")
    return value


def _no_bad_edges(value, name):
    # As ibm-cloud-sdk-core: a value pasted with its JSON quotes or braces.
    if value[0] in '{}"' or value[-1] in '{}"':
        raise ConfigError(f"{name} must not start or end with a curly bracket or a quote")


class _Secret:
    """A str that is not shown: repr() and str() say "<secret>"."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "<secret>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        raise TypeError("cannot pickle or copy a secret")


def _set_header(request, value):
    if not isinstance(request, dict):
        raise TypeError(f"request must be a dict, not {type(request).__name__}")
    headers = request.get("headers")
    if headers is None:
        headers = request["headers"] = {}
    headers["Authorization"] = value


class _Static(AuthAdapters):
    # AuthAdapters: usable as auth= in requests and httpx, accepted by IBM's SDKs.
    __slots__ = ("__weakref__",)

    def __reduce_ex__(self, protocol):
        raise TypeError(
            f"cannot pickle or copy {type(self).__name__} objects (they hold credentials); "
            "create a new one"
        )

    def __reduce__(self):
        return self.__reduce_ex__(2)


class BearerTokenAuthenticator(_Static):
    """Send a token you already have: ``Authorization: Bearer <bearer_token>``.

    Args:
        bearer_token: the access token, a non-empty str without line breaks.
            It is sent as given; iamcore neither refreshes nor checks its expiry
            (replace it with :meth:`set_bearer_token`).

    Raises:
        ConfigError: the token is None, empty, or contains a line break or NUL.
        TypeError: the token is not a str.
    """

    __slots__ = ("_header",)

    def __init__(self, bearer_token):
        self.set_bearer_token(bearer_token)

    def set_bearer_token(self, bearer_token):
        """Send ``bearer_token`` from now on (the same checks as the constructor)."""
        token = _text(bearer_token, "bearer_token")
        if "\r" in token or "\n" in token:
            raise ConfigError("bearer_token must not contain a line break")
        self._header = _Secret("Bearer " + token)

    def authenticate(self, request):
        """Set ``request["headers"]["Authorization"] = "Bearer <token>"`` (creating
        ``headers`` when it is missing or None)."""
        _set_header(request, self._header.value)

    def authentication_type(self):
        """``"bearerToken"``."""
        return "bearerToken"

    def __repr__(self):
        return "BearerTokenAuthenticator()"


class BasicAuthenticator(_Static):
    """HTTP Basic authorization: ``Authorization: Basic base64(username:password)``.

    Args:
        username: a non-empty str without ``:`` (which would end it early).
        password: a non-empty str.

    Neither may start or end with ``{``, ``}`` or ``"`` (as ibm-cloud-sdk-core:
    a value pasted with its JSON punctuation).

    Raises:
        ConfigError: a value is None, empty, or breaks a rule above.
        TypeError: a value is not a str.
    """

    __slots__ = ("_username", "_header")

    def __init__(self, username, password):
        username = _text(username, "username")
        password = _text(password, "password")
        _no_bad_edges(username, "username")
        _no_bad_edges(password, "password")
        if ":" in username:
            raise ConfigError(
                "username must not contain a colon (':' separates it from the password)"
            )
        import binascii  # here, not at import: only Basic auth needs it (an extension module)

        pair = f"{username}:{password}".encode("utf-8")
        self._username = username
        self._header = _Secret("Basic " + binascii.b2a_base64(pair, newline=False).decode("ascii"))

    @property
    def username(self):
        return self._username

    def authenticate(self, request):
        """Set ``request["headers"]["Authorization"] = "Basic …"``."""
        _set_header(request, self._header.value)

    def authentication_type(self):
        """``"basic"``."""
        return "basic"

    def __repr__(self):
        return f"BasicAuthenticator(username={self._username!r})"


class NoAuthAuthenticator(_Static):
    """No authentication: :meth:`authenticate` leaves the request as it is."""

    __slots__ = ()

    def authenticate(self, request):
        """Do nothing (the request must still be a dict)."""
        if not isinstance(request, dict):
            raise TypeError(f"request must be a dict, not {type(request).__name__}")

    def authentication_type(self):
        """``"noAuth"``."""
        return "noAuth"

    def __repr__(self):
        return "NoAuthAuthenticator()"
