"""A Code Engine job that calls an IBM Cloud API as a trusted profile: no API key anywhere.

    ibmcloud ce job create --name nightly-report --image REGISTRY/NAMESPACE/report:latest \\
        --trusted-profiles-enabled=true \\
        --env TRUSTED_PROFILE_NAME=report-writer \\
        --env SERVICE_URL=https://resource-controller.cloud.ibm.com/v2/resource_instances
    ibmcloud ce jobrun submit --job nightly-report --array-indices 0-3

With --trusted-profiles-enabled, Code Engine mounts a compute-resource token at
/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token; iamcore finds it
there and re-reads it at every token request (the platform rotates it). The trusted profile
must trust this Code Engine project as a compute resource and have access to the service.

Environment:
    TRUSTED_PROFILE_NAME   the trusted profile (required)
    SERVICE_URL            the URL to GET (required)
    CR_TOKEN_FILENAME      the compute-resource token file (default: the platform's paths)
    IAM_URL, IAM_CA_FILE   another IAM endpoint and a PEM bundle to trust (optional)
    JOB_INDEX              set by Code Engine for each instance of an array job

Exit status 0 when the call succeeded; 1 otherwise, with the reason on stderr.
"""
import json
import os
import sys
import urllib.error
import urllib.request

import iamcore


def run():
    auth = iamcore.ContainerAuthenticator(
        iam_profile_name=os.environ.get("TRUSTED_PROFILE_NAME"),
        cr_token_filename=os.environ.get("CR_TOKEN_FILENAME"),  # None: the platform's files
        url=os.environ.get("IAM_URL"),
        ca_file=os.environ.get("IAM_CA_FILE"),
    )
    url = os.environ["SERVICE_URL"]
    request = {"method": "GET", "url": url, "headers": {"Accept": "application/json"}}
    auth.authenticate(request)  # adds "Authorization: Bearer <token>"
    http_request = urllib.request.Request(url, headers=request["headers"])
    with urllib.request.urlopen(http_request, timeout=30) as response:
        body = json.loads(response.read() or b"null")
    items = len(body) if isinstance(body, (list, dict)) else 1
    print(f"job index {os.environ.get('JOB_INDEX', '-')}: GET {url}: "
          f"HTTP {response.status}, {items} items")


def main():
    if not os.environ.get("SERVICE_URL"):
        print("SERVICE_URL is not set", file=sys.stderr)
        return 1
    try:
        run()
    except iamcore.Error as err:
        # Names the option, or every token file tried and why; never a token.
        print(f"IAM: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except urllib.error.HTTPError as err:
        print(f"the service answered HTTP {err.code}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as err:
        print(f"the service could not be reached: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
