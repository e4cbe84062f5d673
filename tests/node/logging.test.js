'use strict';
// setLogHook() and NODE_DEBUG=iamcore: the core's events as plain objects, through
// real fetches against the emulator (fetch, retry, failure, background refresh),
// in worker threads, never holding a secret, never keeping the process alive.

const { test, before, after, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { Worker } = require('node:worker_threads');

const iamcore = require('../../node/index.js');
const { IamAuthenticator, ContainerAuthenticator, IamcoreError, setLogHook } = iamcore;
const { Emulator, sleep } = require('./emulator.js');

const INDEX = path.join(__dirname, '..', '..', 'node', 'index.js');
const REFRESH_DUE = { iat_offset: -3000, lifetime: 3600 };

let emu;
let events;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(async () => {
  await emu.reset();
  events = [];
  setLogHook((event) => events.push(event));
});
afterEach(() => setLogHook(null));

function named(name) {
  return events.filter((e) => e.event === name);
}

async function waitFor(name, count = 1, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (named(name).length < count && Date.now() < deadline) await sleep(10);
  return named(name);
}

function runNode(code, env = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    execFile(process.execPath, ['-e', code], { env: { ...process.env, ...env }, timeout: 30000 },
      (err, stdout, stderr) => resolve({ err, stdout, stderr, ms: Date.now() - t0 }));
  });
}

test('a fetch raises token_fetched and refresh_scheduled; the cache raises nothing', async () => {
  const auth = new IamAuthenticator({ apikey: 'log-key', url: emu.http });
  await auth.getToken();
  const [e] = await waitFor('token_fetched');
  assert.equal(e.level, 'info');
  assert.equal(e.authType, 'iam');
  assert.equal(e.url, `${emu.http}/identity/token`);
  assert.equal(e.status, 200);
  assert.equal(e.attempts, 1);
  assert.ok(Math.abs(e.expiresAt - (Date.now() / 1000 + 3600)) < 60);
  assert.equal(typeof e.durationMs, 'number');
  assert.equal(e.background, false);
  assert.ok(Math.abs(e.time - Date.now()) < 5000);
  const [s] = await waitFor('refresh_scheduled');
  assert.equal(s.level, 'debug');
  assert.ok(s.refreshAt > Date.now() / 1000);

  const before = events.length;
  for (let i = 0; i < 50; i++) {
    await auth.getToken();
    await auth.authenticate({});
  }
  await sleep(100);
  assert.equal(events.length, before, 'the cached path raises no event');
});

test('retries after a 500 and a 429 say why and how long', async () => {
  await emu.enqueue({ status: 500 }, { status: 429, headers: { 'Retry-After': '1' } }, { token: true });
  await new IamAuthenticator({ apikey: 'retry-key', url: emu.http }).getToken();
  const [first, second] = await waitFor('retry', 2);
  assert.equal(first.level, 'warning');
  assert.deepEqual([first.attempt, first.status, first.reason], [1, 500, 'HTTP 500']);
  assert.deepEqual([second.attempt, second.status, second.reason], [2, 429, 'HTTP 429, Retry-After 1 s']);
  assert.equal(second.delayMs, 1000);
  const [fetched] = await waitFor('token_fetched');
  assert.equal(fetched.attempts, 3);
});

test('a failure is an error event with the error, never the key', async () => {
  const auth = new IamAuthenticator({ apikey: 'bad-key', url: emu.http });
  await assert.rejects(auth.getToken(), { code: 'IAMCORE_AUTH' });
  const [f] = await waitFor('failure');
  assert.equal(f.level, 'error');
  assert.equal(f.error, 'auth');
  assert.equal(f.status, 400);
  assert.equal(f.errorCode, 'BXNIM0415E');
  assert.match(f.message, /BXNIM0415E/);
  assert.equal(f.tokenValid, false);
});

test('a background refresh is reported from its own thread', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  const auth = new IamAuthenticator({ apikey: 'refresh-key', url: emu.http });
  const first = await auth.getToken();
  await emu.tokenSettings({ iat_offset: 0 });
  assert.ok((await auth.getToken()) === first); // cached; starts the refresh
  const fetched = await waitFor('token_fetched', 2);
  assert.equal(fetched[1].background, true);
  const [started] = named('refresh_started');
  assert.equal(started.level, 'debug');
  assert.equal(started.authType, 'iam');
});

test('a failed background refresh is a warning and the token is still served', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  const auth = new IamAuthenticator({ apikey: 'failed-refresh-key', url: emu.http });
  const first = await auth.getToken();
  await emu.enqueue({ status: 400, json: { errorCode: 'BXNIM0415E', errorMessage: 'nope' } });
  assert.ok((await auth.getToken()) === first);
  const [f] = await waitFor('failure');
  assert.equal(f.level, 'warning');
  assert.equal(f.background, true);
  assert.equal(f.tokenValid, true);
});

test('setLogHook takes a function or null', async () => {
  for (const bad of ['log', 42, {}, true]) {
    assert.throws(() => setLogHook(bad), (err) => err instanceof IamcoreError && err.code === 'IAMCORE_CONFIG');
  }
  setLogHook(null);
  setLogHook(undefined);
  await new IamAuthenticator({ apikey: 'no-hook-key', url: emu.http }).getToken();
  await sleep(100);
  assert.equal(events.length, 0, 'no event after the hook was removed');
});

