'use strict';
// Workers and process exits with work in flight (docs/reliability.md): worker threads with
// authenticators terminated during a first fetch or a background refresh, process.exit()
// during a fetch, and a process that ends by itself while a refresh thread is running.
// None may hang (a fetch runs on a thread of its own, which neither waits for) or crash,
// and the rest of the process carries on.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');

const { IamAuthenticator } = require('../../node/index.js');
const { Emulator, sleep } = require('./emulator.js');

const WORKER = path.join(__dirname, 'fixtures', 'busy-worker.js');
const PACKAGE = path.join(__dirname, '..', '..', 'node', 'index.js');
// Issued 85 s before it arrives with a 100 s lifetime: usable for 5 s, refresh due at once.
const REFRESH_DUE = { lifetime: 100, iat_offset: -85 };
const CRASH_SIGNS = ['Segmentation', 'FATAL ERROR', 'Abort', 'Sanitizer', 'core dumped'];

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

function startWorker(data) {
  const worker = new Worker(WORKER, {
    workerData: { url: emu.https, caFile: emu.caFile, timeout: 10000, ...data },
  });
  const messages = [];
  const busy = new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      messages.push(m);
      if (m === 'busy') resolve();
    });
    worker.once('error', reject);
  });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  return { worker, busy, exited, messages };
}

async function stillWorks() {
  const auth = new IamAuthenticator({ apikey: 'main-key', url: emu.https, caFile: emu.caFile });
  const token = await auth.getToken();
  assert.equal(token.split('.').length, 3);
  const w = startWorker({ apikey: 'late-worker-key', mode: 'fetch' });
  await w.exited;
  assert.deepEqual(w.messages, ['busy', 'done'], 'a new worker still gets tokens');
}

test('workers terminated with a first fetch in flight', async () => {
  // The fetches never get an answer (each would end at its 10 s timeout).
  await emu.enqueue(...Array(4).fill({ hang: true }));
  const workers = [0, 1, 2, 3].map((i) => startWorker({ apikey: `worker-key-${i}`, mode: 'fetch', logHook: i % 2 === 1 }));
  await Promise.all(workers.map((w) => w.busy));
  await emu.waitForRequests(4);
  const t0 = performance.now();
  await Promise.all(workers.map((w) => w.worker.terminate()));
  const took = performance.now() - t0;
  // The fetch threads are not the environment's: termination does not wait for them.
  assert.ok(took < 2000, `terminating took ${Math.round(took)} ms`);
  for (const w of workers) assert.ok(!w.messages.includes('done'));
  await stillWorks();
});

test('workers terminated with a background refresh in flight', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  const workers = [0, 1, 2, 3].map((i) => startWorker({ apikey: `refresh-key-${i}`, mode: 'refresh', logHook: i % 2 === 0 }));
  await emu.waitForRequests(4); // the first fetches
  await emu.tokenSettings({ delay_ms: 1500 });
  await Promise.all(workers.map((w) => w.busy));
  await emu.waitForRequests(8); // a refresh each, in flight
  const t0 = performance.now();
  await Promise.all(workers.map((w) => w.worker.terminate()));
  assert.ok(performance.now() - t0 < 3000, 'a background refresh holds no worker back');
  // The refresh threads end after their environments are gone.
  await sleep(2000);
  await emu.tokenSettings({ delay_ms: 0, lifetime: 3600, iat_offset: 0 });
  await stillWorks();
});

function runNode(code, env, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-e', code], {
      env: { ...process.env, ...env, IAMCORE_PACKAGE: PACKAGE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.resume();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: performance.now() - t0 });
    });
  });
}

const EXIT_DURING_FETCH = `
const { IamAuthenticator } = require(process.env.IAMCORE_PACKAGE);
const auth = new IamAuthenticator({ apikey: 'exit-key', url: process.env.EMU, timeout: 30000 });
auth.getToken().then(() => process.exit(3), () => process.exit(4));
(async () => {
  for (;;) {
    const r = await fetch(process.env.EMU + '/_emulator/requests');
    if ((await r.json()).count > 0) process.exit(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
})();
`;

test('process.exit() with a fetch in flight', async () => {
  await emu.enqueue({ hang: true }); // the fetch never gets an answer
  const r = await runNode(EXIT_DURING_FETCH, { EMU: emu.http });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 10000, 'the exit did not wait for the fetch (its timeout is 30 s)');
  assert.ok(!CRASH_SIGNS.some((s) => r.stderr.includes(s)), r.stderr);
});

const END_DURING_REFRESH = `
const { IamAuthenticator, setLogHook } = require(process.env.IAMCORE_PACKAGE);
setLogHook(() => {}); // events arrive from the refresh thread while the process ends
const auth = new IamAuthenticator({ apikey: 'end-key', url: process.env.EMU, caFile: process.env.CA, timeout: 30000 });
(async () => {
  await auth.getToken();
  await auth.getToken(); // due at once: the core's refresh thread starts; then nothing is left to do
})();
`;

test('the process ends by itself while a background refresh is in flight', async () => {
  for (const delayMs of [0, 20, 60, 150, 400, 3000]) {
    await emu.reset();
    await emu.tokenSettings(REFRESH_DUE);
    // The refresh's answer lands before, during or after the process's end.
    await emu.enqueue({ token: true }, { token: true, delay_ms: delayMs });
    const r = await runNode(END_DURING_REFRESH, { EMU: emu.https, CA: emu.caFile });
    assert.equal(r.code, 0, `delay ${delayMs} ms: ${r.stderr}`);
    assert.equal(r.signal, null);
    assert.ok(r.ms < 10000, `delay ${delayMs} ms: the process took ${Math.round(r.ms)} ms to end`);
    assert.ok(!CRASH_SIGNS.some((s) => r.stderr.includes(s)), r.stderr);
  }
});
