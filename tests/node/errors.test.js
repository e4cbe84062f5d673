'use strict';
// Error kinds and their fields, retries, timeouts.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');

const { IamAuthenticator, IamcoreError, ErrorCodes } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

function auth(extra = {}) {
  return new IamAuthenticator({ apikey: 'errors-test-key', url: emu.http, ...extra });
}

async function rejection(promise) {
  const r = await settle(promise);
  assert.equal(r.ok, false, 'the promise rejects');
  assert.ok(r.error instanceof IamcoreError, 'an IamcoreError');
  assert.ok(r.error instanceof Error, 'an Error');
  return r;
}

test('400 BXNIM0415E → IAMCORE_AUTH with the IAM fields', async () => {
  const a = new IamAuthenticator({ apikey: 'bad-key', url: emu.http });
  const { error } = await rejection(a.getToken());
  assert.equal(error.code, 'IAMCORE_AUTH');
  assert.equal(error.code, ErrorCodes.AUTH);
  assert.equal(error.name, 'IamcoreError');
  assert.equal(error.status, 400);
  assert.equal(error.errorCode, 'BXNIM0415E');
  assert.equal(error.errorMessage, 'Provided API key could not be found');
  assert.match(error.requestId, /^emu-req-\d+$/);
  assert.match(error.transactionId, /^emu-\d+$/);
  assert.equal(error.attempts, 1);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.equal((await emu.requests()).length, 1, '4xx is not retried');
});

test('the same error shape from authenticate()', async () => {
  const a = new IamAuthenticator({ apikey: 'bad-key', url: emu.http });
  const options = {};
  const { error } = await rejection(a.authenticate(options));
  assert.equal(error.code, 'IAMCORE_AUTH');
  assert.equal(error.errorCode, 'BXNIM0415E');
  assert.equal(options.headers, undefined, 'no header set on failure');
});

test('errorDetails is kept', async () => {
  await emu.enqueue({
    status: 400,
    error: { errorCode: 'BXNIM0398E', errorMessage: 'not eligible', errorDetails: 'profile has no link' },
  });
  const { error } = await rejection(auth().getToken());
  assert.equal(error.errorCode, 'BXNIM0398E');
  assert.equal(error.errorMessage, 'not eligible');
  assert.equal(error.errorDetails, 'profile has no link');
});

test('4xx is not retried', async () => {
  await emu.enqueue({ status: 403, error: { errorCode: 'BXNIM0403E', errorMessage: 'forbidden' } }, { token: true });
  const { error } = await rejection(auth().getToken());
  assert.equal(error.code, 'IAMCORE_AUTH');
  assert.equal(error.status, 403);
  assert.equal(error.attempts, 1);
  assert.equal((await emu.requests()).length, 1);
});

test('maxRetries: 0 → a 500 is reported at once', async () => {
  await emu.enqueue({ status: 500 }, { status: 500 });
  const auth = new IamAuthenticator({ apikey: 'retry-key-0', url: emu.http, maxRetries: 0 });
  const err = await auth.getToken().then(() => null, (e) => e);
  assert.equal(err && err.code, 'IAMCORE_AUTH');
  assert.equal(err.status, 500);
  assert.equal(err.attempts, 1);
  assert.equal((await emu.requests()).length, 1);
});

test('500 then success → resolved after a retry', async () => {
  await emu.enqueue({ status: 500 });
  const r = await settle(auth().getToken());
  assert.equal(r.ok, true);
  assert.equal((await emu.requests()).length, 2);
});

test('5xx on every attempt → IAMCORE_AUTH with the status, 4 attempts', async () => {
  await emu.enqueue(...Array.from({ length: 4 }, () => ({ status: 502 })));
  const { error } = await rejection(auth({ timeout: 10000 }).getToken());
  assert.equal(error.status, 502);
  assert.equal(error.attempts, 4);
  assert.equal((await emu.requests()).length, 4);
});

test('429 with Retry-After: 1 is honoured', async () => {
  await emu.enqueue({ status: 429, headers: { 'Retry-After': '1' } });
  const r = await settle(auth().getToken());
  assert.equal(r.ok, true);
  const reqs = await emu.requests();
  assert.equal(reqs.length, 2);
  const gap = reqs[1].time - reqs[0].time;
  assert.ok(gap >= 0.9, `the retry came ${gap.toFixed(3)} s after the 429`);
  assert.ok(gap < 3, `the retry came ${gap.toFixed(3)} s after the 429`);
});

test('a hanging server → IAMCORE_TIMEOUT within the timeout', async () => {
  await emu.enqueue({ hang: true }, { hang: true }, { hang: true }, { hang: true });
  const { error, ms } = await rejection(auth({ timeout: 1000 }).getToken());
  assert.equal(error.code, 'IAMCORE_TIMEOUT');
  assert.ok(ms >= 900, `gave up after ${ms} ms`);
  assert.ok(ms < 2500, `gave up after ${ms} ms`);
});

test('invalid JSON → IAMCORE_PARSE', async () => {
  await emu.enqueue({ status: 200, body: '{not json' });
  const { error } = await rejection(auth().getToken());
  assert.equal(error.code, 'IAMCORE_PARSE');
  assert.equal(error.status, 200);
});

test('JSON without access_token → IAMCORE_PARSE', async () => {
  await emu.enqueue({ status: 200, json: { token_type: 'Bearer', expires_in: 3600 } });
  const { error } = await rejection(auth().getToken());
  assert.equal(error.code, 'IAMCORE_PARSE');
});

test('connection refused → IAMCORE_TRANSPORT', async () => {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  const a = new IamAuthenticator({ apikey: 'errors-test-key', url: `http://127.0.0.1:${port}`, timeout: 3000 });
  const { error } = await rejection(a.getToken());
  assert.equal(error.code, 'IAMCORE_TRANSPORT');
  assert.equal(error.status, undefined);
  assert.ok(error.attempts >= 1);
});

test('a failure is not cached: the next call fetches again', async () => {
  await emu.enqueue({ status: 200, body: '{not json' });
  const a = auth();
  await rejection(a.getToken());
  const token = await a.getToken();
  assert.equal(typeof token, 'string');
  assert.equal((await emu.requests()).length, 2);
});

test('authenticate() rejects (never throws) on a bad argument', async () => {
  const a = auth();
  await a.getToken();
  for (const bad of [null, undefined, 42, 'str']) {
    let promise;
    assert.doesNotThrow(() => {
      promise = a.authenticate(bad);
    });
    await assert.rejects(promise, TypeError);
  }
});

test('an option the class does not take is refused, naming it (a typo would otherwise go unnoticed)', () => {
  const iamcore = require('../..');
  const cases = [
    [iamcore.IamAuthenticator, { apikey: 'k-123456', maxRetry: 1 }, 'maxRetry'],
    [iamcore.ContainerAuthenticator, { iamProfileName: 'p', apikey: 'k-123456' }, 'apikey'],
    [iamcore.IamAssumeAuthenticator, { apikey: 'k-123456', iamProfileId: 'p', vpcImsVersion: '2022-03-01' }, 'vpcImsVersion'],
    [iamcore.BearerTokenAuthenticator, { bearerToken: 't-123456', token: 't-123456' }, 'token'],
    [iamcore.BasicAuthenticator, { username: 'u', password: 'p-123456', user: 'u' }, 'user'],
  ];
  for (const [Class, options, name] of cases) {
    assert.throws(() => new Class(options), (err) => {
      assert.equal(err.code, 'IAMCORE_CONFIG');
      assert.equal(err.message, `${Class.name}: unknown option '${name}'`);
      return true;
    });
  }
});
