'use strict';
// What the token service receives: headers and form body of each grant.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { IamAuthenticator, ContainerAuthenticator, version } = require('../../node/index.js');
const { Emulator } = require('./emulator.js');

const APIKEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';
const CR_GRANT = 'urn:ibm:params:oauth:grant-type:cr-token';

let emu;
let tmp;
before(async () => {
  emu = await Emulator.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-node-grant-'));
});
after(async () => {
  await emu.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

// Compare without printing the values: some are credentials.
function assertSame(actual, expected, what) {
  assert.ok(actual === expected, `${what} differs from the expected value`);
}

async function onlyRequest() {
  const reqs = await emu.requests();
  assert.equal(reqs.length, 1, 'exactly one token request');
  return reqs[0];
}

test('API key grant: form body and standard headers', async () => {
  const apikey = 'grant-test-key-1234';
  const auth = new IamAuthenticator({ apikey, url: emu.http });
  const token = await auth.getToken();
  assert.equal(typeof token, 'string');
  assert.ok(token.split('.').length === 3, 'a JWT-shaped token');

  const req = await onlyRequest();
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/identity/token');
  assert.deepEqual(Object.keys(req.form).sort(), ['apikey', 'grant_type', 'response_type']);
  assert.equal(req.form.grant_type, APIKEY_GRANT);
  assertSame(req.form.apikey, apikey, 'form apikey');
  assert.equal(req.form.response_type, 'cloud_iam');
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(req.headers.accept, 'application/json');
  assert.equal(req.headers.authorization, undefined, 'no Basic auth without client credentials');
  const ua = req.headers['user-agent'];
  assert.ok(ua.startsWith(`iamcore/${version}`), `User-Agent: ${ua}`);
  assert.ok(ua.includes(`node/${process.version}`), `User-Agent: ${ua}`);
});

test('API key grant: scope, extra headers, special characters form-encoded', async () => {
  const apikey = 'key with spaces&=+/%';
  const auth = new IamAuthenticator({
    apikey,
    url: emu.http,
    scope: 'ibm openid',
    headers: { 'X-Custom-Header': 'custom value', 'X-Other': 'two' },
  });
  await auth.getToken();
  const req = await onlyRequest();
  assertSame(req.form.apikey, apikey, 'decoded form apikey');
  assert.equal(req.form.scope, 'ibm openid');
  assert.equal(req.headers['x-custom-header'], 'custom value');
  assert.equal(req.headers['x-other'], 'two');
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
});

test('Basic auth only when clientId and clientSecret are both set', async () => {
  const clientId = 'bx';
  const clientSecret = 'grant-test-client-secret';
  const auth = new IamAuthenticator({ apikey: 'grant-test-key', url: emu.http, clientId, clientSecret });
  await auth.getToken();
  const req = await onlyRequest();
  const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  assertSame(req.headers.authorization, expected, 'Authorization header');
  const decoded = Buffer.from(req.headers.authorization.slice(6), 'base64').toString();
  assertSame(decoded, `${clientId}:${clientSecret}`, 'decoded Basic credentials');
});

for (const [label, suffix] of [
  ['a trailing slash', '/'],
  ['the /identity/token suffix', '/identity/token'],
  ['the /identity/token/ suffix', '/identity/token/'],
]) {
  test(`url with ${label} posts to /identity/token`, async () => {
    const auth = new IamAuthenticator({ apikey: 'grant-test-key', url: emu.http + suffix });
    await auth.getToken();
    const req = await onlyRequest();
    assert.equal(req.path, '/identity/token');
  });
}

test('container grant: cr_token from the file (one trailing newline stripped) and profile name', async () => {
  const file = path.join(tmp, 'cr-token-name');
  fs.writeFileSync(file, 'cr-token-content-abc\n');
  const auth = new ContainerAuthenticator({ iamProfileName: 'my-profile', crTokenFilename: file, url: emu.http });
  assert.equal(auth.authenticationType(), 'container');
  await auth.getToken();
  const req = await onlyRequest();
  assert.equal(req.form.grant_type, CR_GRANT);
  assertSame(req.form.cr_token, 'cr-token-content-abc', 'form cr_token');
  assert.equal(req.form.profile_name, 'my-profile');
  assert.equal(req.form.profile_id, undefined);
  assert.equal(req.form.profile_crn, undefined);
  assert.equal(req.form.response_type, undefined, 'no response_type in the cr-token grant');
  assert.equal(req.form.apikey, undefined);
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(req.headers.accept, 'application/json');
  assert.ok(req.headers['user-agent'].startsWith('iamcore/'));
});

test('container grant: profile id, profile crn, scope and Basic auth', async () => {
  const file = path.join(tmp, 'cr-token-id');
  fs.writeFileSync(file, 'cr-token-id-content');
  const crn = 'crn:v1:bluemix:public:iam-identity::a/123::profile:Profile-1';
  const auth = new ContainerAuthenticator({
    iamProfileId: 'Profile-1234',
    iamProfileCrn: crn,
    crTokenFilename: file,
    url: emu.http,
    scope: 'custom',
    clientId: 'cid',
    clientSecret: 'container-client-secret',
  });
  await auth.getToken();
  const req = await onlyRequest();
  assert.equal(req.form.grant_type, CR_GRANT);
  assertSame(req.form.cr_token, 'cr-token-id-content', 'form cr_token');
  assert.equal(req.form.profile_id, 'Profile-1234');
  assert.equal(req.form.profile_crn, crn);
  assert.equal(req.form.profile_name, undefined);
  assert.equal(req.form.scope, 'custom');
  const expected = `Basic ${Buffer.from('cid:container-client-secret').toString('base64')}`;
  assertSame(req.headers.authorization, expected, 'Authorization header');
});

test('container grant: only one trailing newline is stripped', async () => {
  const file = path.join(tmp, 'cr-token-2nl');
  fs.writeFileSync(file, 'abc\n\n');
  const auth = new ContainerAuthenticator({ iamProfileName: 'p', crTokenFilename: file, url: emu.http });
  await auth.getToken();
  const req = await onlyRequest();
  assertSame(req.form.cr_token, 'abc\n', 'form cr_token');
});

test('the CR token file is re-read at every fetch', async () => {
  const file = path.join(tmp, 'cr-token-rotating');
  fs.writeFileSync(file, 'first-cr-token\n');
  const auth = new ContainerAuthenticator({ iamProfileName: 'p', crTokenFilename: file, url: emu.http });
  await auth.getToken();
  fs.writeFileSync(file, 'second-cr-token\n');
  auth.invalidate();
  await auth.getToken();
  const reqs = await emu.requests();
  assert.equal(reqs.length, 2);
  assertSame(reqs[0].form.cr_token, 'first-cr-token', 'first cr_token');
  assertSame(reqs[1].form.cr_token, 'second-cr-token', 'second cr_token');
});
