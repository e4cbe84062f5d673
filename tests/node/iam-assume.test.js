'use strict';
// IamAssumeAuthenticator: an API-key token, then the assume grant; caching of both,
// errors of each step, configuration rules, concurrency, secrets.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { IamAssumeAuthenticator } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

const GRANT_APIKEY = 'urn:ibm:params:oauth:grant-type:apikey';
const GRANT_ASSUME = 'urn:ibm:params:oauth:grant-type:assume';
const APIKEY = 'assume-key-0001';

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

const assume = (options = {}) =>
  new IamAssumeAuthenticator({ apikey: APIKEY, iamProfileId: 'Profile-77', url: emu.http, ...options });

function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('step 1 is an API-key grant, step 2 the assume grant', async () => {
  const token = await assume({ clientId: 'bx', clientSecret: 'bx-secret', scope: 'ibm openid', headers: { 'X-Trace': 't-1' } }).getToken();
  assert.equal(payload(token).sub, 'profile-Profile-77');
  assert.equal(payload(token).grant_type, GRANT_ASSUME);
  const [first, second] = await emu.requests('iam');
  assert.equal(first.form.grant_type, GRANT_APIKEY);
  assert.ok(first.form.apikey === APIKEY, 'the API key is sent in step 1');
  assert.equal(first.form.scope, 'ibm openid');
  assert.ok(first.headers.authorization === `Basic ${Buffer.from('bx:bx-secret').toString('base64')}`, 'Basic auth in step 1');
  assert.deepEqual(Object.keys(second.form).sort(), ['access_token', 'grant_type', 'profile_id']);
  assert.equal(second.form.grant_type, GRANT_ASSUME);
  assert.equal(payload(second.form.access_token).grant_type, GRANT_APIKEY);
  assert.equal(second.headers.authorization, undefined, 'no Basic auth in step 2');
  assert.equal(second.headers['x-trace'], 't-1');
  assert.match(second.headers['user-agent'], /\(iamAssume; node\//);
});

test('each profile form', async () => {
  await assume({ iamProfileId: undefined, iamProfileCrn: 'crn:v1:x:P-9' }).getToken();
  await assume({ iamProfileId: undefined, iamProfileName: 'my profile', iamAccountId: 'acct-1' }).getToken();
  const assumes = (await emu.requests('iam')).filter((r) => r.form.grant_type === GRANT_ASSUME);
  assert.equal(assumes[0].form.profile_crn, 'crn:v1:x:P-9');
  assert.equal(assumes[1].form.profile_name, 'my profile');
  assert.equal(assumes[1].form.account, 'acct-1');
});

test('the API-key token is reused for a new assume', async () => {
  const auth = assume();
  const first = await auth.getToken();
  assert.equal(await auth.getToken(), first);
  auth.invalidate();
  assert.notEqual(await auth.getToken(), first);
  const reqs = await emu.requests('iam');
  assert.deepEqual(reqs.map((r) => r.form.grant_type), [GRANT_APIKEY, GRANT_ASSUME, GRANT_ASSUME]);
  assert.ok(reqs[1].form.access_token === reqs[2].form.access_token, 'same step-1 token');
});

test('errors of either step', async () => {
  const bad = await settle(assume({ apikey: 'bad-key' }).getToken());
  assert.equal(bad.error.code, 'IAMCORE_AUTH');
  assert.equal(bad.error.errorCode, 'BXNIM0415E');
  assert.equal((await emu.requests('iam')).length, 1, 'no assume request after a failed step 1');

  await emu.reset();
  await emu.enqueue({ token: true }, { status: 403, error: { errorCode: 'BXNIM0398E', errorMessage: `${APIKEY} may not assume` } });
  const auth = assume();
  const refused = await settle(auth.getToken());
  assert.equal(refused.error.status, 403);
  assert.equal(refused.error.errorCode, 'BXNIM0398E');
  assert.match(refused.error.message, /^IAM token request \(assume grant\) failed: HTTP 403/);
  for (const text of [refused.error.message, refused.error.errorMessage, util.inspect(refused.error)]) {
    assert.ok(!text.includes(APIKEY), 'the API key is not shown');
  }
  assert.ok(await auth.getToken());
  assert.equal((await emu.requests('iam')).length, 3, 'the step-1 token was kept');

  await emu.enqueue({ body: '{not json' });
  auth.invalidate();
  assert.equal((await settle(auth.getToken())).error.code, 'IAMCORE_PARSE');
  const down = await settle(assume({ url: 'http://127.0.0.1:1', maxRetries: 0 }).getToken());
  assert.equal(down.error.code, 'IAMCORE_TRANSPORT');
});

test('HTTPS with the test CA', async () => {
  assert.equal((await settle(assume({ url: emu.https, maxRetries: 0 }).getToken())).error.code, 'IAMCORE_TLS');
  assert.ok(await assume({ url: emu.https, caFile: emu.caFile }).getToken());
});

test('concurrent callers share one request per step', async () => {
  await emu.tokenSettings({ delay_ms: 200 });
  const auth = assume();
  const tokens = await Promise.all(Array.from({ length: 30 }, () => auth.getToken()));
  assert.equal(new Set(tokens).size, 1);
  assert.equal((await emu.requests('iam')).length, 2);
});

test('configuration errors', () => {
  const cases = [
    [{ iamProfileId: undefined }, /exactly one of/],
    [{ iamProfileCrn: 'c' }, /exactly one of/],
    [{ iamProfileId: undefined, iamProfileName: 'n' }, /iam_account_id/],
    [{ iamAccountId: 'a' }, /iam_account_id/],
    [{ apikey: '{braced}' }, /curly bracket/],
    [{ apikey: undefined }, /API key/],
    [{ clientId: 'bx' }, /together/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => assume(options), (err) => err.code === 'IAMCORE_CONFIG' && pattern.test(err.message));
  }
});

test('inspect and JSON show no secret', () => {
  const auth = assume({ iamProfileId: undefined, iamProfileName: 'n', iamAccountId: 'a', clientId: 'bx', clientSecret: 'cs-secret-1' });
  assert.equal(auth.authenticationType(), 'iamAssume');
  assert.deepEqual(auth.toJSON(), {
    type: 'IamAssumeAuthenticator', authenticationType: 'iamAssume', url: emu.http, iamProfileName: 'n', iamAccountId: 'a', clientId: 'bx',
  });
  const text = util.inspect(auth, { showHidden: true, depth: Infinity });
  assert.ok(!text.includes(APIKEY) && !text.includes('cs-secret-1'), 'no secret shown');
});
