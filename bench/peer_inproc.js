'use strict';
// In-process part of the benchmark for the Node peers: ns per call.
//
// Started by bench/run.py in a clean environment, with the same arguments as inproc.js:
//
//   node bench/peer_inproc.js REPO URL CR_TOKEN_FILE LOOPS REPEATS RDS_LOOPS
//
// Prints one JSON line, one value (ns per call) per repeat in each list:
//   iam_sync, iam_await, container_sync, container_await
//       ibm-cloud-sdk-core IamAuthenticator / ContainerAuthenticator, cached
//       auth.authenticate(opts), LOOPS calls per repeat
//   rds_sync, rds_await
//       @aws-sdk/rds-signer signer.getAuthToken() with explicit credentials (it
//       signs every call: it has no cache), RDS_LOOPS calls per repeat
// sync:  p = f() in a loop without awaiting, then await the last p
// await: await f() in a loop

const path = require('path');

const [repo, url, tokenFile, loopsArg, repeatsArg, rdsLoopsArg] = process.argv.slice(2);
const modules = path.join(repo, 'node_modules');
const { IamAuthenticator, ContainerAuthenticator } = require(path.join(modules, 'ibm-cloud-sdk-core'));
const { Signer } = require(path.join(modules, '@aws-sdk', 'rds-signer'));
const { rdsOpts, measure, signerSync, signerAwait, measureRds } = require('./loops.js');
const loops = Number(loopsArg);
const repeats = Number(repeatsArg);
const rdsLoops = Number(rdsLoopsArg);

(async () => {
  const iam = await measure(new IamAuthenticator({ apikey: 'bench-key', url }), loops, repeats);
  const container = await measure(
    new ContainerAuthenticator({ iamProfileName: 'bench-profile', crTokenFilename: tokenFile, url }),
    loops,
    repeats,
  );
  const rds = await measureRds(signerSync, signerAwait, new Signer(rdsOpts), rdsLoops, repeats,
    'getAuthToken()');
  console.log(JSON.stringify({
    iam_sync: iam.sync,
    iam_await: iam.awaited,
    container_sync: container.sync,
    container_await: container.awaited,
    rds_sync: rds.sync,
    rds_await: rds.awaited,
  }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