test('a hook that throws becomes a warning and fetching goes on', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    setLogHook(() => {
      throw new Error('hook failed');
    });
    const auth = new IamAuthenticator({ apikey: 'throwing-hook-key', url: emu.http });
    assert.equal(typeof (await auth.getToken()), 'string');
    const deadline = Date.now() + 5000;
    while (warnings.length < 2 && Date.now() < deadline) await sleep(10);
  } finally {
    process.removeListener('warning', onWarning);
  }
  assert.ok(warnings.length >= 2);
  assert.equal(warnings[0].code, 'IAMCORE_LOG_HOOK');
  assert.match(warnings[0].message, /hook failed/);
});

test('no event holds a secret', async () => {
  const secrets = ['apikey-SECRET-0123456789', 'client-SECRET-987654', 'crtoken-SECRET-abcdef'];
  await emu.enqueue({ status: 503 }, { token: true });
  await emu.tokenSettings(REFRESH_DUE);
  const auth = new IamAuthenticator({ apikey: secrets[0], clientId: 'bx', clientSecret: secrets[1], url: emu.http });
  const tokens = [await auth.getToken()];
  await emu.tokenSettings({ iat_offset: 0 });
  await auth.getToken(); // starts a refresh
  await waitFor('token_fetched', 2);
  tokens.push(await auth.getToken());
  await emu.enqueue({ status: 400, json: { errorCode: 'BXNIM0415E', errorMessage: `key ${secrets[0]} unknown` } });
  auth.invalidate();
  await assert.rejects(auth.getToken(), { code: 'IAMCORE_AUTH' });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-log-'));
  try {
    const file = path.join(dir, 'cr-token');
    fs.writeFileSync(file, `${secrets[2]}\n`);
    const container = new ContainerAuthenticator({ iamProfileName: 'p', crTokenFilename: file, url: emu.http });
    tokens.push(await container.getToken());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((await waitFor('token_fetched', 3)).length, 3);
  await waitFor('failure');
  const names = new Set(events.map((e) => e.event));
  for (const name of ['retry', 'failure', 'refresh_started', 'refresh_scheduled']) assert.ok(names.has(name), name);
  const text = JSON.stringify(events);
  const all = [...secrets, ...tokens, ...tokens.map((t) => t.split('.')[2])];
  all.forEach((secret, i) => assert.ok(!text.includes(secret), `secret #${i} appears in an event`));
});

test('a worker thread receives the events of its fetches; so does the main thread', async () => {
  const message = await new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'fixtures', 'log-worker.js'), {
      workerData: { apikey: 'worker-log-key', url: emu.http },
    });
    let m;
    worker.once('message', (value) => {
      m = value;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 && m ? resolve(m) : reject(new Error(`worker exit ${code}`))));
  });
  assert.equal(message.ok, true, message.message);
  const [e] = message.events.filter((x) => x.event === 'token_fetched');
  assert.equal(e.authType, 'iam');
  assert.equal(e.status, 200);
  await waitFor('token_fetched');
  assert.equal(named('token_fetched').length, 1, 'the main thread saw the worker\'s fetch');

  // The worker is gone with its hook still set: the main thread still gets events.
  await new IamAuthenticator({ apikey: 'after-worker-key', url: emu.http }).getToken();
  assert.equal((await waitFor('token_fetched', 2)).length, 2);
});

test('a worker terminated while events are in flight', async () => {
  await emu.tokenSettings({ delay_ms: 200 });
  const worker = new Worker(path.join(__dirname, 'fixtures', 'log-worker.js'), {
    workerData: { apikey: 'terminated-key', url: emu.http },
  });
  await emu.waitForRequests(1, 10000); // its fetch is under way (answered after 200 ms)
  await worker.terminate();
  await waitFor('token_fetched');
  assert.equal(named('token_fetched').length, 1);
});

test('NODE_DEBUG=iamcore prints the events', async () => {
  const code = `
    const { IamAuthenticator } = require(${JSON.stringify(INDEX)});
    new IamAuthenticator({ apikey: 'debug-key', url: ${JSON.stringify(emu.http)} }).getToken()
      .then(() => new Promise((r) => setTimeout(r, 200)));`;
  const r = await runNode(code, { NODE_DEBUG: 'iamcore' });
  assert.equal(r.err, null, r.stderr);
  assert.match(r.stderr, /^IAMCORE \d+: info token_fetched auth_type=iam url=\S+ status=200 attempts=1 /m);
  assert.match(r.stderr, /^IAMCORE \d+: debug refresh_scheduled auth_type=iam refresh_at=\d+/m);
  assert.ok(!r.stderr.includes('debug-key'));
});

test('the process exits while a hook is set and a refresh is in flight', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  await emu.enqueue({ token: true }, { token: true, delay_ms: 3000 });
  const code = `
    const { IamAuthenticator, setLogHook } = require(${JSON.stringify(INDEX)});
    setLogHook((e) => console.log(e.event));
    const auth = new IamAuthenticator({ apikey: 'exit-key', url: ${JSON.stringify(emu.http)} });
    auth.getToken().then(() => auth.getToken()).then(() => setTimeout(() => console.log('done'), 100));`;
  const r = await runNode(code);
  assert.equal(r.err, null, r.stderr);
  assert.match(r.stdout, /token_fetched/);
  assert.match(r.stdout, /refresh_started/);
  assert.match(r.stdout, /done/);
  assert.ok(r.ms < 2500, `the process waited ${r.ms} ms for the refresh`);
});
