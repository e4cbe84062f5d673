'use strict';
// Single flight, waiters released with the error, and the event loop stays free.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');

const { IamAuthenticator, IamcoreError } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

test('100 concurrent first calls share one token request', async () => {
  await emu.tokenSettings({ delay_ms: 300 });
  const auth = new IamAuthenticator({ apikey: 'concurrency-key', url: emu.http });
  const calls = [];
  for (let i = 0; i < 100; i++) {
    if (i % 2 === 0) calls.push(auth.getToken());
    else {
      const options = {};
      calls.push(auth.authenticate(options).then(() => options.headers.Authorization.slice(7)));
    }
  }
  const tokens = await Promise.all(calls);
  assert.equal(new Set(tokens).size, 1, 'every caller got the same token');
  assert.equal((await emu.requests()).length, 1, 'exactly one token request');
});

test('a cached token is served without another request', async () => {
  const auth = new IamAuthenticator({ apikey: 'cache-key', url: emu.http });
  const first = await auth.getToken();
  for (let i = 0; i < 1000; i++) {
    const options = { headers: {} };
    await auth.authenticate(options);
    assert.ok(options.headers.Authorization === `Bearer ${first}`, 'cached header');
  }
  assert.ok((await auth.getToken()) === first, 'cached token');
  assert.equal((await emu.requests()).length, 1);
});

test('a failed first fetch rejects every waiter; the next call succeeds', async () => {
  await emu.enqueue({
    status: 400,
    delay_ms: 300,
    error: { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found' },
  });
  const auth = new IamAuthenticator({ apikey: 'waiters-key', url: emu.http });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => settle(i % 2 ? auth.getToken() : auth.authenticate({}))),
  );
  for (const r of results) {
    assert.equal(r.ok, false, 'every waiter rejected');
    assert.ok(r.error instanceof IamcoreError);
    assert.equal(r.error.code, 'IAMCORE_AUTH');
    assert.equal(r.error.status, 400);
  }
  assert.equal((await emu.requests()).length, 1, 'exactly one token request');

  const token = await auth.getToken();
  assert.equal(typeof token, 'string');
  assert.equal((await emu.requests()).length, 2, 'the failure was not cached');
});

test('the event loop keeps running during a fetch', async () => {
  await emu.tokenSettings({ delay_ms: 500 });
  const auth = new IamAuthenticator({ apikey: 'loop-key', url: emu.http });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const r = await settle(auth.getToken());
    assert.equal(r.ok, true);
    assert.ok(r.ms >= 450, `the fetch took ${r.ms} ms`);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 20, `setInterval(10 ms) ticked ${ticks} times during a 500 ms fetch`);
});

test('two authenticators do not share a cache or wait for each other', async () => {
  await emu.tokenSettings({ delay_ms: 300 });
  const a = new IamAuthenticator({ apikey: 'key-a', url: emu.http });
  const b = new IamAuthenticator({ apikey: 'key-b', url: emu.http });
  const t0 = performance.now();
  const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
  const ms = performance.now() - t0;
  assert.notEqual(ta, tb);
  assert.equal((await emu.requests()).length, 2);
  assert.ok(ms < 550, `two parallel 300 ms fetches took ${ms} ms`);
});

test('invalidate() makes the next call fetch a new token', async () => {
  const auth = new IamAuthenticator({ apikey: 'invalidate-key', url: emu.http });
  const first = await auth.getToken();
  auth.invalidate();
  const second = await auth.getToken();
  assert.notEqual(first, second);
  assert.equal((await emu.requests()).length, 2);
});
