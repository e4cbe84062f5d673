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
const loops = Number(loopsArg);
const repeats = Number(repeatsArg);
const rdsLoops = Number(rdsLoopsArg);

// Also in inproc.js.
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
  await syncLoop(auth, opts, loops / 10); // warm-up
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

function checkRds(token) {
  if (typeof token !== 'string' || !token.startsWith(RDS_PREFIX) || !token.includes('&X-Amz-Signature=')) {
    throw new Error('getAuthToken() did not return an RDS token');
  }
}

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

async function measureRds(signer) {
  checkRds(await signer.getAuthToken());
  await signerSync(signer, rdsLoops / 10); // warm-up
  await signerAwait(signer, rdsLoops / 10);
  const sync = [];
  const awaited = [];
  for (let r = 0; r < repeats; r++) {
    const [s, t1] = await signerSync(signer, rdsLoops);
    const [a, t2] = await signerAwait(signer, rdsLoops);
    checkRds(t1);
    checkRds(t2);
    sync.push(s);
    awaited.push(a);
  }
  return { sync, awaited };
}

(async () => {
  const iam = await measure(new IamAuthenticator({ apikey: 'bench-key', url }));
  const container = await measure(
    new ContainerAuthenticator({ iamProfileName: 'bench-profile', crTokenFilename: tokenFile, url }),
  );
  const rds = await measureRds(new Signer(rdsOpts));
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
