"""In-process part of the benchmark for Python: ns per call.

Started by bench/run.py in a clean environment (PYTHONPATH=<repo>/python):

    python3 bench/inproc.py URL CR_TOKEN_FILE LOOPS REPEATS RDS_LOOPS

Prints one JSON line, one value (ns per call) per repeat in each list:
    "iam", "container"   cached authenticate(req), LOOPS calls per repeat
    "rds_cached"         cached RDSAuthenticator.token(), LOOPS calls per repeat
    "rds_uncached"       iamcore.generate_db_auth_token(..., credentials=creds) (signs
                         every time), RDS_LOOPS calls per repeat
"""

import json
import sys
import time

import iamcore
from iamcore import aws
from loops import ACCESS_KEY_ID, RDS_HOST, SECRET_ACCESS_KEY, check_rds, per_call_ns

def rds_uncached_ns(creds, loops, repeats):
    # As a caller writes it: module attribute lookup and keyword argument every call.
    check_rds(iamcore.generate_db_auth_token(RDS_HOST, 5432, "app_user", "us-east-1", credentials=creds),
              "generate_db_auth_token()")
    for _ in range(loops // 10):  # warm-up
        iamcore.generate_db_auth_token(RDS_HOST, 5432, "app_user", "us-east-1", credentials=creds)
    results = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(loops):
            token = iamcore.generate_db_auth_token(RDS_HOST, 5432, "app_user", "us-east-1", credentials=creds)
        results.append((time.perf_counter_ns() - start) / loops)
    check_rds(token, "generate_db_auth_token()")
    return results


def rds_cached_ns(creds, loops, repeats):
    rds = iamcore.RDSAuthenticator(RDS_HOST, 5432, "app_user", "us-east-1", credentials=creds)
    check_rds(rds.token(), "RDSAuthenticator.token()")  # signs; the rest hit the cache
    for _ in range(loops // 10):  # warm-up
        rds.token()
    results = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(loops):
            token = rds.token()
        results.append((time.perf_counter_ns() - start) / loops)
    check_rds(token, "RDSAuthenticator.token()")
    return results


def main():
    url, token_file = sys.argv[1], sys.argv[2]
    loops, repeats, rds_loops = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    iam = iamcore.IAMAuthenticator("bench-key", url=url, timeout=10)
    container = iamcore.ContainerAuthenticator(
        iam_profile_name="bench-profile", cr_token_filename=token_file, url=url, timeout=10
    )
    creds = aws.Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    print(json.dumps({
        "iam": per_call_ns(iam, loops, repeats),
        "container": per_call_ns(container, loops, repeats),
        "rds_cached": rds_cached_ns(creds, loops, repeats),
        "rds_uncached": rds_uncached_ns(creds, rds_loops, repeats),
    }))


if __name__ == "__main__":
    main()
