"""An Amazon RDS IAM auth token (the database password) with iamcore, from Python.

    python3 rds_token.py mydb.abc123.eu-central-1.rds.amazonaws.com 5432 app_user

Credentials and region come from the usual AWS sources (environment, web identity,
~/.aws profiles, container, EC2 instance metadata); the region also from the host name.
"""
import sys

import iamcore

host, port, user = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rds = iamcore.RDSAuthenticator(host, port, user)  # cached for 870 s, refreshed in the background
token = rds.token()
# A token is a credential: never print or log it whole.
print(f"Python, RDS token:       {token[:token.index('?') + 1]}… ({len(token)} chars, region {rds.region})")
