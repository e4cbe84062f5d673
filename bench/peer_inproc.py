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
from loops import ACCESS_KEY_ID, RDS_HOST, SECRET_ACCESS_KEY, check_rds, per_call_ns

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
    check_rds(token, "generate_db_auth_token()")
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
