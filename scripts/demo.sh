#!/usr/bin/env bash
# The demo: starts the local IAM emulator (HTTPS with a throw-away test CA) and
# gets tokens from it with both authenticators in Python, Node and C; then signs
# an RDS token with AWS credentials from the emulator's STS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log=$(mktemp)
echo "building (log: $log) …"
scripts/build.sh >"$log" 2>&1 || { cat "$log"; exit 1; }

work=$(mktemp -d)
trap 'exec {EMU[1]}>&- 2>/dev/null; rm -rf "$work"' EXIT
coproc EMU { exec python3 tests/emulator/iam_emulator.py --exit-on-stdin-eof; }
read -r line <&"${EMU[0]}"
field() { python3 -c 'import json,sys;print(json.loads(sys.argv[1])[sys.argv[2]])' "$line" "$1"; }

# What a Code Engine job with a trusted profile sees: a mounted token file.
echo "demo-compute-resource-token" > "$work/cr-token"
export IBMCLOUD_API_KEY=demo-api-key
export TRUSTED_PROFILE_NAME=demo-profile
export CR_TOKEN_FILENAME="$work/cr-token"
export IAM_URL=$(field https)
export IAM_CA_FILE=$(field ca_file)
echo "local IAM emulator at $IAM_URL (test CA $IAM_CA_FILE)"
echo

# Make `require('iamcore')` find this checkout, as after `npm install iamcore`.
mkdir -p "$work/node_path" && ln -s "$root" "$work/node_path/iamcore"
PYTHONPATH="$root/python" python3 examples/python/quickstart.py
NODE_PATH="$work/node_path" node examples/node/quickstart.js
build/c/get_token "$IAM_URL" "$IAM_CA_FILE"
echo

# AWS: an RDS token signed with credentials from the emulator's STS, as an EKS pod
# with a web identity token would get them. Nothing reaches AWS or ~/.aws.
echo "demo-oidc-token" > "$work/oidc-token"
(
    export AWS_WEB_IDENTITY_TOKEN_FILE="$work/oidc-token"
    export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/demo
    export AWS_ENDPOINT_URL_STS=$(field http)
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    export AWS_EC2_METADATA_DISABLED=true
    db=mydb.abc123.eu-central-1.rds.amazonaws.com
    PYTHONPATH="$root/python" python3 examples/python/rds_token.py "$db" 5432 app_user
    NODE_PATH="$work/node_path" node examples/node/rds_token.js "$db" 5432 app_user
)
