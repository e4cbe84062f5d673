"""AWS: SigV4 signing, database auth tokens and credentials, over iamcore's C core.

Everything AWS in one place (the token functions and RDSAuthenticator are also
on the ``iamcore`` package itself)::

    from iamcore import aws

    # Amazon RDS / Aurora: the password, as boto3's generate_db_auth_token
    pw = aws.generate_db_auth_token("mydb.abc123.eu-de-1.rds.amazonaws.com", 5432, "app_user")
    rds = aws.RDSAuthenticator(hostname, 5432, "app_user")     # cached, thread-safe
    rds.token(); rds.invalidate()

    aws.generate_dsql_auth_token("<id>.dsql.us-east-1.on.aws", admin=True)
    aws.generate_elasticache_auth_token("my-cache", "my-user", "us-east-1")

    # Any AWS API: the headers to add, or a presigned URL
    extra = aws.sign_request("GET", url, {"Accept": "application/json"},
                             service="execute-api", region="us-east-1")
    link = aws.presign_url("GET", url, service="s3", region="eu-west-1", expires=300,
                           payload_hash="UNSIGNED-PAYLOAD", normalize_path=False,
                           double_encode_path=False)

    creds = aws.resolve_credentials()      # run the chain once: creds.source == "env", ...
    aws.Credentials("AKIA...", secret, session_token=None, expiration=None)

Credentials: ``credentials=`` takes a :class:`Credentials`; without it (and
without ``profile=``) one process-wide provider runs the default chain at the
first use — environment, web identity, the shared config and credentials files
(static keys, ``credential_process``, ``role_arn`` + ``web_identity_token_file``),
the container endpoint, EC2 instance metadata — and caches the result,
refreshing temporary credentials 15 minutes before they expire (in the
background) or within 5 minutes of expiry (in the foreground). ``profile=``
names a profile for the chain (which then skips the environment variables) and
for the region; its provider is shared too.

Region (when not given): ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's
``region``, then the region an RDS or DSQL host name carries
(:func:`resolve_region`).

Timestamps are ``datetime.datetime`` objects (naive = UTC) or None for now.

Deliberate differences from botocore: an empty session token is never sent
(botocore sends ``X-Amz-Security-Token=``, which RDS Proxy rejects), and a
token or presigned URL never outlives the credentials that signed it
(``X-Amz-Expires`` is capped at their remaining lifetime).

Errors are :class:`iamcore.Error` subclasses: ConfigError for bad arguments,
no region, no credentials (the message names what each source lacked), a
missing named profile or expired credentials; AuthenticationError,
TimeoutError, TransportError, ParseError, TokenFileError when a credential
source fails. Messages never contain a secret.
"""

from . import RDSAuthenticator
from ._native import (
    Credentials,
    generate_db_auth_token,
    generate_dsql_auth_token,
    generate_elasticache_auth_token,
    presign_url,
    resolve_credentials,
    resolve_region,
    sign_request,
)

__all__ = [
    "Credentials",
    "RDSAuthenticator",
    "generate_db_auth_token",
    "generate_dsql_auth_token",
    "generate_elasticache_auth_token",
    "presign_url",
    "resolve_credentials",
    "resolve_region",
    "sign_request",
]
