"""Get IBM Cloud IAM access tokens with iamcore from Python.

    IBMCLOUD_API_KEY=...  python3 quickstart.py
    TRUSTED_PROFILE_NAME=my-profile  python3 quickstart.py    # Code Engine, Kubernetes

Optional: IAM_URL (default https://iam.cloud.ibm.com), IAM_CA_FILE (a PEM bundle to trust),
CR_TOKEN_FILENAME (default: the platform's compute-resource token files).
"""
import os

import iamcore


def shorten(token):
    # A token is a credential: never print or log it whole.
    return f"{token[:12]}… ({len(token)} chars)"


options = {"url": os.environ.get("IAM_URL"), "ca_file": os.environ.get("IAM_CA_FILE")}

if os.environ.get("IBMCLOUD_API_KEY"):
    auth = iamcore.IAMAuthenticator(os.environ["IBMCLOUD_API_KEY"], **options)
    request = {"method": "GET", "url": "https://example.cloud.ibm.com/v1/things", "headers": {}}
    auth.authenticate(request)  # adds the Authorization header
    kind, token = request["headers"]["Authorization"].split(" ", 1)
    print(f"Python, API key:         Authorization: {kind} {shorten(token)}")

if os.environ.get("TRUSTED_PROFILE_NAME"):
    auth = iamcore.ContainerAuthenticator(
        iam_profile_name=os.environ["TRUSTED_PROFILE_NAME"],
        cr_token_filename=os.environ.get("CR_TOKEN_FILENAME"),
        **options,
    )
    print(f"Python, trusted profile: token {shorten(auth.token())}")
