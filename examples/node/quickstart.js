// Get IBM Cloud IAM access tokens with iamcore from Node.
//
//   IBMCLOUD_API_KEY=...  node quickstart.js
//   TRUSTED_PROFILE_NAME=my-profile  node quickstart.js    # Code Engine, Kubernetes
//
// Optional: IAM_URL (default https://iam.cloud.ibm.com), IAM_CA_FILE (a PEM bundle to trust),
// CR_TOKEN_FILENAME (default: the platform's compute-resource token files).
'use strict';
const { IamAuthenticator, ContainerAuthenticator } = require('iamcore');

// A token is a credential: never print or log it whole.
const shorten = (token) => `${token.slice(0, 12)}… (${token.length} chars)`;

async function main() {
  const options = { url: process.env.IAM_URL, caFile: process.env.IAM_CA_FILE };

  if (process.env.IBMCLOUD_API_KEY) {
    const auth = new IamAuthenticator({ apikey: process.env.IBMCLOUD_API_KEY, ...options });
    const requestOptions = { method: 'GET', url: 'https://example.cloud.ibm.com/v1/things' };
    await auth.authenticate(requestOptions); // adds the Authorization header
    const [kind, token] = requestOptions.headers.Authorization.split(' ');
    console.log(`Node, API key:           Authorization: ${kind} ${shorten(token)}`);
  }

  if (process.env.TRUSTED_PROFILE_NAME) {
    const auth = new ContainerAuthenticator({
      iamProfileName: process.env.TRUSTED_PROFILE_NAME,
      crTokenFilename: process.env.CR_TOKEN_FILENAME,
      ...options,
    });
    console.log(`Node, trusted profile:   token ${shorten(await auth.getToken())}`);
  }
}

main().catch((err) => {
  console.error(`${err.code}: ${err.message}`);
  process.exitCode = 1;
});
