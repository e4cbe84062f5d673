// An IBM Cloud Functions action (Node.js) that calls an IBM Cloud service with an IAM token.
//
//   ibmcloud fn action create list-dbs action.zip --kind nodejs:20 \
//       --param service_url https://ACCOUNT.cloudantnosqldb.appdomain.cloud/_all_dbs
//   ibmcloud fn service bind cloudantnosqldb list-dbs    # puts the API key in __bx_creds
//   ibmcloud fn action invoke list-dbs --result
//
// The runtime has no iamcore: `scripts/action-zip.sh node cloud_function.js action.zip` zips
// this file as index.js (the "main" of a package.json) with node_modules/iamcore and its
// prebuilt linux-x64 addon (docs/serverless.md).
//
// Parameters (and the environment variables read when a parameter is absent):
//   service_url   the URL to GET (required)
//   apikey        an IBM Cloud API key; without it, the API key of the first bound
//                 service (__bx_creds), else IBMCLOUD_API_KEY
//   iam_url       the IAM token service (IAM_URL); default https://iam.cloud.ibm.com
//                 (https://private.iam.cloud.ibm.com over a private network)
//   iam_ca_file   a PEM bundle to trust for IAM instead of the system's CAs (IAM_CA_FILE)
//
// The result is { status, body } (the service's HTTP status and JSON answer), or
// { error: '...' }, which marks the activation as failed. A warm container keeps this module
// loaded, so the authenticator and its token outlive one invocation: IAM is asked again only
// when the token nears its end, not at every call.
'use strict';
const crypto = require('node:crypto');
const { IamAuthenticator, IamcoreError } = require('iamcore');

// One authenticator per (API key, IAM URL, CA file), for every invocation this container
// serves. Keyed by a digest, so this map holds no copy of the API key.
const authenticators = new Map();

function apikeyOf(params) {
  if (params.apikey) return params.apikey;
  for (const credentials of Object.values(params.__bx_creds || {})) {
    if (credentials && credentials.apikey) return credentials.apikey;
  }
  return process.env.IBMCLOUD_API_KEY || undefined;
}

function authenticatorFor(apikey, url, caFile) {
  const key = crypto.createHash('sha256').update([apikey, url || '', caFile || ''].join('\n')).digest('hex');
  let auth = authenticators.get(key);
  if (!auth) {
    auth = new IamAuthenticator({ apikey, url, caFile });
    authenticators.set(key, auth);
  }
  return auth;
}

async function get(auth, url) {
  const requestOptions = { method: 'GET', url, headers: { Accept: 'application/json' } };
  await auth.authenticate(requestOptions); // adds "Authorization: Bearer <token>"
  return fetch(url, { headers: requestOptions.headers, signal: AbortSignal.timeout(30000) });
}

async function main(params) {
  const url = params.service_url;
  if (!url) return { error: 'missing parameter: service_url' };
  const apikey = apikeyOf(params);
  if (!apikey) return { error: 'no API key: pass the apikey parameter, bind a service or set IBMCLOUD_API_KEY' };
  const iamUrl = params.iam_url || process.env.IAM_URL || undefined;
  const caFile = params.iam_ca_file || process.env.IAM_CA_FILE || undefined;
  try {
    const auth = authenticatorFor(apikey, iamUrl, caFile);
    let response = await get(auth, url);
    if (response.status === 401) {
      // The service refused the token (revoked, or the key's access changed):
      // drop it and try once more with a new one.
      auth.invalidate();
      response = await get(auth, url);
    }
    if (!response.ok) return { error: `${url} answered HTTP ${response.status}` };
    return { status: response.status, body: await response.json() };
  } catch (err) {
    // iamcore's messages never contain the API key or a token.
    if (err instanceof IamcoreError) return { error: `IAM: ${err.code}: ${err.message}` };
    return { error: `${url}: ${err.message}` };
  }
}

exports.main = main;
