'use strict';
// In-process part of the benchmark for Node: ns per cached authenticate() call.
//
// Started by bench/run.py in a clean environment:
//
//   node bench/inproc.js REPO URL CR_TOKEN_FILE LOOPS REPEATS
//
// Prints one JSON line {"iam_sync": [...], "iam_await": [...], "container_sync": [...],
// "container_await": [...]}: ns per call, one value per repeat.
//   sync:  p = auth.authenticate(opts) in a loop without awaiting, then await the last p
//   await: await auth.authenticate(opts) in a loop

const [repo, url, tokenFile, loopsArg, repeatsArg] = process.argv.slice(2);
const { IamAuthenticator, ContainerAuthenticator } = require(repo);
const loops = Number(loopsArg);
const repeats = Number(repeatsArg);

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

(async () => {
  const iam = await measure(new IamAuthenticator({ apikey: 'bench-key', url, timeout: 10000 }));
  const container = await measure(
    new ContainerAuthenticator({ iamProfileName: 'bench-profile', crTokenFilename: tokenFile, url, timeout: 10000 }),
  );
  console.log(JSON.stringify({
    iam_sync: iam.sync,
    iam_await: iam.awaited,
    container_sync: container.sync,
    container_await: container.awaited,
  }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
