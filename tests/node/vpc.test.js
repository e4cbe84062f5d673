'use strict';
// VpcInstanceAuthenticator against the emulator's instance metadata endpoints:
// both steps, both API versions, errors of each step, concurrency, secrets.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { VpcInstanceAuthenticator, IamcoreError } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

const STEPS = ['vpc-token', 'vpc-iam-token'];

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

const vpc = (options = {}) => new VpcInstanceAuthenticator({ url: emu.http, ...options });

test('both steps as the metadata service receives them', async () => {
  const token = await vpc().getToken();
  assert.equal(token.split('.').length, 3);
  const [put, post] = await emu.requests(STEPS);
  assert.deepEqual([put.endpoint, put.method, put.path, put.query], ['vpc-token', 'PUT', '/instance_identity/v1/token', 'version=2022-03-01']);
  assert.equal(put.headers['metadata-flavor'], 'ibm');
  assert.equal(put.headers['content-type'], 'application/json');
  assert.equal(put.headers.accept, 'application/json');
  assert.match(put.headers['user-agent'], /\(vpc; node\//);
  assert.deepEqual(put.json, { expires_in: 300 });
  assert.deepEqual([post.endpoint, post.method, post.path, post.query], ['vpc-iam-token', 'POST', '/instance_identity/v1/iam_token', 'version=2022-03-01']);
  assert.match(post.headers.authorization, /^Bearer ey/);
  assert.equal(post.json, null, 'no body: the default profile');
});

test('the trusted profile goes in the body', async () => {
  await vpc({ iamProfileCrn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:P-1' }).getToken();
  await vpc({ iamProfileId: 'Profile-1' }).getToken();
  const posts = await emu.requests('vpc-iam-token');
  assert.deepEqual(posts.map((p) => p.json), [
    { trusted_profile: { crn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:P-1' } },
    { trusted_profile: { id: 'Profile-1' } },
  ]);
});

test('version 2025-08-26 and later use the /identity/v1/ paths', async () => {
  for (const version of ['2025-08-26', '2027-01-01']) {
    await emu.reset();
    await vpc({ vpcImsVersion: version, url: `${emu.http}/` }).getToken();
    const [put, post] = await emu.requests(STEPS);
    assert.equal(put.path, '/identity/v1/token');
    assert.equal(post.path, '/identity/v1/iam_tokens');
    assert.equal(post.query, `version=${version}`);
  }
});

test('HTTPS with the test CA', async () => {
  const refused = await settle(vpc({ url: emu.https, maxRetries: 0 }).getToken());
  assert.equal(refused.error.code, 'IAMCORE_TLS');
  assert.ok(await vpc({ url: emu.https, caFile: emu.caFile }).getToken());
});

test('the token is cached', async () => {
  const auth = vpc();
  const tokens = [];
  for (let i = 0; i < 5; i++) tokens.push(await auth.getToken());
  assert.equal(new Set(tokens).size, 1);
  assert.equal((await emu.requests('vpc-iam-token')).length, 1);
});

test('an error of step 1 carries the service\'s fields; step 2 is not sent', async () => {
  await emu.enqueue({ endpoint: 'vpc-token', status: 403, error: { code: 'forbidden', message: 'identity tokens are off' } });
  const r = await settle(vpc().getToken());
  assert.ok(r.error instanceof IamcoreError);
  assert.equal(r.error.code, 'IAMCORE_AUTH');
  assert.equal(r.error.status, 403);
  assert.equal(r.error.errorCode, 'forbidden');
  assert.equal(r.error.errorMessage, 'identity tokens are off');
  assert.equal(r.error.requestId.length, 36);
  assert.match(r.error.message, /^VPC instance identity token request failed: HTTP 403/);
  assert.equal((await emu.requests('vpc-iam-token')).length, 0);
});

test('an error of step 2 carries the target as errorDetails', async () => {
  await emu.enqueue({
    endpoint: 'vpc-iam-token',
    status: 400,
    error: { code: 'invalid_value', message: 'not linked', target: { name: 'trusted_profile', type: 'field' } },
  });
  const r = await settle(vpc({ iamProfileId: 'P-9' }).getToken());
  assert.equal(r.error.code, 'IAMCORE_AUTH');
  assert.equal(r.error.errorCode, 'invalid_value');
  assert.equal(r.error.errorDetails, '{"name":"trusted_profile","type":"field"}');
  assert.match(r.error.message, /^VPC IAM token request failed: HTTP 400/);
});

test('malformed answers, an unreachable service and a hanging one', async () => {
  await emu.enqueue({ endpoint: 'vpc-token', body: '{not json' }, { endpoint: 'vpc-iam-token', json: { expires_in: 60 } });
  const auth = vpc();
  assert.equal((await settle(auth.getToken())).error.code, 'IAMCORE_PARSE');
  assert.equal((await settle(auth.getToken())).error.code, 'IAMCORE_PARSE');
  assert.ok(await auth.getToken());

  const down = await settle(vpc({ url: 'http://127.0.0.1:1', maxRetries: 0 }).getToken());
  assert.equal(down.error.code, 'IAMCORE_TRANSPORT');

  await emu.enqueue({ endpoint: 'vpc-token', hang: true });
  const hung = await settle(vpc({ timeout: 500 }).getToken());
  assert.equal(hung.error.code, 'IAMCORE_TIMEOUT');
});

test('the identity token never shows in an error', async () => {
  await emu.enqueue(
    { endpoint: 'vpc-token', json: { access_token: 'identity-secret-4242', expires_in: 300 } },
    { endpoint: 'vpc-iam-token', status: 401, error: { code: 'not_authorized', message: 'identity-secret-4242 is unknown' } },
  );
  const r = await settle(vpc().getToken());
  for (const text of [r.error.message, r.error.errorMessage, util.inspect(r.error), String(r.error.stack)]) {
    assert.ok(!text.includes('identity-secret-4242'), 'the identity token is not shown');
  }
  const [post] = await emu.requests('vpc-iam-token');
  assert.ok(post.headers.authorization === 'Bearer identity-secret-4242', 'it was sent');
});

test('concurrent callers share one request per step', async () => {
  await emu.tokenSettings({ delay_ms: 300 });
  const auth = vpc({ iamProfileCrn: 'crn:v1:x' });
  const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? auth.getToken() : auth.authenticate({}).then(() => 't'))));
  assert.equal(new Set(tokens.filter((t) => t !== 't')).size, 1);
  assert.equal((await emu.requests('vpc-token')).length, 1);
  assert.equal((await emu.requests('vpc-iam-token')).length, 1);
});

test('configuration errors', () => {
  const cases = [
    [{ iamProfileCrn: 'c', iamProfileId: 'i' }, /not both/],
    [{ vpcImsVersion: '2022-02-28' }, /vpc_ims_version/],
    [{ vpcImsVersion: 20250826 }, /vpcImsVersion/],
    [{ headers: { Authorization: 'Bearer x' } }, /Authorization/],
    [{ url: 'ftp://x' }, /url/],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => new VpcInstanceAuthenticator(options), (err) => err.code === 'IAMCORE_CONFIG' && pattern.test(err.message));
  }
  // options the metadata service does not take are refused, naming the option, never its value
  for (const name of ['apikey', 'clientSecret', 'iamProfileName', 'scope']) {
    assert.throws(
      () => new VpcInstanceAuthenticator({ [name]: 'value-not-shown' }),
      (err) => err.code === 'IAMCORE_CONFIG' && err.message === `VpcInstanceAuthenticator: unknown option '${name}'`,
    );
  }
  // undefined counts as not given
  const auth = new VpcInstanceAuthenticator({ iamProfileName: undefined });
  assert.deepEqual(auth.toJSON(), { type: 'VpcInstanceAuthenticator', authenticationType: 'vpc' });
});

test('inspect and JSON show the non-secret options', () => {
  const auth = vpc({ iamProfileId: 'P-1', vpcImsVersion: '2025-08-26' });
  assert.equal(auth.authenticationType(), 'vpc');
  assert.deepEqual(auth.toJSON(), {
    type: 'VpcInstanceAuthenticator', authenticationType: 'vpc', url: emu.http, iamProfileId: 'P-1', vpcImsVersion: '2025-08-26',
  });
  assert.match(util.inspect(auth), /^VpcInstanceAuthenticator \{/);
});
