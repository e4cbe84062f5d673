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
const loops = Number(loopsArg);
const repeats = Number(repeatsArg);
const rdsLoops = Number(rdsLoopsArg);

// Also in inproc.py and c/rds_token_bench.c.
const RDS_HOST = 'mydb.abc123.us-east-1.rds.amazonaws.com';
const RDS_PREFIX = `${RDS_HOST}:5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256`;
const rdsOpts = {
  hostname: RDS_HOST,
  port: 5432,
  username: 'app_user',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
};

async function syncLoop(auth, opts, n) {
  let p;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) p = auth.authenticate(opts);
  await p;
  return Number(process.hrtime.bigint() - start) / n;
}

async function awaitLoop(auth, opts, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await auth.authenticate(opts);
  return Number(process.hrtime.bigint() - start) / n;
}

async function measure(auth) {
  const opts = { headers: {} };
  await auth.authenticate(opts); // first call fetches the token; the rest hit the cache
  await syncLoop(auth, opts, loops / 10); // warm-up (lets the JIT optimise both loops)
  await awaitLoop(auth, opts, loops / 10);
  const sync = [];
  const awaited = [];
  for (let r = 0; r < repeats; r++) {
    sync.push(await syncLoop(auth, opts, loops));
    awaited.push(await awaitLoop(auth, opts, loops));
  }
  if (!opts.headers.Authorization.startsWith('Bearer ')) {
    throw new Error('authenticate() did not set the Authorization header');
  }
  return { sync, awaited };
}

function checkRds(token, what) {
  if (typeof token !== 'string' || !token.startsWith(RDS_PREFIX) || !token.includes('&X-Amz-Signature=')) {
    throw new Error(`${what} did not return an RDS token`);
  }
}

// Written out per API (no shared loop taking a function), so that each call site
// stays monomorphic and is timed as a caller writes it.
async function signerSync(signer, n) {
  let p;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) p = signer.getAuthToken();
  const last = await p;
  return [Number(process.hrtime.bigint() - start) / n, last];
}

async function signerAwait(signer, n) {
  let last;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) last = await signer.getAuthToken();
  return [Number(process.hrtime.bigint() - start) / n, last];
}

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

async function measureRds(syncLoopFn, awaitLoopFn, arg, n, what) {
  const [, first] = await syncLoopFn(arg, 1);
  checkRds(first, what);
  await syncLoopFn(arg, n / 10); // warm-up
  await awaitLoopFn(arg, n / 10);
  const sync = [];
  const awaited = [];
  for (let r = 0; r < repeats; r++) {
    const [s, t1] = await syncLoopFn(arg, n);
    const [a, t2] = await awaitLoopFn(arg, n);
    checkRds(t1, what);
    checkRds(t2, what);
    sync.push(s);
    awaited.push(a);
  }
  return { sync, awaited };
}

(async () => {
  const iam = await measure(new IamAuthenticator({ apikey: 'bench-key', url, timeout: 10000 }));
  const container = await measure(
    new ContainerAuthenticator({ iamProfileName: 'bench-profile', crTokenFilename: tokenFile, url, timeout: 10000 }),
  );
  const signer = new RdsSigner(rdsOpts);
  const rdsCached = await measureRds(signerSync, signerAwait, signer, loops, 'RdsSigner.getAuthToken()');
  const rdsUncached = await measureRds(generateSync, generateAwait, rdsOpts, rdsLoops, 'aws.generateDbAuthToken()');
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
