"""IBM Cloud IAM access tokens and AWS database auth tokens, from a small C core.

Authenticators, drop-in for the ones of IBM's ``ibm-cloud-sdk-core``::

    import iamcore

    auth = iamcore.IAMAuthenticator(apikey)          # API key grant
    auth = iamcore.IAMAuthenticator(                 # refresh-token grant
        refresh_token=rt, client_id="bx", client_secret=secret)
    auth = iamcore.ContainerAuthenticator(           # trusted profile + CR token file
        iam_profile_name="my-profile")
    auth = iamcore.VPCInstanceAuthenticator(         # VPC instance metadata service
        iam_profile_crn=crn)
    auth = iamcore.IAMAssumeAuthenticator(           # API key, then assume a profile
        apikey, iam_profile_id="Profile-...")
    auth = iamcore.get_authenticator_from_environment("my-service")

    request = {"method": "GET", "url": "...", "headers": {}}
    auth.authenticate(request)       # request["headers"]["Authorization"] = "Bearer ..."
    token = auth.token()             # the bare access token

plus :class:`BearerTokenAuthenticator`, :class:`BasicAuthenticator` and
:class:`NoAuthAuthenticator`, which need no token service.

Behaviour common to the token authenticators:

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

Adapters (see docs/adapters.md)::

    requests.get(url, auth=auth)                         # or iamcore.requests_auth(auth)
    httpx.AsyncClient(auth=iamcore.httpx_auth(auth))     # sync and async flows
    token = await auth.token_async()                     # asyncio, off the loop
    CloudantV1(authenticator=auth)                       # IBM's generated SDKs
    iamcore.db2.connection_string(db, host, port, authenticator=auth)

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
    InsecureTLSWarning,
    ParseError,
    TimeoutError,
    TLSError,
    TokenFileError,
    TransportError,
)
from . import _native
from ._simple_auth import BasicAuthenticator, BearerTokenAuthenticator, NoAuthAuthenticator
from . import _logging  # noqa: F401 (routes the core's events to the "iamcore" logger)
from ._native import (
    generate_db_auth_token,
    generate_dsql_auth_token,
    generate_elasticache_auth_token,
)
from ._adapters import AuthAdapters, TokenAuthAdapters, httpx_auth, requests_auth
from . import _sdk_core
from ._sdk_core import sdk_core_authenticator

__version__ = "0.1.0"

__all__ = [
    "IAMAuthenticator",
    "ContainerAuthenticator",
    "VPCInstanceAuthenticator",
    "IAMAssumeAuthenticator",
    "BearerTokenAuthenticator",
    "BasicAuthenticator",
    "NoAuthAuthenticator",
    "get_authenticator_from_environment",
    "RDSAuthenticator",
    "generate_db_auth_token",
    "generate_dsql_auth_token",
    "generate_elasticache_auth_token",
    "requests_auth",
    "httpx_auth",
    "sdk_core_authenticator",
    "aws",
    "db2",
    "Error",
    "ConfigError",
    "AuthenticationError",
    "TransportError",
    "TimeoutError",
    "TLSError",
    "ParseError",
    "TokenFileError",
    "InsecureTLSWarning",
    "__version__",
]


class IAMAuthenticator(TokenAuthAdapters, _native.Authenticator):
    """Authenticate with an IBM Cloud API key (``apikey`` grant), or with a
    refresh token (``refresh_token`` grant).

    Args:
        apikey: the IBM Cloud API key. A key wrapped in quotes or curly braces
            is rejected (a common copy-paste error).
        refresh_token: instead of an API key, an IAM refresh token; needs the
            ``client_id`` and ``client_secret`` it was issued to. Each answer
            may carry a new refresh token: the newest is kept (in C memory,
            wiped when replaced) and used for the next refresh, unless IAM says
            ``"not_supported"``. Give exactly one of ``apikey`` and
            ``refresh_token``.
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
        shared_cache: a directory through which the processes of this user on
            this host share the token (docs/shared-cache.md): one IAM request
            per refresh period for all of them. Created 0700 if missing; a
            symbolic link, another user's directory or one writable by group or
            others is a ``ConfigError``. None: the ``IAMCORE_SHARED_CACHE``
            environment variable decides; ``""``: off. Not with
            ``refresh_token``.

    Raises:
        ConfigError: an option is missing or invalid (the message names the
            option, never its value).
        TypeError: an argument has the wrong type.

    The constructor does no network I/O: the first token is fetched by the
    first :meth:`token` or :meth:`authenticate` call.

    Methods (implemented in C): ``authenticate(request)``, ``token()``,
    ``authentication_type()`` (returns ``"iam"``) and ``invalidate()``; and
    ``await token_async()``, ``auth=`` for requests and httpx (see
    :class:`iamcore._adapters.TokenAuthAdapters`).
    """

    __slots__ = ()

    def __init__(
        self,
        apikey=None,
        *,
        refresh_token=None,
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
        shared_cache=None,
    ):
        _native.Authenticator.__init__(
            self,
            "iam",
            apikey=apikey,
            refresh_token=refresh_token,
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
            shared_cache=shared_cache,
        )


class ContainerAuthenticator(TokenAuthAdapters, _native.Authenticator):
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
        ca_file, proxy, timeout, connect_timeout, max_retries, shared_cache: as
            for :class:`IAMAuthenticator`.

    Raises:
        ConfigError: an option is missing or invalid (no profile given, ...).
        TypeError: an argument has the wrong type.

    A missing, empty or unreadable token file is reported by the token fetch
    (:class:`TokenFileError`, naming every path tried), not by the constructor,
    and no request is sent.

    Methods (implemented in C): ``authenticate(request)``, ``token()``,
    ``authentication_type()`` (returns ``"container"``) and ``invalidate()``;
    and ``await token_async()``, ``auth=`` for requests and httpx (see
    :class:`iamcore._adapters.TokenAuthAdapters`).
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
        shared_cache=None,
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
            shared_cache=shared_cache,
        )


class VPCInstanceAuthenticator(TokenAuthAdapters, _native.Authenticator):
    """Authenticate as a VPC virtual server instance through its instance
    metadata service: an instance identity token (``PUT …/token``, header
    ``Metadata-Flavor: ibm``), exchanged for an IAM access token of the
    instance's trusted profile (``POST …/iam_token``).

    Args:
        iam_profile_crn, iam_profile_id: the trusted profile to act as; at most
            one. Neither: the instance's default trusted profile.
        url: the metadata service, default ``"http://169.254.169.254"`` (or the
            secure ``"https://api.metadata.cloud.ibm.com"`` where enabled).
        vpc_ims_version: the metadata API ``version``, a date ``YYYY-MM-DD``
            from ``"2022-03-01"`` (the default) on. From ``"2025-08-26"`` on the
            ``/identity/v1/token`` and ``/identity/v1/iam_tokens`` paths are
            used instead of ``/instance_identity/v1/…``. Also the
            ``VPC_IMS_VERSION`` property of the environment configuration.
        headers: extra headers for both requests (not ``Authorization``, which
            carries the identity token).
        disable_ssl_verification, ca_file, proxy, connect_timeout,
        max_retries, shared_cache: as for :class:`IAMAuthenticator`.
        timeout: as for :class:`IAMAuthenticator`, for each of the two requests.

    Raises:
        ConfigError: both profile options given, a malformed version, …
        TypeError: an argument has the wrong type.

    The identity token is fetched anew for each IAM token, used once and wiped.
    Errors of either request (``AuthenticationError``) carry the service's
    ``errors[0].code`` as ``error_code``, its message as ``error_message``,
    ``errors[0].target`` (JSON text) as ``error_details`` and ``trace`` as
    ``request_id``.

    Methods (implemented in C): ``authenticate(request)``, ``token()``,
    ``authentication_type()`` (returns ``"vpc"``) and ``invalidate()``.
    """

    __slots__ = ()

    def __init__(
        self,
        iam_profile_crn=None,
        iam_profile_id=None,
        url=None,
        *,
        vpc_ims_version=None,
        headers=None,
        disable_ssl_verification=False,
        ca_file=None,
        proxy=None,
        timeout=None,
        connect_timeout=None,
        max_retries=None,
        shared_cache=None,
    ):
        _native.Authenticator.__init__(
            self,
            "vpc",
            iam_profile_crn=iam_profile_crn,
            iam_profile_id=iam_profile_id,
            url=url,
            vpc_ims_version=vpc_ims_version,
            headers=headers,
            disable_ssl_verification=disable_ssl_verification,
            ca_file=ca_file,
            proxy=proxy,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            shared_cache=shared_cache,
        )


class IAMAssumeAuthenticator(TokenAuthAdapters, _native.Authenticator):
    """Authenticate with an API key, then assume a trusted profile (the
    ``assume`` grant): the API-key token (cached and refreshed like any IAM
    token) is exchanged for a token of the profile.

    Args:
        apikey: the IBM Cloud API key (rules of :class:`IAMAuthenticator`).
        iam_profile_crn, iam_profile_id, iam_profile_name: the trusted profile;
            exactly one.
        iam_account_id: the account of ``iam_profile_name``; required with it,
            refused without it.
        url, client_id, client_secret, scope, headers: as for
            :class:`IAMAuthenticator`. The client id, secret and scope apply to
            the API-key request only: the assume request takes neither Basic
            authorization nor a scope.
        disable_ssl_verification, ca_file, proxy, connect_timeout,
        max_retries, shared_cache: as for :class:`IAMAuthenticator`.
        timeout: as for :class:`IAMAuthenticator`, for each of the two requests.

    Raises:
        ConfigError: an option is missing or invalid.
        TypeError: an argument has the wrong type.

    Methods (implemented in C): ``authenticate(request)``, ``token()``,
    ``authentication_type()`` (returns ``"iamAssume"``) and ``invalidate()``
    (drops the assumed token; the API-key token stays cached).
    """

    __slots__ = ()

    def __init__(
        self,
        apikey,
        *,
        iam_profile_crn=None,
        iam_profile_id=None,
        iam_profile_name=None,
        iam_account_id=None,
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
        shared_cache=None,
    ):
        _native.Authenticator.__init__(
            self,
            "iamAssume",
            apikey=apikey,
            iam_profile_crn=iam_profile_crn,
            iam_profile_id=iam_profile_id,
            iam_profile_name=iam_profile_name,
            iam_account_id=iam_account_id,
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
            shared_cache=shared_cache,
        )


_ENVIRONMENT_CLASSES = {
    "iam": IAMAuthenticator,
    "container": ContainerAuthenticator,
    "vpc": VPCInstanceAuthenticator,
    "iamAssume": IAMAssumeAuthenticator,
    "bearerToken": BearerTokenAuthenticator,
    "basic": BasicAuthenticator,
    "noAuth": NoAuthAuthenticator,
}


def get_authenticator_from_environment(service_name):
    """The authenticator configured for ``service_name`` outside the program, as
    ibm-cloud-sdk-core's function of the same name.

    Properties ``<SERVICE>_<PROPERTY>`` (``SERVICE`` = the name upper-cased,
    ``-`` and space as ``_``) come from the first of these that has any: the
    credentials file (``$IBM_CREDENTIALS_FILE``, else ``./ibm-credentials.env``,
    else ``~/ibm-credentials.env``), the environment variables, then
    ``VCAP_SERVICES``. ``AUTH_TYPE`` picks the class: ``iam``
    (:class:`IAMAuthenticator`), ``container``, ``vpc``, ``iamAssume``,
    ``bearerToken``, ``basic``, ``noAuth``; without it, ``iam`` when ``APIKEY``
    is set, else ``container``. docs/environment.md lists every property.

    Raises:
        ConfigError: nothing found (the message says where it looked), an
            unknown ``AUTH_TYPE``, a missing or invalid property (named, never
            its value).
        TypeError: ``service_name`` is not a str.
    """
    return _native.from_environment(service_name, _ENVIRONMENT_CLASSES)


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


_sdk_core._install()  # IBM's SDK core accepts these authenticators (see there)

_LAZY = ("aws", "db2")


def __getattr__(name):
    # iamcore.aws, iamcore.db2 without an explicit import; `import iamcore` stays light.
    if name in _LAZY:
        __import__(__name__ + "." + name)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
