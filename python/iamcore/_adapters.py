"""What lets an iamcore authenticator plug into HTTP clients and asyncio.

Two mixins; an authenticator class gets the behaviour by inheriting one of them
(before its native base)::

    class IAMAuthenticator(TokenAuthAdapters, _native.Authenticator): ...
    class BasicAuthenticator(AuthAdapters, ...): ...

* :class:`AuthAdapters` (every authenticator): the object is a callable auth
  for ``requests`` and ``httpx`` (``auth=a``), has ``validate()`` as IBM's
  authenticators, and IBM's SDK core accepts it (see :mod:`iamcore._sdk_core`).
* :class:`TokenAuthAdapters` (authenticators with ``token()``): adds
  ``await a.token_async()``.

The functions :func:`requests_auth` and :func:`httpx_auth` wrap any object with
``authenticate(request_dict)``. requests and httpx are imported on first use
only; iamcore depends on neither.
"""

__all__ = ["AuthAdapters", "TokenAuthAdapters", "requests_auth", "httpx_auth"]


def _auth_headers(authenticator):
    # authenticate() is the one place that knows an authenticator's headers
    # (Bearer, Basic, none): ask it with an empty request dict.
    request = {"headers": {}}
    authenticator.authenticate(request)
    return request["headers"]


def _headers_of(request):
    # Checked before any token is fetched for it.
    headers = getattr(request, "headers", None)
    if headers is None:
        raise TypeError(
            "expected an HTTP request object with a 'headers' mapping "
            f"(requests or httpx), not {type(request).__name__}"
        )
    return headers


def _add_headers(request, authenticator):
    headers = _headers_of(request)
    headers.update(_auth_headers(authenticator))
    return request


class AuthAdapters:
    """Mixin of every iamcore authenticator (no state of its own)."""

    __slots__ = ()

    def __call__(self, request):
        """Add this authenticator's headers to an HTTP request object, in place,
        and return it: ``requests.get(url, auth=a)``, ``httpx.Client(auth=a)``.

        The token, if any, comes from ``token()``: this blocks while a token is
        fetched. With ``httpx.AsyncClient`` use :func:`iamcore.httpx_auth`,
        which fetches off the event loop.
        """
        return _add_headers(request, self)

    def validate(self):
        """Does nothing: the constructor has validated the configuration
        (``ConfigError``). Present because IBM's authenticators have it."""


# Token fetches in flight, per (authenticator, event loop): the awaiting tasks of
# one loop share one thread and one future.
_in_flight = {}


def _forget(key, future):
    if _in_flight.get(key) is future:
        del _in_flight[key]
    if not future.cancelled():
        future.exception()  # retrieved: no "never retrieved" log if every waiter left


class TokenAuthAdapters(AuthAdapters):
    """Mixin of the authenticators that have ``token()`` and whose
    ``authenticate()`` sets ``Authorization: Bearer <token()>`` (the async
    flows build that header from ``token_async()``). Native ones also have
    ``_cached_token()``, which spares a cached token the thread hop."""

    __slots__ = ()

    async def token_async(self):
        """Return a valid access token without blocking the event loop.

        A cached token is returned at once, without a thread hop. Otherwise
        ``token()`` runs in the loop's default executor; the tasks of one loop
        that wait at the same time share that one call (and the core sends one
        request however many threads and loops ask). Cancelling a waiting task
        does not cancel the fetch: the others still get its result, and the
        token is cached for later calls.

        Needs a running asyncio event loop (``RuntimeError`` otherwise). Raises
        what ``token()`` raises.
        """
        import asyncio  # here: it takes longer to import than iamcore itself

        loop = asyncio.get_running_loop()
        peek = getattr(self, "_cached_token", None)
        if peek is not None:
            token = peek()
            if token is not None:
                return token
        key = (id(self), loop)
        future = _in_flight.get(key)
        if future is None:
            future = loop.run_in_executor(None, self.token)
            _in_flight[key] = future
            future.add_done_callback(lambda done, key=key: _forget(key, done))
        return await asyncio.shield(future)


async def _auth_headers_async(authenticator):
    if isinstance(authenticator, TokenAuthAdapters):
        return {"Authorization": "Bearer " + await authenticator.token_async()}
    if isinstance(authenticator, AuthAdapters):
        return _auth_headers(authenticator)  # no token, no I/O
    # Someone else's authenticator (e.g. one of ibm_cloud_sdk_core's) may block.
    import asyncio

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _auth_headers, authenticator)


def _check_authenticator(authenticator, function):
    if not callable(getattr(authenticator, "authenticate", None)):
        raise TypeError(
            f"{function}() needs an authenticator with an authenticate(request) "
            f"method, not {type(authenticator).__name__}"
        )


def requests_auth(authenticator):
    """A ``requests.auth.AuthBase`` that adds the authenticator's headers::

        requests.get(url, auth=iamcore.requests_auth(authenticator))

    Same effect as ``auth=authenticator``; useful where an ``AuthBase`` is
    required. Accepts any object with ``authenticate(request_dict)`` (IBM's
    own authenticators too). Needs ``requests``.

    On a redirect requests copies the headers of the first request and removes
    ``Authorization`` when the host changes (or the scheme or port, except
    http to https on the default ports); it does not call the auth again.
    """
    _check_authenticator(authenticator, "requests_auth")
    return _requests_class()(authenticator)


def httpx_auth(authenticator):
    """An ``httpx.Auth`` that adds the authenticator's headers, for
    ``httpx.Client`` and ``httpx.AsyncClient``::

        async with httpx.AsyncClient(auth=iamcore.httpx_auth(authenticator)) as client:
            await client.get(url)

    The async flow never blocks the event loop: a token is fetched with
    ``token_async()`` (asyncio only). The sync flow calls ``authenticate()``.
    Accepts any object with ``authenticate(request_dict)``; the async flow runs
    a foreign one in the default executor. Needs ``httpx``.

    On a redirect to another origin httpx removes ``Authorization`` (except
    for http to https on the same host).
    """
    _check_authenticator(authenticator, "httpx_auth")
    return _httpx_class()(authenticator)


def _describe(adapter):
    return f"{type(adapter).__name__}({adapter.authenticator!r})"


def _once(make):
    """make() on the first call, the same object on every later one (what
    functools.lru_cache would do here; importing functools and collections costs
    a clean interpreter about as much as importing iamcore)."""
    made = []

    def get():
        if not made:
            made.append(make())  # two threads may both make one: the first is kept
        return made[0]

    return get


@_once
def _requests_class():
    import requests.auth

    class RequestsAuth(requests.auth.AuthBase):
        """A requests auth that adds an iamcore authenticator's headers."""

        def __init__(self, authenticator):
            self.authenticator = authenticator

        def __call__(self, request):
            return _add_headers(request, self.authenticator)

        __repr__ = _describe

    return RequestsAuth


@_once
def _httpx_class():
    import httpx

    class HttpxAuth(httpx.Auth):
        """An httpx auth that adds an iamcore authenticator's headers."""

        def __init__(self, authenticator):
            self.authenticator = authenticator

        def auth_flow(self, request):
            yield _add_headers(request, self.authenticator)

        async def async_auth_flow(self, request):
            headers = _headers_of(request)
            headers.update(await _auth_headers_async(self.authenticator))
            yield request

        __repr__ = _describe

    return HttpxAuth
