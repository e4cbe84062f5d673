"""Processes and the interpreter's life cycle: os.fork() and multiprocessing (fork and spawn)
after a token is cached and while a refresh or a first fetch is in flight, forks while other
threads call authenticate(), process exit with a fetch in flight, and interpreter shutdown
with a background refresh thread alive (docs/reliability.md).

A forked child runs with a time limit and reports through a pipe: one that deadlocks is
killed and the test fails. Tokens are compared, never shown: a failed comparison must not
print one."""

import json
import multiprocessing
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import iamcore
from soak_support import jwt_exp

ROOT = Path(__file__).resolve().parents[2]
# Issued 85 s before it arrives with a 100 s lifetime: usable for 5 s, refresh due at once.
REFRESH_DUE = {"lifetime": 100, "iat_offset": -85}


def in_fork(fn, timeout=20.0):
    """Run fn() in a forked child and return what it returned (JSON-able). A child that
    raises fails the test with the exception's type and message; one that does not finish
    within `timeout` seconds is killed and fails it as a deadlock."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        os.close(read_end)
        try:
            report = {"ok": True, "value": fn()}
        except BaseException as e:  # reported to the parent, which fails the test
            report = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"the forked child did not finish within {timeout} s (deadlock)")
            ready, _, _ = select.select([read_end], [], [], left)
            if ready:
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                data += chunk
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
    report = json.loads(data)
    if not report["ok"]:
        pytest.fail("in the forked child: " + report["error"])
    return report["value"]


# Several tests end with a background refresh still in flight, and its request may reach the
# emulator after the next test's reset. Each test therefore has an API key of its own and
# counts only the requests that carry it.
@pytest.fixture(autouse=True)
def apikey():
    global APIKEY
    APIKEY = "process-safety-" + uuid.uuid4().hex
    return APIKEY


def own_requests(emulator):
    """How many requests of this test's API key the emulator has received."""
    return sum(1 for r in emulator.requests() if r["form"].get("apikey") == APIKEY)


def https_auth(emulator, **options):
    options.setdefault("timeout", 10)
    return iamcore.IAMAuthenticator(APIKEY, url=emulator.https,
                                    ca_file=emulator.ca_file, **options)


def wait_for_requests(emulator, n, timeout=3.0):
    deadline = time.monotonic() + timeout
    while own_requests(emulator) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return own_requests(emulator)


def token_until_new(auth, old, timeout=8.0):
    """Call token() until it returns a token other than `old`; return it (or `old`)."""
    deadline = time.monotonic() + timeout
    token = auth.token()
    while token == old and time.monotonic() < deadline:
        time.sleep(0.05)
        token = auth.token()
    return token


def test_fork_child_keeps_the_cached_token_and_its_own_connection(emulator):
    auth = https_auth(emulator)
    cached = auth.token()

    def child():
        same = auth.token() == cached
        no_request = own_requests(emulator) == 1
        auth.invalidate()
        fresh = auth.token()
        ports = [r["client_port"] for r in emulator.requests()]
        return {"same": same, "no_request": no_request, "new": fresh != cached,
                "valid": jwt_exp(fresh) - time.time() > 10, "ports": ports}

    result = in_fork(child)
    assert result["same"] and result["no_request"], "the child keeps the cached token"
    assert result["new"] and result["valid"], "the child fetches a token of its own"
    first, childs = result["ports"]
    assert childs != first, "the child opened a connection of its own"

    # The parent's kept-alive TLS connection is intact: its next request goes over it.
    auth.invalidate()
    same_again = auth.token() == cached
    assert not same_again
    assert [r["client_port"] for r in emulator.requests()] == [first, childs, first]


