"""What the in-process benchmarks of iamcore (inproc.py) and of the peers
(peer_inproc.py) share: the RDS case and the cached authenticate() loop, so that
both sides are timed the same way."""

import time

# Also in loops.js and c/rds_token_bench.c.
RDS_HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
RDS_PREFIX = RDS_HOST + ":5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def per_call_ns(auth, loops, repeats):
    """ns per cached auth.authenticate(req), one figure per repeat."""
    req = {"headers": {}}
    auth.authenticate(req)  # first call fetches the token; the rest hit the cache
    for _ in range(loops // 10):  # warm-up
        auth.authenticate(req)
    results = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(loops):
            auth.authenticate(req)
        results.append((time.perf_counter_ns() - start) / loops)
    if not req["headers"]["Authorization"].startswith("Bearer "):
        raise SystemExit("authenticate() did not set the Authorization header")
    return results


def check_rds(token, what):
    if not (token.startswith(RDS_PREFIX) and "&X-Amz-Signature=" in token):
        raise SystemExit(f"{what} did not return an RDS token")
