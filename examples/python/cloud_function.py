"""An IBM Cloud Functions action (Python) that calls an IBM Cloud service with an IAM token.

    ibmcloud fn action create list-dbs action.zip --kind python:3.11 \\
        --param service_url https://ACCOUNT.cloudantnosqldb.appdomain.cloud/_all_dbs
    ibmcloud fn service bind cloudantnosqldb list-dbs    # puts the API key in __bx_creds
    ibmcloud fn action invoke list-dbs --result

The runtime has no iamcore: `scripts/action-zip.sh python cloud_function.py action.zip` zips
this file as __main__.py with the manylinux wheel of iamcore unpacked beside it
(docs/serverless.md).

Parameters (and the environment variables read when a parameter is absent):
    service_url   the URL to GET (required)
    apikey        an IBM Cloud API key; without it, the API key of the first bound
                  service (__bx_creds), else IBMCLOUD_API_KEY
    iam_url       the IAM token service (IAM_URL); default https://iam.cloud.ibm.com
                  (https://private.iam.cloud.ibm.com over a private network)
    iam_ca_file   a PEM bundle to trust for IAM instead of the system's CAs (IAM_CA_FILE)

The result is {"status": <HTTP status>, "body": <the JSON answer>}, or {"error": "..."},
which marks the activation as failed. A warm container keeps this module loaded, so the
authenticator and its token outlive one invocation: IAM is asked again only when the token
nears its end, not at every call.
"""
import hashlib
import json
import os
import urllib.error
import urllib.request

import iamcore

# One authenticator per (API key, IAM URL, CA file), for every invocation this container
# serves. Keyed by a digest, so this dictionary holds no copy of the API key.
_authenticators = {}


def _apikey(params):
    if params.get("apikey"):
        return params["apikey"]
    for credentials in (params.get("__bx_creds") or {}).values():
        if isinstance(credentials, dict) and credentials.get("apikey"):
            return credentials["apikey"]
    return os.environ.get("IBMCLOUD_API_KEY") or None


def _authenticator(apikey, iam_url, ca_file):
    key = hashlib.sha256("\n".join([apikey, iam_url or "", ca_file or ""]).encode()).hexdigest()
    if key not in _authenticators:
        _authenticators[key] = iamcore.IAMAuthenticator(apikey, url=iam_url, ca_file=ca_file)
    return _authenticators[key]


def _get(auth, url):
    request = {"method": "GET", "url": url, "headers": {"Accept": "application/json"}}
    auth.authenticate(request)  # adds "Authorization: Bearer <token>"
    http_request = urllib.request.Request(url, headers=request["headers"])
    with urllib.request.urlopen(http_request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def main(params):
    url = params.get("service_url")
    if not url:
        return {"error": "missing parameter: service_url"}
    apikey = _apikey(params)
    if not apikey:
        return {"error": "no API key: pass the apikey parameter, bind a service "
                         "or set IBMCLOUD_API_KEY"}
    iam_url = params.get("iam_url") or os.environ.get("IAM_URL")
    ca_file = params.get("iam_ca_file") or os.environ.get("IAM_CA_FILE")
    try:
        auth = _authenticator(apikey, iam_url, ca_file)
        try:
            status, body = _get(auth, url)
        except urllib.error.HTTPError as err:
            if err.code != 401:
                raise
            # The service refused the token (revoked, or the key's access changed):
            # drop it and try once more with a new one.
            auth.invalidate()
            status, body = _get(auth, url)
        return {"status": status, "body": body}
    except iamcore.Error as err:
        # iamcore's messages never contain the API key or a token.
        return {"error": f"IAM: {type(err).__name__}: {err}"}
    except urllib.error.HTTPError as err:
        return {"error": f"{url} answered HTTP {err.code}"}
    except (urllib.error.URLError, OSError, ValueError) as err:
        return {"error": f"{url}: {err}"}
