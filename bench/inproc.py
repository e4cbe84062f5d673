"""In-process part of the benchmark for Python: ns per cached authenticate() call.

Started by bench/run.py in a clean environment (PYTHONPATH=<repo>/python):

    python3 bench/inproc.py URL CR_TOKEN_FILE LOOPS REPEATS

Prints one JSON line {"iam": [ns per call, ...], "container": [...]}, one value per repeat.
"""

import json
import sys
import time

import iamcore


def per_call_ns(auth, loops, repeats):
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


def main():
    url, token_file, loops, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    iam = iamcore.IAMAuthenticator("bench-key", url=url, timeout=10)
    container = iamcore.ContainerAuthenticator(
        iam_profile_name="bench-profile", cr_token_filename=token_file, url=url, timeout=10
    )
    print(json.dumps({
        "iam": per_call_ns(iam, loops, repeats),
        "container": per_call_ns(container, loops, repeats),
    }))


if __name__ == "__main__":
    main()
