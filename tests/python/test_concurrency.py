"""Many threads, one request: single flight, shared errors, per-instance locking, GIL release."""

import threading
import time

import iamcore

BAD_KEY_ERROR = {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found"}


def run_threads(n, target):
    """Start n threads released together by a barrier; return their results
    (a value or the exception raised), in thread order."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = target(i)
        except BaseException as e:  # collected and checked by the test
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    return results


def test_100_concurrent_callers_make_one_request(emulator, iam):
    emulator.token_settings(delay_ms=300)
    auth = iam()

    def call(i):
        if i % 2:
            return auth.token()
        request = {"headers": {}}
        auth.authenticate(request)
        return request["headers"]["Authorization"][len("Bearer "):]

    results = run_threads(100, call)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert len(set(results)) == 1
    assert results[0].count(".") == 2
    assert emulator.count() == 1


def test_failed_first_fetch_releases_every_waiter(emulator, iam):
    emulator.enqueue({"status": 400, "delay_ms": 300, "error": BAD_KEY_ERROR})
    auth = iam()

    start = time.monotonic()
    results = run_threads(20, lambda i: auth.token())
    elapsed = time.monotonic() - start

    assert all(isinstance(r, iamcore.AuthenticationError) for r in results), [
        type(r).__name__ for r in results
    ]
    assert {r.status for r in results} == {400}
    assert {r.error_code for r in results} == {"BXNIM0415E"}
    assert emulator.count() == 1
    assert elapsed < 3  # released with the error, not after some long sleep

    # The failure is not cached: the next call tries again and succeeds.
    token = auth.token()
    assert token.count(".") == 2
    assert emulator.count() == 2


def test_authenticators_do_not_wait_for_each_other(emulator, iam):
    slow, fast = iam("slow-key"), iam("fast-key")
    emulator.enqueue({"delay_ms": 2000})  # the first request (slow's) is answered late
    results = {}
    thread = threading.Thread(target=lambda: results.update(slow=slow.token()))
    thread.start()
    try:
        assert emulator.wait_for_count(1, timeout=3) == 1
        start = time.monotonic()
        fast.token()
        assert time.monotonic() - start < 1.0
        assert thread.is_alive()  # slow is still waiting for its answer
    finally:
        thread.join(10)
    assert results["slow"].count(".") == 2
    assert emulator.count() == 2


def test_gil_is_released_while_fetching(emulator, iam):
    emulator.token_settings(delay_ms=800)
    auth = iam()
    thread = threading.Thread(target=auth.token)
    thread.start()
    try:
        assert emulator.wait_for_count(1, timeout=3) == 1
        # The fetching thread is blocked in C; this thread must keep running.
        start = time.monotonic()
        counter = 0
        while time.monotonic() - start < 0.2:
            counter += 1
        assert counter > 1000
        assert thread.is_alive()
    finally:
        thread.join(10)


def test_concurrent_invalidate_and_token(emulator, iam):
    auth = iam()
    auth.token()

    def call(i):
        for _ in range(20):
            if i == 0:
                auth.invalidate()
            else:
                assert auth.token().count(".") == 2
        return True

    results = run_threads(8, call)
    assert results == [True] * 8
