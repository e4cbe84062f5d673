// A Code Engine job that calls an IBM Cloud API as a trusted profile: no API key anywhere.
//
//   ibmcloud ce job create --name nightly-report --image REGISTRY/NAMESPACE/report:latest \
//       --trusted-profiles-enabled=true \
//       --env TRUSTED_PROFILE_NAME=report-writer \
//       --env SERVICE_URL=https://resource-controller.cloud.ibm.com/v2/resource_instances
//   ibmcloud ce jobrun submit --job nightly-report --array-indices 0-3
//
// With --trusted-profiles-enabled, Code Engine mounts a compute-resource token at
// /var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token; iamcore finds it
// there and re-reads it at every token request (the platform rotates it). The trusted profile
// must trust this Code Engine project as a compute resource and have access to the service.
//
// Environment:
//   TRUSTED_PROFILE_NAME   the trusted profile (required)
//   SERVICE_URL            the URL to GET (required)
//   CR_TOKEN_FILENAME      the compute-resource token file (default: the platform's paths)
//   IAM_URL, IAM_CA_FILE   another IAM endpoint and a PEM bundle to trust (optional)
//   JOB_INDEX              set by Code Engine for each instance of an array job
//
// Exit status 0 when the call succeeded; 1 otherwise, with the reason on stderr.
'use strict';
const { ContainerAuthenticator, IamcoreError } = require('iamcore');

async function run() {
  const auth = new ContainerAuthenticator({
    iamProfileName: process.env.TRUSTED_PROFILE_NAME,
    crTokenFilename: process.env.CR_TOKEN_FILENAME, // undefined: the platform's files
    url: process.env.IAM_URL,
    caFile: process.env.IAM_CA_FILE,
  });
  const url = process.env.SERVICE_URL;
  const requestOptions = { method: 'GET', url, headers: { Accept: 'application/json' } };
  await auth.authenticate(requestOptions); // adds "Authorization: Bearer <token>"
  const response = await fetch(url, { headers: requestOptions.headers, signal: AbortSignal.timeout(30000) });
  if (!response.ok) throw new Error(`the service answered HTTP ${response.status}`);
  const body = await response.json();
  const items = Array.isArray(body) ? body.length : body && typeof body === 'object' ? Object.keys(body).length : 1;
  console.log(`job index ${process.env.JOB_INDEX || '-'}: GET ${url}: HTTP ${response.status}, ${items} items`);
}

async function main() {
  if (!process.env.SERVICE_URL) throw new Error('SERVICE_URL is not set');
  await run();
}

main().catch((err) => {
  // An IamcoreError names the option, or every token file tried and why; never a token.
  if (err instanceof IamcoreError) console.error(`IAM: ${err.code}: ${err.message}`);
  else console.error(err.cause ? `${err.message}: ${err.cause.message}` : err.message);
  process.exitCode = 1;
});
