"""httpx: `iamcore.httpx_auth(authenticator)` (sync and async flows) and
`auth=authenticator` with httpx.Client, against loopback servers."""

import asyncio

import pytest

import iamcore
from iamcore import _adapters
from adapter_support import RecordingServer, bearer_of, emulator_claims

httpx = pytest.importorskip("httpx")  # installed by scripts/build.sh

BAD_KEY = {"status": 400, "error": {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}}


@pytest.fixture
def server():
    with RecordingServer() as s:
        yield s


def client(**options):
    return httpx.Client(trust_env=False, timeout=10, **options)


def async_client(**options):
    return httpx.AsyncClient(trust_env=False, timeout=10, **options)


@pytest.mark.parametrize("wrap", [False, True], ids=["auth=a", "httpx_auth(a)"])
def test_sync_client(emulator, iam, server, wrap):
    a = iam()
    with client(auth=iamcore.httpx_auth(a) if wrap else a) as c:
        assert c.get(server.url + "/one").status_code == 200
        assert c.post(server.url + "/two", json={"x": 1}).status_code == 200
    token = bearer_of(server.authorization(0))
    assert server.authorization(1) == "Bearer " + token == "Bearer " + a.token()
    assert emulator.count() == 1


def test_httpx_auth_is_an_httpx_auth(iam):
    assert isinstance(iamcore.httpx_auth(iam()), httpx.Auth)


def test_async_client(emulator, iam, server):
    a = iam()

    async def main():
        async with async_client(auth=iamcore.httpx_auth(a)) as c:
            responses = await asyncio.gather(*(c.get(f"{server.url}/{i}") for i in range(10)))
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * 10
    tokens = {bearer_of(server.authorization(i)) for i in range(10)}
    assert tokens == {a.token()}
    assert emulator.count() == 1
    assert _adapters._in_flight == {}


def test_async_flow_does_not_block_the_loop(emulator, iam, server):
    emulator.token_settings(delay_ms=500)
    a = iam()

    async def main():
        ticks = 0
        done = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.ensure_future(ticker())
        async with async_client(auth=iamcore.httpx_auth(a)) as c:
            response = await c.get(server.url + "/slow-token")
        done.set()
        await task
        return response.status_code, ticks

    status, ticks = asyncio.run(main())
    assert status == 200
    assert ticks >= 10  # the loop kept running through the 500 ms token delay
    emulator_claims(bearer_of(server.authorization()))


def test_sync_client_error_surfaces(emulator, iam, server):
    emulator.enqueue(BAD_KEY)
    with client(auth=iamcore.httpx_auth(iam(max_retries=0))) as c:
        with pytest.raises(iamcore.AuthenticationError) as info:
            c.get(server.url + "/")
    assert info.value.error_code == "BXNIM0415E"
    assert server.requests == []


def test_async_client_error_surfaces(emulator, iam, server):
    emulator.enqueue(BAD_KEY)
    a = iam(max_retries=0)

    async def main():
        async with async_client(auth=iamcore.httpx_auth(a)) as c:
            await c.get(server.url + "/")

    with pytest.raises(iamcore.AuthenticationError) as info:
        asyncio.run(main())
    assert info.value.status == 400
    assert server.requests == []
    # Not cached: the next request gets a token.
    with client(auth=iamcore.httpx_auth(a)) as c:
        c.get(server.url + "/")
    bearer_of(server.authorization())


@pytest.mark.parametrize("flow", ["sync", "async"])
def test_redirect_to_another_origin_drops_the_header(emulator, iam, flow):
    # httpx removes Authorization when a redirect leaves the origin.
    a = iam()
    with RecordingServer() as origin, RecordingServer(host="localhost") as other:
        url = origin.url + "/redirect"
        params = {"to": other.url + "/landing"}
        if flow == "sync":
            with client(auth=iamcore.httpx_auth(a), follow_redirects=True) as c:
                response = c.get(url, params=params)
        else:
            async def main():
                async with async_client(auth=iamcore.httpx_auth(a), follow_redirects=True) as c:
                    return await c.get(url, params=params)

            response = asyncio.run(main())
        assert response.status_code == 200 and len(response.history) == 1
        bearer_of(origin.authorization())
        assert [r["path"] for r in other.requests] == ["/landing"]
        assert other.authorization() is None


class StaticHeader(_adapters.AuthAdapters):
    """An authenticator without a token (as Basic or NoAuth): its headers come
    from authenticate(), which does no I/O."""

    def authenticate(self, request):
        request["headers"]["Authorization"] = "Basic dXNlcjpwYXNz"


def test_async_flow_with_an_authenticator_without_token(server):
    async def main():
        async with async_client(auth=iamcore.httpx_auth(StaticHeader())) as c:
            await c.get(server.url + "/")

    asyncio.run(main())
    assert server.authorization() == "Basic dXNlcjpwYXNz"


def test_async_flow_with_a_foreign_authenticator(server):
    # Any object with authenticate(request_dict); the async flow runs it off the loop.
    authenticators = pytest.importorskip("ibm_cloud_sdk_core.authenticators")
    BearerTokenAuthenticator = authenticators.BearerTokenAuthenticator

    async def main():
        async with async_client(auth=iamcore.httpx_auth(BearerTokenAuthenticator("static-token"))) as c:
            await c.get(server.url + "/")

    asyncio.run(main())
    assert server.authorization() == "Bearer static-token"


def test_httpx_auth_rejects_what_cannot_authenticate():
    with pytest.raises(TypeError, match="httpx_auth.*int"):
        iamcore.httpx_auth(42)


def test_repr_holds_no_secret(emulator, iam, assert_secret_free):
    a = iam("adapter-secret-key")
    token = a.token()
    text = repr(iamcore.httpx_auth(a))
    assert text.startswith("HttpxAuth(IAMAuthenticator(")
    assert_secret_free(text, token, "adapter-secret-key", where="repr(httpx_auth(a))")
