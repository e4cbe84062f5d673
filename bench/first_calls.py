"""Concurrent first calls, Python: CALLERS threads call authenticate() at once on an
authenticator that has no token yet, against an emulator that answers after DELAY_MS.

Started by bench/run.py in a clean environment:

    python3 bench/first_calls.py IMPL URL ROUNDS

IMPL: iamcore, peer (ibm_cloud_sdk_core), or floor: the threads sleep DELAY_MS instead
of calling an authenticator, which measures the harness itself (thread wake-ups and the
GIL hand-offs when they all return).

Each round resets the emulator, sets its token delay, builds a new IAM authenticator,
starts the threads (they wait on a barrier), releases them and times until the last
one has returned (every request must carry a Bearer header), then reads how many token
requests the emulator received. One warm-up round first (not reported: it loads
libcurl, or the peer's lazy imports). Prints one JSON line:
    {"wall_ms": [...], "requests": [...]}   one value per round
"""

import json
import sys
import threading
import time
import urllib.request

CALLERS = 100
DELAY_MS = 50


def control(url, method, name, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/_emulator/{name}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


class Sleeper:
    """floor: what the threads would cost around a token service that answers at once."""

    def authenticate(self, req):
        time.sleep(DELAY_MS / 1000)
        req["headers"]["Authorization"] = "Bearer none"


def authenticator(impl, url):
    if impl == "floor":
        return Sleeper()
    if impl == "iamcore":
        import iamcore
        return iamcore.IAMAuthenticator("bench-key", url=url, timeout=10)
    from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
    return IAMAuthenticator("bench-key", url=url)


def one_round(impl, url):
    control(url, "POST", "reset", {})
    control(url, "POST", "token-settings", {"delay_ms": DELAY_MS})
    auth = authenticator(impl, url)
    barrier = threading.Barrier(CALLERS + 1)
    requests = [{"headers": {}} for _ in range(CALLERS)]
    failures = []

    def call(req):
        barrier.wait()
        try:
            auth.authenticate(req)
        except Exception as exc:  # reported below, the run stops
            failures.append(exc)

    threads = [threading.Thread(target=call, args=(req,)) for req in requests]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall_ms = (time.perf_counter() - start) * 1000.0
    if failures:
        raise SystemExit(f"authenticate() failed: {failures[0]!r}")
    if not all(r["headers"].get("Authorization", "").startswith("Bearer ") for r in requests):
        raise SystemExit("authenticate() did not set the Authorization header")
    return wall_ms, control(url, "GET", "requests")["count"]


def main():
    impl, url, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if impl not in ("iamcore", "peer", "floor"):
        raise SystemExit("IMPL is iamcore, peer or floor")
    one_round(impl, url)  # warm-up
    walls, counts = [], []
    for _ in range(rounds):
        wall_ms, count = one_round(impl, url)
        walls.append(wall_ms)
        counts.append(count)
    control(url, "POST", "reset", {})
    print(json.dumps({"wall_ms": walls, "requests": counts}))


if __name__ == "__main__":
    main()
