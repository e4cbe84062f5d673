"""IBM Cloud IAM access tokens and AWS database auth tokens, from a small C core.

Two authenticators, drop-in for the ones of IBM's ``ibm-cloud-sdk-core``::

    import iamcore

    auth = iamcore.IAMAuthenticator(apikey)          # API key grant
    auth = iamcore.ContainerAuthenticator(           # trusted profile + CR token file
        iam_profile_name="my-profile")

    request = {"method": "GET", "url": "...", "headers": {}}
    auth.authenticate(request)       # request["headers"]["Authorization"] = "Bearer ..."
    token = auth.token()             # the bare access token

Behaviour common to both:

* Tokens are cached per authenticator. A cached token is returned in well under
  a microsecond, without I/O. At 80 % of its lifetime a refresh starts in the
  background while callers keep getting the still-valid token; a failed refresh
  does not disturb them. A token counts as expired 10 s before its ``exp``.
* Without a valid token, exactly one request is sent however many threads ask;
  they all get its token or its error. A failure is not cached: the next call
  tries again. The GIL is released while waiting.
* Requests time out (``timeout``, total per fetch, default 30 s) and are
  retried with backoff on connection errors, 429 (honouring ``Retry-After``)
  and 5xx; never on other 4xx answers.
* API keys, client secrets and tokens never appear in ``repr()``, in error
  messages or in exception attributes. Authenticators cannot be pickled.
* Errors are :class:`iamcore.Error` subclasses (see :mod:`iamcore._errors`).
  Bad configuration raises :class:`ConfigError` (also a ``ValueError``) from
  the constructor; an argument of the wrong Python type raises ``TypeError``.

The environment variables ``HTTPS_PROXY`` / ``NO_PROXY`` are honoured unless
``proxy`` is given.

Events (tokens fetched, retries, failures, background refreshes; never a secret)
are logged on the standard logger ``"iamcore"``; see docs/logging.md.

AWS (details in :mod:`iamcore.aws`, imported on first use)::

    pw = iamcore.generate_db_auth_token(host, 5432, "app_user")   # as boto3's
    rds = iamcore.RDSAuthenticator(host, 5432, "app_user")        # cached token
    psycopg.connect(host=host, user="app_user", password=rds.token(), sslmode="require")

plus :func:`generate_dsql_auth_token`, :func:`generate_elasticache_auth_token`,
and in :mod:`iamcore.aws` SigV4 signing (``sign_request``, ``presign_url``),
``Credentials`` and ``resolve_credentials``.
"""

from ._errors import (
    AuthenticationError,
    ConfigError,
    Error,
    ParseError,
    TimeoutError,
    TLSError,
    TokenFileError,
    TransportError,
)
from . import _native
from . import _logging  # noqa: F401 (routes the core's events to the "iamcore" logger)
from ._native import (
    generate_db_auth_token,
    generate_dsql_auth_token,
    generate_elasticache_auth_token,
)

__version__ = "0.1.0"

__all__ = [
    "IAMAuthenticator",
    "ContainerAuthenticator",
    "RDSAuthenticator",
    "generate_db_auth_token",
    "generate_dsql_auth_token",
    "generate_elasticache_auth_token",
    "aws",
    "Error",
    "ConfigError",
    "AuthenticationError",
    "TransportError",
    "TimeoutError",
    "TLSError",
    "ParseError",
    "TokenFileError",
    "__version__",
]


class IAMAuthenticator(_native.Authenticator):
    """Authenticate with an IBM Cloud API key (``apikey`` grant).

    Args:
        apikey: the IBM Cloud API key. Required and non-empty; a key wrapped in
            quotes or curly braces is rejected (a common copy-paste error).
        url: base URL of the IAM token service, default
            ``"https://iam.cloud.ibm.com"``. A URL already ending in
            ``/identity/token`` (or ``/``) is accepted.
        client_id, client_secret: sent as HTTP Basic authorization; give both
            or neither.
        scope: the ``scope`` form field, e.g. ``"ibm openid"``.
        headers: extra request headers, a mapping of str to str (no CR/LF).
        disable_ssl_verification: do not verify the server's TLS certificate.
            Unsafe outside tests.
        ca_file: path of a PEM bundle to trust instead of the system's CAs.
        proxy: proxy URL; overrides ``HTTPS_PROXY`` / ``NO_PROXY``.
        timeout: seconds (int or float, > 0) a token fetch may take in total,
            retries included; default 30.
        connect_timeout: seconds per connection attempt; default 5.
        max_retries: retries after the first attempt; default 3, 0 disables.

    Raises:
        ConfigError: an option is missing or invalid (the message names the
            option, never its value).
        TypeError: an argument has the wrong type.

    The constructor does no network I/O: the first token is fetched by the
    first :meth:`token` or :meth:`authenticate` call.

    Methods (implemented in C): ``authenticate(request)``, ``token()``,
    ``authentication_type()`` (returns ``"iam"``) and ``invalidate()``.
    """

    __slots__ = ()

    def __init__(
        self,
        apikey,
        *,
        url=None,
        client_id=None,
        client_secret=None,
        scope=None,
        headers=None,
        disable_ssl_verification=False,
        ca_file=None,
        proxy=None,
        timeout=None,
        connect_timeout=None,
        max_retries=None,
    ):
        _native.Authenticator.__init__(
            self,
            "iam",
            apikey=apikey,
            url=url,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            headers=headers,
            disable_ssl_verification=disable_ssl_verification,
            ca_file=ca_file,
            proxy=proxy,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
        )


