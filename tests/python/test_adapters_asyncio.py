"""`await authenticator.token_async()`: cached tokens without a thread hop, fetches
off the event loop, one fetch for many waiting tasks, and cancellation."""

import asyncio
import concurrent.futures
import gc
import threading

import pytest

import iamcore
from iamcore import _adapters
from adapter_support import emulator_claims

BAD_KEY = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A default executor that counts what it is given (and can refuse it)."""

    def __init__(self, refuse=False):
        super().__init__(max_workers=4)
        self.submitted = 0
        self.refuse = refuse

    def submit(self, fn, *args, **kwargs):
        self.submitted += 1
        if self.refuse:
            raise AssertionError("a thread hop was made")
        return super().submit(fn, *args, **kwargs)


def run(coroutine_function, executor=None):
    """asyncio.run with an optional default executor; fails on any error the loop
    logged (e.g. 'Future exception was never retrieved')."""
    logged = []

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: logged.append(context.get("message")))
        if executor is not None:
            loop.set_default_executor(executor)
        result = await coroutine_function()
        gc.collect()  # "never retrieved" is reported when a future is collected
        await asyncio.sleep(0)
        return result

    result = asyncio.run(main())
    assert logged == []
    return result


async def ticking(awaitable, interval=0.01):
    """Await `awaitable` while another task counts loop ticks; return (result, ticks)."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(interval)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    try:
        return await awaitable, ticks
    finally:
        stop.set()
        await task


def test_fetch_runs_off_the_loop(emulator, iam):
    emulator.token_settings(delay_ms=500)
    a = iam()
    token, ticks = run(lambda: ticking(a.token_async()))
    emulator_claims(token)
    assert token == a.token()
    # 500 ms of delay, a tick every 10 ms: a blocked loop would count 0 or 1.
    assert ticks >= 10
    assert emulator.count() == 1


def test_cached_token_is_returned_without_a_thread_hop(emulator, iam):
    a = iam()
    first = a.token()
    executor = CountingExecutor(refuse=True)

    async def twice():
        return [await a.token_async(), await a.token_async()]

    assert run(twice, executor) == [first, first]
    assert executor.submitted == 0
    assert emulator.count() == 1


def test_concurrent_awaits_share_one_fetch(emulator, iam):
    emulator.token_settings(delay_ms=300)
    a = iam()
    executor = CountingExecutor()

    async def many():
        return await asyncio.gather(*(a.token_async() for _ in range(50)))

    tokens = run(many, executor)
    assert len(set(tokens)) == 1
    emulator_claims(tokens[0])
    assert emulator.count() == 1
    assert executor.submitted == 1  # one thread for all 50 tasks
    assert _adapters._in_flight == {}


def test_every_waiter_gets_the_error_and_it_is_not_cached(emulator, iam):
    emulator.enqueue({"status": 400, "delay_ms": 200, "error": BAD_KEY})
    a = iam(max_retries=0)

    async def many():
        return await asyncio.gather(*(a.token_async() for _ in range(5)), return_exceptions=True)

    results = run(many)
    assert all(isinstance(r, iamcore.AuthenticationError) for r in results)
    assert {r.error_code for r in results} == {"BXNIM0415E"}
    assert emulator.count() == 1
    # The failure is not remembered: the next await fetches again.
    emulator_claims(run(a.token_async))
    assert emulator.count() == 2


def test_cancelled_waiter_leaves_the_fetch_to_the_others(emulator, iam):
    emulator.token_settings(delay_ms=500)
    a = iam()

    async def scenario():
        first = asyncio.ensure_future(a.token_async())
        second = asyncio.ensure_future(a.token_async())
        await asyncio.sleep(0.1)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        token = await second
        # The authenticator still works, from its cache.
        assert await a.token_async() == token
        return token

    token = run(scenario)
    emulator_claims(token)
    assert emulator.count() == 1
    assert _adapters._in_flight == {}


def test_cancelling_every_waiter_still_caches_the_token(emulator, iam):
    emulator.token_settings(delay_ms=300)
    a = iam()

    async def scenario():
        task = asyncio.ensure_future(a.token_async())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        while _adapters._in_flight:  # the fetch goes on without a waiter
            await asyncio.sleep(0.02)
        executor = CountingExecutor(refuse=True)
        asyncio.get_running_loop().set_default_executor(executor)
        return await a.token_async()

    emulator_claims(run(scenario))
    assert emulator.count() == 1


def test_a_failed_fetch_without_waiters_is_not_logged(emulator, iam):
    # The waiter is cancelled, then the fetch fails: nobody is left to see the
    # error, and the loop must not report an unretrieved exception (run() checks).
    emulator.enqueue({"status": 400, "delay_ms": 300, "error": BAD_KEY})
    a = iam(max_retries=0)

    async def scenario():
        task = asyncio.ensure_future(a.token_async())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        while _adapters._in_flight:
            await asyncio.sleep(0.02)
        return await a.token_async()

    emulator_claims(run(scenario))
    assert emulator.count() == 2


def test_two_loops_in_two_threads(emulator, iam):
    emulator.token_settings(delay_ms=300)
    a = iam()
    results = []
    barrier = threading.Barrier(2)

    def worker():
        async def fetch():
            barrier.wait(5)
            return await a.token_async()

        results.append(asyncio.run(fetch()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 2 and results[0] == results[1]
    assert emulator.count() == 1  # the core's single flight spans loops


def test_needs_a_running_event_loop(iam):
    coroutine = iam().token_async()
    with pytest.raises(RuntimeError, match="event loop"):
        coroutine.send(None)
    coroutine.close()


def test_cached_token_peek(emulator, iam):
    # The native method token_async uses: the cached token or None, never a fetch.
    a = iam()
    assert a._cached_token() is None
    assert emulator.count() == 0
    token = a.token()
    assert a._cached_token() == token
    a.invalidate()
    assert a._cached_token() is None
    assert emulator.count() == 1
    with pytest.raises(RuntimeError, match="not initialised"):
        iamcore.IAMAuthenticator.__new__(iamcore.IAMAuthenticator)._cached_token()


def test_token_async_during_a_background_refresh(emulator, iam):
    # Refresh due (issued 3000 s ago, lifetime 3600) and slow: token_async keeps
    # answering from the cache, without a thread, then switches to the new token.
    emulator.token_settings(iat_offset=-3000, lifetime=3600)
    a = iam()
    old = a.token()
    emulator.token_settings(iat_offset=0, delay_ms=300)

    async def scenario():
        seen = [await a.token_async()]
        while seen[-1] == old and len(seen) < 200:
            await asyncio.sleep(0.02)
            seen.append(await a.token_async())
        return seen

    seen = run(scenario, CountingExecutor(refuse=True))
    assert seen[0] == old and seen[-1] != old
    emulator_claims(seen[-1])
    assert emulator.count() == 2


def test_container_authenticator_token_async(emulator, container):
    a = container()
    token = run(a.token_async)
    assert emulator_claims(token)["sub"] == "profile-test-profile"