def test_fork_while_a_refresh_is_in_flight(emulator):
    emulator.token_settings(**REFRESH_DUE)
    auth = https_auth(emulator)
    cached = auth.token()
    emulator.token_settings(delay_ms=1500)
    first_is_cached = auth.token() == cached  # starts the background refresh
    assert first_is_cached
    assert wait_for_requests(emulator, 2) == 2  # the refresh is in flight

    def child():
        start = time.monotonic()
        served = auth.token() == cached  # still valid: at once, not after the refresh
        waited = time.monotonic() - start
        # That call also started the child's own refresh: the parent's is not here.
        own_refresh = wait_for_requests(emulator, 3) >= 3
        fresh = token_until_new(auth, cached)
        return {"served": served, "waited": waited, "own_refresh": own_refresh,
                "new": fresh != cached, "valid": jwt_exp(fresh) - time.time() > 10}

    result = in_fork(child)
    assert result["served"] and result["waited"] < 0.5
    assert result["own_refresh"]
    assert result["new"] and result["valid"]
    # The parent's refresh lands as if nothing had happened.
    refreshed = token_until_new(auth, cached) != cached
    assert refreshed


def test_fork_while_the_first_fetch_is_in_flight(emulator):
    emulator.token_settings(delay_ms=1500)
    auth = https_auth(emulator)
    fetched = []
    thread = threading.Thread(target=lambda: fetched.append(auth.token()))
    thread.start()
    assert wait_for_requests(emulator, 1) == 1

    def child():
        # The thread fetching in the parent is not in the child, nor will it wake anyone:
        # the child fetches for itself.
        token = auth.token()
        return {"valid": jwt_exp(token) - time.time() > 10, "requests": own_requests(emulator)}

    result = in_fork(child)
    assert result["valid"] and result["requests"] == 2
    thread.join(10)
    assert len(fetched) == 1
    same = auth.token() == fetched[0]
    assert same


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's allocator is not fork-safe: a child forked while "
                           "another thread allocates can hang inside it")
def test_forks_while_threads_call_authenticate(emulator, iam):
    auth = iam(timeout=10)
    auth.token()
    stop = threading.Event()
    calls = [0] * 8
    errors = []

    def caller(i):
        request = {}
        while not stop.is_set():
            try:
                auth.authenticate(request)
            except iamcore.Error as e:
                errors.append(type(e).__name__)
            calls[i] += 1
            if i == 0 and calls[i] % 500 == 0:
                auth.invalidate()  # fetches with waiters happen around the forks too

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        for _ in range(20):
            time.sleep(0.02)
            valid = in_fork(lambda: jwt_exp(auth.token()) - time.time() > 10, timeout=15)
            assert valid
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert all(n > 0 for n in calls)
    assert errors == []


def _forked_process_target(auth, fetch_anew, conn):
    if fetch_anew:
        auth.invalidate()  # a fetch of the child's own, the parent's refresh still running
    token = auth.token()
    conn.send(jwt_exp(token) - time.time())
    conn.close()


def test_multiprocessing_fork_children_during_a_refresh(emulator):
    emulator.token_settings(**REFRESH_DUE)
    auth = https_auth(emulator)
    auth.token()
    emulator.token_settings(delay_ms=1500)
    auth.token()  # a refresh is in flight while the children start
    assert wait_for_requests(emulator, 2) == 2
    ctx = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for i in range(4):
        parent_end, child_end = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_forked_process_target, args=(auth, i % 2 == 1, child_end))
        p.start()
        pipes.append(parent_end)
        processes.append(p)
    for p in processes:
        p.join(20)
    alive = [p for p in processes if p.is_alive()]
    for p in alive:
        p.kill()
    assert not alive, "a forked process deadlocked"
    assert [p.exitcode for p in processes] == [0] * 4
    lives = [conn.recv() for conn in pipes if conn.poll(1)]
    assert len(lives) == 4 and all(left > 10 for left in lives)


def _spawned_process_target(apikey, url, ca_file, conn):
    # A spawned process starts from nothing: it makes its own authenticator.
    auth = iamcore.IAMAuthenticator(apikey, url=url, ca_file=ca_file, timeout=10)
    conn.send(jwt_exp(auth.token()) - time.time())
    conn.close()


