'use strict';
// Refresh at 80 % of the lifetime in the background, a failed refresh keeps the
// valid token, an expired token is fetched anew.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');

const { IamAuthenticator } = require('../../node/index.js');
const { Emulator, sleep, settle } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

// Issued 3000 s ago with a 3600 s lifetime: valid for 600 s more, refresh due.
const REFRESH_DUE = { iat_offset: -3000, lifetime: 3600 };

async function tokenUntil(auth, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const token = await auth.getToken();
    if (predicate(token) || Date.now() > deadline) return token;
    await sleep(25);
  }
}

test('a due refresh runs in the background while the cached token is served', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  const auth = new IamAuthenticator({ apikey: 'refresh-key', url: emu.http });
  const first = await auth.getToken();

  // The refresh answer is slow: callers must not wait for it.
  await emu.tokenSettings({ iat_offset: 0, delay_ms: 1000 });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, true);
  assert.ok(r.value === first, 'the cached token is served while the refresh runs');
  assert.ok(r.ms < 200, `a cached call took ${r.ms} ms`);

  const options = {};
  const t0 = performance.now();
  await auth.authenticate(options);
  assert.ok(performance.now() - t0 < 200, 'authenticate() did not wait for the refresh');
  assert.ok(options.headers.Authorization === `Bearer ${first}`, 'still the cached token');

  await emu.waitForRequests(2, 3000);
  const refreshed = await tokenUntil(auth, (t) => t !== first, 4000);
  assert.ok(refreshed !== first, 'later calls get the refreshed token');
  const reqs = await emu.requests();
  assert.equal(reqs.length, 2, 'exactly one refresh request');
});

test('a failed refresh keeps serving the still-valid token', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  const auth = new IamAuthenticator({ apikey: 'failed-refresh-key', url: emu.http });
  const first = await auth.getToken();

  // 400 is not retried: exactly one failing refresh request.
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0400E', errorMessage: 'refresh refused' } });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, true, 'no rejection while a valid token exists');
  assert.ok(r.value === first, 'the old token is served');

  await emu.waitForRequests(2, 3000);
  await sleep(200); // let the failed refresh complete
  for (let i = 0; i < 5; i++) {
    const again = await settle(auth.getToken());
    assert.equal(again.ok, true, 'no rejection after the failed refresh');
    assert.ok(again.value === first, 'the still-valid token is served');
    const options = {};
    await auth.authenticate(options);
    assert.ok(options.headers.Authorization === `Bearer ${first}`);
  }
  assert.equal((await emu.requests()).length, 2, 'the next refresh decision is not immediate');
});

test('a refresh failing with 5xx (retried) also keeps the valid token', async () => {
  await emu.tokenSettings(REFRESH_DUE);
  const auth = new IamAuthenticator({ apikey: 'failed-5xx-key', url: emu.http, timeout: 5000 });
  const first = await auth.getToken();

  const errors = Array.from({ length: 4 }, () => ({ status: 503 }));
  await emu.enqueue(...errors);
  const r = await settle(auth.getToken());
  assert.equal(r.ok, true);
  assert.ok(r.value === first);
  await emu.waitForRequests(3, 5000); // the refresh's attempts are under way
  const again = await settle(auth.getToken());
  assert.equal(again.ok, true, 'no rejection while the refresh retries');
  assert.ok(again.value === first);

  await emu.waitForRequests(5, 8000); // the first fetch + 4 failed refresh attempts
  await sleep(100);
  const after = await settle(auth.getToken());
  assert.equal(after.ok, true, 'no rejection after the refresh failed');
  assert.ok(after.value === first, 'the still-valid token is served');
});

test('an expired token is fetched anew', async () => {
  // Expiry margin is 10 s: a 12 s token counts as expired after about 2 s.
  await emu.tokenSettings({ lifetime: 12 });
  const auth = new IamAuthenticator({ apikey: 'expiry-key', url: emu.http });
  const first = await auth.getToken();
  assert.equal((await emu.requests()).length, 1);
  await sleep(2500);
  const second = await auth.getToken();
  assert.ok(second !== first, 'a new token after expiry');
  assert.equal((await emu.requests()).length, 2);
});