class ContainerAuthenticator(_native.Authenticator):
    """Authenticate as a trusted profile with a compute-resource token
    (``cr-token`` grant), e.g. in Code Engine, IKS/OpenShift or a VPC pod.

    Args:
        iam_profile_name, iam_profile_id, iam_profile_crn: the trusted profile;
            at least one is required (several may be given).
        cr_token_filename: file holding the compute-resource token. It is
            re-read at every token fetch (it rotates); one trailing newline is
            stripped. When None, these are tried in order:
            ``/var/run/secrets/tokens/vault-token``,
            ``/var/run/secrets/tokens/sa-token``,
            ``/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token``.
        url, client_id, client_secret, scope, headers, disable_ssl_verification,
        ca_file, proxy, timeout, connect_timeout, max_retries: as for
            :class:`IAMAuthenticator`.

    Raises:
        ConfigError: an option is missing or invalid (no profile given, ...).
        TypeError: an argument has the wrong type.

    A missing, empty or unreadable token file is reported by the token fetch
    (:class:`TokenFileError`, naming every path tried), not by the constructor,
    and no request is sent.

    Methods (implemented in C): ``authenticate(request)``, ``token()``,
    ``authentication_type()`` (returns ``"container"``) and ``invalidate()``.
    """

    __slots__ = ()

    def __init__(
        self,
        *,
        iam_profile_name=None,
        iam_profile_id=None,
        iam_profile_crn=None,
        cr_token_filename=None,
        url=None,
        client_id=None,
        client_secret=None,
        scope=None,
        headers=None,
        disable_ssl_verification=False,
        ca_file=None,
        proxy=None,
        timeout=None,
        connect_timeout=None,
        max_retries=None,
    ):
        _native.Authenticator.__init__(
            self,
            "container",
            iam_profile_name=iam_profile_name,
            iam_profile_id=iam_profile_id,
            iam_profile_crn=iam_profile_crn,
            cr_token_filename=cr_token_filename,
            url=url,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            headers=headers,
            disable_ssl_verification=disable_ssl_verification,
            ca_file=ca_file,
            proxy=proxy,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
        )


class RDSAuthenticator(_native.RDSAuthenticator):
    """A cached Amazon RDS / Aurora IAM auth token for one (region, host, port,
    user), shared by every thread, as the AWS advanced wrappers' IAM plugin::

        rds = iamcore.RDSAuthenticator(host, 5432, "app_user")
        conn = psycopg.connect(host=host, user="app_user", password=rds.token(),
                               sslmode="require")
        # after a login failure: rds.invalidate(), then retry once

    Args:
        hostname: the DB endpoint connected to (a DNS name, or an IPv6 literal
            in brackets), without scheme or port.
        port: the DB port, 1 to 65535.
        username: the database user.
        region: the region to sign for; None: ``AWS_REGION``,
            ``AWS_DEFAULT_REGION``, the profile's ``region``, then the region in
            an RDS host name (``...<region>.rds.amazonaws.com``). Resolved once,
            here (see :attr:`region`).
        expiration: seconds a token is reused, 1 to 900; default 870 (15
            minutes less 30 s, as the AWS wrappers' ``iam_expiration``). Less
            when the credentials expire sooner.
        credentials: an :class:`iamcore.aws.Credentials` to sign with; None:
            the AWS credential chain, shared by the process (per ``profile``),
            cached and refreshed before the credentials expire.
        profile: the profile for the credential chain and the region.
        signing_hostname: the RDS host name to sign for when it differs from the
            one connected to (a tunnel, a proxy, custom DNS: the wrappers'
            ``iam_host``). The token then starts with this name.

    Raises:
        ConfigError: an argument is invalid, or no region can be found.
        TypeError: an argument has the wrong type.

    The constructor does no network I/O; the first :meth:`token` signs (and
    runs the credential chain if the process has not yet). Methods
    (implemented in C): ``token()`` and ``invalidate()``. Read-only
    attributes: ``hostname``, ``port``, ``username``, ``region``,
    ``signing_hostname``, ``expiration``. Not picklable.
    """

    __slots__ = ()

    def __init__(
        self,
        hostname,
        port,
        username,
        region=None,
        expiration=870,
        *,
        credentials=None,
        profile=None,
        signing_hostname=None,
    ):
        _native.RDSAuthenticator.__init__(
            self,
            hostname,
            port,
            username,
            region,
            expiration,
            credentials=credentials,
            profile=profile,
            signing_hostname=signing_hostname,
        )


def __getattr__(name):
    # iamcore.aws without an explicit import; `import iamcore` stays light.
    if name == "aws":
        __import__(__name__ + ".aws")
        return globals()["aws"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"aws"})
