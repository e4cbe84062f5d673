"""In-process part of the benchmark for the Python peers: ns per call.

Started by bench/run.py in a clean environment, with the same arguments as inproc.py:

    python3 bench/peer_inproc.py URL CR_TOKEN_FILE LOOPS REPEATS RDS_LOOPS

Prints one JSON line, one value (ns per call) per repeat in each list:
    "iam", "container"   ibm_cloud_sdk_core IAMAuthenticator / ContainerAuthenticator,
                         cached authenticate(req), LOOPS calls per repeat
    "rds"                boto3 RDS client generate_db_auth_token() with explicit
                         credentials (botocore signs every call: it has no cache),
                         RDS_LOOPS calls per repeat
"""

import json
import sys
import time

import boto3
from ibm_cloud_sdk_core.authenticators import ContainerAuthenticator, IAMAuthenticator

# Also in inproc.py.
RDS_HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
RDS_PREFIX = RDS_HOST + ":5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


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


def rds_ns(loops, repeats):
    client = boto3.client("rds", region_name="us-east-1", aws_access_key_id=ACCESS_KEY_ID,
                          aws_secret_access_key=SECRET_ACCESS_KEY)
    sign = client.generate_db_auth_token
    token = sign(RDS_HOST, 5432, "app_user")
    for _ in range(loops // 10):  # warm-up
        sign(RDS_HOST, 5432, "app_user")
    results = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(loops):
            token = client.generate_db_auth_token(RDS_HOST, 5432, "app_user")
        results.append((time.perf_counter_ns() - start) / loops)
    if not (token.startswith(RDS_PREFIX) and "&X-Amz-Signature=" in token):
        raise SystemExit("generate_db_auth_token() did not return an RDS token")
    return results


def main():
    url, token_file = sys.argv[1], sys.argv[2]
    loops, repeats, rds_loops = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    iam = IAMAuthenticator("bench-key", url=url)
    container = ContainerAuthenticator(cr_token_filename=token_file, iam_profile_name="bench-profile", url=url)
    print(json.dumps({
        "iam": per_call_ns(iam, loops, repeats),
        "container": per_call_ns(container, loops, repeats),
        "rds": rds_ns(rds_loops, repeats),
    }))


if __name__ == "__main__":
    main()