def test_multiprocessing_spawn_children_during_a_refresh(emulator):
    emulator.token_settings(**REFRESH_DUE)
    auth = https_auth(emulator)
    auth.token()
    with pytest.raises(TypeError):
        pickle.dumps(auth)  # what a spawned process would need: refused, it holds credentials
    emulator.token_settings(delay_ms=500)
    auth.token()
    assert wait_for_requests(emulator, 2) == 2
    ctx = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for _ in range(2):
        parent_end, child_end = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_spawned_process_target,
                        args=(APIKEY, emulator.https, emulator.ca_file, child_end))
        p.start()
        pipes.append(parent_end)
        processes.append(p)
    for p in processes:
        p.join(60)
    alive = [p for p in processes if p.is_alive()]
    for p in alive:
        p.kill()
    assert not alive
    assert [p.exitcode for p in processes] == [0, 0]
    lives = [conn.recv() for conn in pipes if conn.poll(1)]
    # Tokens issued by the current settings: 100 s lifetime, issued 85 s ago.
    assert len(lives) == 2 and all(left > 10 for left in lives)
    assert own_requests(emulator) >= 4


def run_python(code, env_extra, timeout=30):
    """Run `code` in a new interpreter with the package under test; return
    (exit code, stderr, seconds taken)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), **env_extra)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, proc.stderr, time.monotonic() - start


CRASH_SIGNS = ("Fatal Python error", "Segmentation", "Traceback", "Sanitizer", "Aborted")

EXIT_DURING_FETCH = """
import os, sys, threading, time, urllib.request, json
import iamcore
auth = iamcore.IAMAuthenticator(os.environ["KEY"], url=os.environ["EMU"], timeout=30)
threading.Thread(target=auth.token, daemon=True).start()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    with opener.open(os.environ["EMU"] + "/_emulator/requests", timeout=5) as r:
        seen = json.loads(r.read())["requests"]
    if any(q["form"].get("apikey") == os.environ["KEY"] for q in seen):
        break
    time.sleep(0.02)
print("fetch in flight", flush=True)
sys.exit(0)
"""


def test_process_exit_with_a_fetch_in_flight(emulator):
    emulator.enqueue({"hang": True})  # the fetch never gets an answer
    code, stderr, took = run_python(EXIT_DURING_FETCH, {"EMU": emulator.http, "KEY": APIKEY})
    assert code == 0, stderr
    assert took < 10, "the exit waited for the fetch (its timeout is 30 s)"
    assert not any(sign in stderr for sign in CRASH_SIGNS), stderr
    assert own_requests(emulator) == 1


SHUTDOWN_DURING_REFRESH = """
import logging, os, sys, time
import iamcore
# Events on: the refresh thread calls into Python while the interpreter shuts down.
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
auth = iamcore.IAMAuthenticator(os.environ["KEY"], url=os.environ["EMU"],
                                ca_file=os.environ["CA"], timeout=30)
auth.token()
auth.token()  # due at once: a background refresh thread starts
if os.environ.get("DROP") == "1":
    del auth  # the refresh thread holds the last reference
"""


@pytest.mark.parametrize("delay_ms", [0, 20, 60, 150, 400, 3000])
def test_interpreter_shutdown_with_a_refresh_thread_alive(emulator, delay_ms):
    emulator.token_settings(**REFRESH_DUE)
    for drop in ("0", "1"):
        emulator.reset()
        emulator.token_settings(**REFRESH_DUE)
        # The refresh's answer lands before, during or after the shutdown.
        emulator.enqueue({"token": True}, {"token": True, "delay_ms": delay_ms})
        code, stderr, took = run_python(SHUTDOWN_DURING_REFRESH,
                                        {"EMU": emulator.https, "CA": emulator.ca_file,
                                         "DROP": drop, "KEY": APIKEY})
        assert code == 0, stderr
        assert took < 10
        assert not any(sign in stderr for sign in CRASH_SIGNS), stderr
        assert wait_for_requests(emulator, 2) == 2
