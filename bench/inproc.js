'use strict';
// In-process part of the benchmark for Node: ns per call.
//
// Started by bench/run.py in a clean environment:
//
//   node bench/inproc.js REPO URL CR_TOKEN_FILE LOOPS REPEATS RDS_LOOPS
//
// Prints one JSON line, one value (ns per call) per repeat in each list:
//   iam_sync, iam_await, container_sync, container_await
//       cached auth.authenticate(opts), LOOPS calls per repeat
//   rds_cached_sync, rds_cached_await
//       cached signer.getAuthToken() (RdsSigner), LOOPS calls per repeat
//   rds_uncached_sync, rds_uncached_await
//       aws.generateDbAuthToken(rdsOpts) with explicit credentials (signs every
//       time), RDS_LOOPS calls per repeat
// sync:  p = f() in a loop without awaiting, then await the last p
// await: await f() in a loop

const [repo, url, tokenFile, loopsArg, repeatsArg, rdsLoopsArg] = process.argv.slice(2);
const { IamAuthenticator, ContainerAuthenticator, RdsSigner, aws } = require(repo);
const { rdsOpts, measure, signerSync, signerAwait, measureRds } = require('./loops.js');
const loops = Number(loopsArg);
const repeats = Number(repeatsArg);
const rdsLoops = Number(rdsLoopsArg);

// Written out per API (no shared loop taking a function), so that each call site
// stays monomorphic and is timed as a caller writes it.
async function generateSync(opts, n) {
  let p;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) p = aws.generateDbAuthToken(opts);
  const last = await p;
  return [Number(process.hrtime.bigint() - start) / n, last];
}

async function generateAwait(opts, n) {
  let last;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) last = await aws.generateDbAuthToken(opts);
  return [Number(process.hrtime.bigint() - start) / n, last];
}

(async () => {
  const iam = await measure(new IamAuthenticator({ apikey: 'bench-key', url, timeout: 10000 }), loops, repeats);
  const container = await measure(
    new ContainerAuthenticator({ iamProfileName: 'bench-profile', crTokenFilename: tokenFile, url, timeout: 10000 }),
    loops,
    repeats,
  );
  const signer = new RdsSigner(rdsOpts);
  const rdsCached = await measureRds(signerSync, signerAwait, signer, loops, repeats, 'RdsSigner.getAuthToken()');
  const rdsUncached = await measureRds(generateSync, generateAwait, rdsOpts, rdsLoops, repeats,
    'aws.generateDbAuthToken()');
  console.log(JSON.stringify({
    iam_sync: iam.sync,
    iam_await: iam.awaited,
    container_sync: container.sync,
    container_await: container.awaited,
    rds_cached_sync: rdsCached.sync,
    rds_cached_await: rdsCached.awaited,
    rds_uncached_sync: rdsUncached.sync,
    rds_uncached_await: rdsUncached.awaited,
  }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
