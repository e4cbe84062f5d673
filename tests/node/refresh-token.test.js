'use strict';
// IamAuthenticator with a refresh token: the grant, the newest refresh token kept,
// configuration errors, a refused token, concurrency, secrets.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { IamAuthenticator, IamcoreError } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

// A refresh token the emulator issued (from a plain API-key grant).
async function issuedRefreshToken() {
  await emu.tokenSettings({ issue_refresh_tokens: true });
  const res = await fetch(`${emu.http}/identity/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=seed-key&response_type=cloud_iam',
  });
  const token = (await res.json()).refresh_token;
  assert.ok(token.startsWith('emu-refresh-'), 'the emulator issued a refresh token');
  return token;
}

async function refreshGrants() {
  return (await emu.requests('iam')).filter((r) => r.form.grant_type === 'refresh_token');
}

function refreshing(refreshToken, options = {}) {
  return new IamAuthenticator({ refreshToken, clientId: 'bx', clientSecret: 'bx-secret', url: emu.http, ...options });
}

// Compare without printing the values: they are credentials.
function assertSame(actual, expected, what) {
  assert.ok(actual === expected, `${what} differs from the expected value`);
}

test('the refresh grant request', async () => {
  const r0 = await issuedRefreshToken();
  const token = await refreshing(r0, { scope: 'ibm openid' }).getToken();
  assert.equal(token.split('.').length, 3);
  const [sent] = await refreshGrants();
  assert.deepEqual(Object.keys(sent.form).sort(), ['grant_type', 'refresh_token', 'response_type', 'scope']);
  assertSame(sent.form.refresh_token, r0, 'refresh_token');
  assert.equal(sent.form.response_type, 'cloud_iam');
  assert.equal(sent.form.scope, 'ibm openid');
  assertSame(sent.headers.authorization, `Basic ${Buffer.from('bx:bx-secret').toString('base64')}`, 'Basic auth');
});

test('each refresh sends the newest refresh token', async () => {
  const r0 = await issuedRefreshToken();
  const auth = refreshing(r0);
  for (let i = 0; i < 3; i++) {
    await auth.getToken();
    auth.invalidate();
  }
  const sent = (await refreshGrants()).map((r) => r.form.refresh_token);
  assert.equal(sent.length, 3);
  assertSame(sent[0], r0, 'first refresh token');
  assert.equal(new Set(sent).size, 3, 'a new refresh token each time');
});

test('"not_supported" or no refresh_token keeps the current one', async () => {
  const r0 = await issuedRefreshToken();
  const auth = refreshing(r0);
  await auth.getToken(); // sends r0, receives r1
  await emu.tokenSettings({ issue_refresh_tokens: false });
  auth.invalidate();
  await auth.getToken(); // sends r1, receives "not_supported"
  auth.invalidate();
  await emu.enqueue({ json: { access_token: 'opaque-1', expires_in: 3600 } });
  assert.equal(await auth.getToken(), 'opaque-1'); // sends r1, receives none
  auth.invalidate();
  await auth.getToken(); // still r1
  const sent = (await refreshGrants()).map((r) => r.form.refresh_token);
  assert.ok(sent[1] !== r0, 'r1 replaced r0');
  assert.ok(sent[1] === sent[2] && sent[2] === sent[3], 'r1 kept');
});

test('configuration errors', () => {
  const cases = [
    [{ refreshToken: 'refresh-secret-1' }, /client_id, client_secret/],
    [{ refreshToken: 'refresh-secret-1', clientId: 'bx' }, /together/],
    [{ refreshToken: 'refresh-secret-1', apikey: 'key-secret-1', clientId: 'bx', clientSecret: 's' }, /not both/],
    [{ refreshToken: '"refresh-secret-1"', clientId: 'bx', clientSecret: 's' }, /curly bracket or a quote/],
    [{}, /refresh_token/],
    [{ refreshToken: 42, clientId: 'bx', clientSecret: 's' }, /refreshToken/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(
      () => new IamAuthenticator(options),
      (err) => {
        assert.ok(err instanceof IamcoreError);
        assert.equal(err.code, 'IAMCORE_CONFIG');
        assert.match(err.message, pattern);
        assert.ok(!err.message.includes('secret-1'), 'no secret in the message');
        return true;
      },
    );
  }
});

test('a refused refresh token rejects with IAM\'s error, without the token', async () => {
  const auth = refreshing('emu-refresh-0-never-issued');
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'IAMCORE_AUTH');
  assert.equal(r.error.status, 400);
  assert.equal(r.error.errorCode, 'BXNIM0408E');
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0408E', errorMessage: 'emu-refresh-0-never-issued expired' } });
  const again = await settle(auth.getToken());
  for (const text of [again.error.message, again.error.errorMessage, util.inspect(again.error), String(again.error.stack)]) {
    assert.ok(!text.includes('never-issued'), 'the refresh token is not shown');
  }
  assert.match(again.error.errorMessage, /\[redacted\]/);
});

test('HTTPS with the test CA', async () => {
  const r0 = await issuedRefreshToken();
  const refused = await settle(refreshing(r0, { url: emu.https, maxRetries: 0 }).getToken());
  assert.equal(refused.error.code, 'IAMCORE_TLS');
  assert.ok(await refreshing(r0, { url: emu.https, caFile: emu.caFile }).getToken());
});

test('concurrent callers share one refresh grant', async () => {
  const r0 = await issuedRefreshToken();
  await emu.tokenSettings({ delay_ms: 300 });
  const auth = refreshing(r0);
  const tokens = await Promise.all(Array.from({ length: 30 }, () => auth.getToken()));
  assert.equal(new Set(tokens).size, 1);
  assert.equal((await refreshGrants()).length, 1);
});

test('inspect and JSON show neither the refresh token nor the client secret', async () => {
  const r0 = await issuedRefreshToken();
  const auth = refreshing(r0);
  await auth.getToken();
  for (const text of [util.inspect(auth, { showHidden: true, depth: Infinity }), JSON.stringify(auth)]) {
    assert.ok(!text.includes(r0) && !text.includes('bx-secret'), 'no secret shown');
  }
  assert.equal(auth.authenticationType(), 'iam');
});
