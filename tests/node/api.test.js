'use strict';
// The public surface: exports, sdk-core names, authenticate() details, hot path.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');

const iamcore = require('../../node/index.js');
const { IamAuthenticator, ContainerAuthenticator, IamcoreError, ErrorCodes } = iamcore;
const { Emulator } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

test('exports', () => {
  assert.equal(typeof IamAuthenticator, 'function');
  assert.equal(typeof ContainerAuthenticator, 'function');
  assert.equal(typeof IamcoreError, 'function');
  assert.match(iamcore.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(Object.values(ErrorCodes).sort(), [
    'IAMCORE_AUTH', 'IAMCORE_CONFIG', 'IAMCORE_INTERNAL', 'IAMCORE_NOMEM', 'IAMCORE_PARSE',
    'IAMCORE_TIMEOUT', 'IAMCORE_TLS', 'IAMCORE_TOKEN_FILE', 'IAMCORE_TRANSPORT',
  ]);
  for (const code of Object.values(ErrorCodes)) assert.equal(iamcore[code], code);
  assert.ok(Object.isFrozen(ErrorCodes));
});

test('IamcoreError is an Error with the documented fields', () => {
  const e = new IamcoreError('boom', ErrorCodes.AUTH);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'IamcoreError');
  assert.equal(e.message, 'boom');
  assert.equal(e.code, 'IAMCORE_AUTH');
  for (const key of ['status', 'errorCode', 'errorMessage', 'errorDetails', 'requestId', 'transactionId']) {
    assert.ok(key in e, key);
    assert.equal(e[key], undefined);
  }
  assert.match(e.stack, /^IamcoreError: boom/);
});

test('authenticationType()', () => {
  assert.equal(new IamAuthenticator({ apikey: 'k' }).authenticationType(), 'iam');
  assert.equal(new ContainerAuthenticator({ iamProfileName: 'p' }).authenticationType(), 'container');
});

test('authenticate() creates headers when missing and keeps other headers', async () => {
  const auth = new IamAuthenticator({ apikey: 'api-key', url: emu.http });
  const bare = { url: 'https://service.example/v1' };
  assert.equal(await auth.authenticate(bare), undefined);
  assert.match(bare.headers.Authorization, /^Bearer \S+$/);
  assert.equal(bare.url, 'https://service.example/v1');

  const withHeaders = { headers: { Accept: 'application/json', Authorization: 'old' } };
  await auth.authenticate(withHeaders);
  assert.equal(withHeaders.headers.Accept, 'application/json');
  assert.equal(withHeaders.headers.Authorization, bare.headers.Authorization);
  assert.ok(withHeaders.headers.Authorization === `Bearer ${await auth.getToken()}`);
});

test('a cached authenticate() sets the header synchronously and resolves', async () => {
  const auth = new IamAuthenticator({ apikey: 'api-key', url: emu.http });
  await auth.getToken();
  await auth.authenticate({}); // learn how long the token stays fresh
  const options = {};
  const promise = auth.authenticate(options);
  assert.ok(typeof options.headers.Authorization === 'string', 'set before the promise settles');
  await promise;
  assert.equal((await emu.requests()).length, 1);
});

test('cached authenticate() is cheap', async () => {
  const auth = new IamAuthenticator({ apikey: 'api-key', url: emu.http });
  await auth.getToken();
  await auth.authenticate({});
  const options = { headers: {} };
  const n = 200000;
  for (let i = 0; i < 10000; i++) auth.authenticate(options);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) auth.authenticate(options);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  // The target is ≤ 150 ns; the bound here is loose for slow CI machines.
  assert.ok(ns < 2000, `cached authenticate() took ${ns.toFixed(0)} ns`);
  assert.equal((await emu.requests()).length, 1);
});

test('getToken() after authenticate() returns the same token', async () => {
  const auth = new IamAuthenticator({ apikey: 'api-key', url: emu.http });
  const options = {};
  await auth.authenticate(options);
  const token = await auth.getToken();
  assert.ok(options.headers.Authorization === `Bearer ${token}`);
});

test('an authenticator can be garbage-collected while a fetch is in flight', async () => {
  require('node:v8').setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc');
  await emu.tokenSettings({ delay_ms: 200 });
  const promises = [];
  for (let i = 0; i < 20; i++) {
    promises.push(new IamAuthenticator({ apikey: `gc-key-${i}`, url: emu.http }).getToken());
  }
  gc();
  const tokens = await Promise.all(promises);
  assert.equal(new Set(tokens).size, 20);
  // Once settled, the authenticators are collectable: finalizers run without harm.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
});
