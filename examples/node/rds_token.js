// An Amazon RDS IAM auth token (the database password) with iamcore, from Node.
//
//   node rds_token.js mydb.abc123.eu-central-1.rds.amazonaws.com 5432 app_user
//
// Credentials and region come from the usual AWS sources (environment, web identity,
// ~/.aws profiles, container, EC2 instance metadata); the region also from the host name.
'use strict';
const { RdsSigner } = require('iamcore');

async function main() {
  const [hostname, port, username] = process.argv.slice(2);
  const signer = new RdsSigner({ hostname, port: Number(port), username });
  const token = await signer.getAuthToken();
  // A token is a credential: never print or log it whole.
  console.log(`Node, RDS token:         ${token.slice(0, token.indexOf('?') + 1)}… (${token.length} chars)`);
}

main().catch((err) => {
  console.error(`${err.code}: ${err.message}`);
  process.exitCode = 1;
});
