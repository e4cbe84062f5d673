'use strict';
// What the in-process benchmarks of iamcore (inproc.js) and of the peers
// (peer_inproc.js) share: the RDS case and the loops, so that both sides are
// timed the same way. Each process loads one library only, so every call site
// here stays monomorphic.

// Also in loops.py and c/rds_token_bench.c.
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

// ns per cached auth.authenticate(opts), not awaited and awaited, one figure per repeat.
async function measure(auth, loops, repeats) {
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

// ns per call of a token loop pair (sync, await) over `arg`, checking the tokens.
async function measureRds(syncLoopFn, awaitLoopFn, arg, n, repeats, what) {
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

module.exports = { RDS_HOST, rdsOpts, measure, signerSync, signerAwait, measureRds };
