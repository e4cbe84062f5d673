"""One process of the shared-cache tests (test_shared_cache.py): an
IAMAuthenticator on a shared cache directory, driven by lines on stdin.

    python3 shared_cache_worker.py URL APIKEY DIR

Prints "ready", then answers each command with one JSON line:
    token        {"token": digest}: token() (digest = first 16 hex of SHA-256,
                 never the token itself)
    new DIGEST   {"token": digest}: calls token() until its digest differs from
                 DIGEST (a background refresh landed), at most 10 s
The Node twin is tests/node/fixtures/shared-cache-worker.js.
"""

import hashlib
import json
import os
import sys
import time

# The package the suite tests (conftest.py): another build, or the one in python/.
sys.path.insert(0, os.environ.get("IAMCORE_TEST_PACKAGE_DIR")
                or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import iamcore  # noqa: E402


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def main():
    url, apikey, directory = sys.argv[1:4]
    auth = iamcore.IAMAuthenticator(apikey, url=url, shared_cache=directory, timeout=10)
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.split()
        try:
            if command[0] == "token":
                answer = {"token": digest(auth.token())}
            elif command[0] == "new":
                deadline = time.monotonic() + 10
                current = digest(auth.token())
                while current == command[1] and time.monotonic() < deadline:
                    time.sleep(0.02)
                    current = digest(auth.token())
                answer = {"token": current}
            else:
                break
        except iamcore.Error as e:
            answer = {"error": type(e).__name__}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
