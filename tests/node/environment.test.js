'use strict';
// getAuthenticatorFromEnvironment: every auth type, every source, precedence,
// strict prefixes, errors naming properties (never values), and tokens fetched
// from the emulator by environment-configured authenticators. Each test file runs
// in its own process: changing process.env and the working directory is local.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');

const iamcore = require('../../node/index.js');
const { getAuthenticatorFromEnvironment: fromEnv } = iamcore;
const { Emulator, settle } = require('./emulator.js');

const SVC = 'my-test-svc'; // MY_TEST_SVC_*
const APIKEY = 'env-apikey-secret-0001';
const PASSWORD = 'env-password-secret-0001';
const BEARER = 'env-bearer-secret-0001';
const REFRESH = 'env-refresh-secret-0001';
const CLIENT_SECRET = 'env-client-secret-0001';
const SECRETS = [APIKEY, PASSWORD, BEARER, REFRESH, CLIENT_SECRET];

let emu;
let root;
let cwdDir;
let homeDir;
const startDir = process.cwd();
before(async () => {
  emu = await Emulator.start();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-node-env-'));
});
after(async () => {
  process.chdir(startDir);
  await emu.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

let n = 0;
beforeEach(async () => {
  await emu.reset();
  n += 1;
  cwdDir = path.join(root, `t${n}`, 'cwd');
  homeDir = path.join(root, `t${n}`, 'home');
  fs.mkdirSync(cwdDir, { recursive: true });
  fs.mkdirSync(homeDir, { recursive: true });
  process.chdir(cwdDir);
  process.env.HOME = homeDir;
  delete process.env.IBM_CREDENTIALS_FILE;
  delete process.env.VCAP_SERVICES;
  for (const name of Object.keys(process.env)) {
    if (/^(MY_TEST_SVC|S1|S10)_/.test(name)) delete process.env[name];
  }
});

function set(props, prefix = 'MY_TEST_SVC_') {
  for (const [name, value] of Object.entries(props)) process.env[prefix + name] = value;
}

function configError(service = SVC) {
  let error;
  assert.throws(() => fromEnv(service), (err) => {
    error = err;
    return err instanceof iamcore.IamcoreError && err.code === 'IAMCORE_CONFIG';
  });
  for (const text of [error.message, util.inspect(error), String(error.stack)]) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), 'no secret in the error');
  }
  return error;
}

function assertNoSecret(auth) {
  for (const text of [util.inspect(auth, { showHidden: true, depth: Infinity }), JSON.stringify(auth)]) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), 'no secret shown');
  }
}

test('every auth type', () => {
  const cases = [
    [{ APIKEY }, iamcore.IamAuthenticator, 'iam'],
    [{ AUTH_TYPE: 'iam', REFRESH_TOKEN: REFRESH, CLIENT_ID: 'bx', CLIENT_SECRET }, iamcore.IamAuthenticator, 'iam'],
    [{ IAM_PROFILE_NAME: 'p' }, iamcore.ContainerAuthenticator, 'container'],
    [{ AUTH_TYPE: 'VPC' }, iamcore.VpcInstanceAuthenticator, 'vpc'],
    [{ AUTH_TYPE: 'iamAssume', APIKEY, IAM_PROFILE_ID: 'p' }, iamcore.IamAssumeAuthenticator, 'iamAssume'],
    [{ AUTH_TYPE: 'bearerToken', BEARER_TOKEN: BEARER }, iamcore.BearerTokenAuthenticator, 'bearerToken'],
    [{ AUTHTYPE: 'basic', USERNAME: 'u', PASSWORD }, iamcore.BasicAuthenticator, 'basic'],
    [{ AUTH_TYPE: 'NOAUTH' }, iamcore.NoAuthAuthenticator, 'noAuth'],
  ];
  for (const [props, cls, type] of cases) {
    for (const name of Object.keys(process.env)) if (name.startsWith('MY_TEST_SVC_')) delete process.env[name];
    set(props);
    const auth = fromEnv(SVC);
    assert.equal(auth.constructor, cls, type);
    assert.equal(auth.authenticationType(), type);
    assertNoSecret(auth);
  }
});

test('the values reach the authenticators', async () => {
  set({ AUTH_TYPE: 'container', IAM_PROFILE_ID: 'Profile-1', IAM_PROFILE_CRN: 'crn:v1:x', AUTH_URL: 'https://iam.test.example', AUTH_DISABLE_SSL: 'TRUE' });
  assert.deepEqual(fromEnv(SVC).toJSON(), {
    type: 'ContainerAuthenticator', authenticationType: 'container', url: 'https://iam.test.example',
    iamProfileId: 'Profile-1', iamProfileCrn: 'crn:v1:x', disableSslVerification: true,
  });
  set({ AUTH_TYPE: 'basic', USERNAME: 'user-1', PASSWORD });
  const basic = fromEnv(SVC);
  assert.equal(basic.username, 'user-1');
  set({ AUTH_TYPE: 'bearerToken', BEARER_TOKEN: BEARER });
  const options = {};
  await fromEnv(SVC).authenticate(options);
  assert.ok(options.headers.Authorization === `Bearer ${BEARER}`, 'the bearer token');
});

test('credentials file sources', () => {
  fs.writeFileSync(path.join(homeDir, 'ibm-credentials.env'), `# c\nMY_TEST_SVC_AUTH_TYPE=bearerToken\nMY_TEST_SVC_BEARER_TOKEN=${BEARER}=x\n`);
  assert.equal(fromEnv(SVC).constructor, iamcore.BearerTokenAuthenticator);
  fs.writeFileSync(path.join(cwdDir, 'ibm-credentials.env'), 'MY_TEST_SVC_AUTH_TYPE=noAuth\n');
  assert.equal(fromEnv(SVC).constructor, iamcore.NoAuthAuthenticator);
  const chosen = path.join(cwdDir, 'chosen.env');
  fs.writeFileSync(chosen, `MY_TEST_SVC_APIKEY=${APIKEY}\n`);
  process.env.IBM_CREDENTIALS_FILE = chosen;
  assert.equal(fromEnv(SVC).constructor, iamcore.IamAuthenticator);
});

test('a missing IBM_CREDENTIALS_FILE falls through to the environment', () => {
  fs.writeFileSync(path.join(cwdDir, 'ibm-credentials.env'), 'MY_TEST_SVC_AUTH_TYPE=noAuth\n');
  process.env.IBM_CREDENTIALS_FILE = path.join(cwdDir, 'does-not-exist.env');
  set({ AUTH_TYPE: 'vpc' });
  assert.equal(fromEnv(SVC).constructor, iamcore.VpcInstanceAuthenticator);
});

test('the first source wins; sources never merge', () => {
  fs.writeFileSync(path.join(cwdDir, 'ibm-credentials.env'), 'MY_TEST_SVC_AUTH_TYPE=iam\n');
  set({ APIKEY });
  const e = configError();
  assert.match(e.message, /credentials file .* needs APIKEY/);
  fs.unlinkSync(path.join(cwdDir, 'ibm-credentials.env'));
  process.env.VCAP_SERVICES = JSON.stringify({ [SVC]: [{ credentials: { username: 'u', password: PASSWORD } }] });
  assert.equal(fromEnv(SVC).constructor, iamcore.IamAuthenticator, 'the environment before VCAP_SERVICES');
});

test('VCAP_SERVICES', () => {
  const cases = [
    [{ apikey: APIKEY }, iamcore.IamAuthenticator],
    [{ iam_apikey: APIKEY }, iamcore.IamAuthenticator],
    [{ username: 'u', password: PASSWORD }, iamcore.BasicAuthenticator],
  ];
  for (const [credentials, cls] of cases) {
    process.env.VCAP_SERVICES = JSON.stringify({
      other: [{ name: SVC, credentials }],
      [SVC]: [{ name: 'not-this-one', credentials: { apikey: 'wrong' } }],
    });
    assert.equal(fromEnv(SVC).constructor, cls);
  }
  process.env.VCAP_SERVICES = `{"x": [{"credentials": {"apikey": "${APIKEY}"`;
  assert.match(configError().message, /VCAP_SERVICES/);
});

test('strict prefix: service s1 never reads S10_*', () => {
  set({ APIKEY }, 'S10_');
  assert.match(configError('s1').message, /no configuration found/);
  set({ AUTH_TYPE: 'noAuth' }, 'S1_');
  assert.equal(fromEnv('s1').constructor, iamcore.NoAuthAuthenticator);
  assert.equal(fromEnv('s10').constructor, iamcore.IamAuthenticator);
});

test('nothing found, an unknown type, a bad service name', () => {
  const none = configError();
  assert.match(none.message, /no configuration found/);
  assert.match(none.message, /MY_TEST_SVC_/);
  set({ AUTH_TYPE: 'cp4d', APIKEY });
  assert.match(configError().message, /AUTH_TYPE.*bearerToken/);
  assert.throws(() => fromEnv(42), (err) => err.code === 'IAMCORE_CONFIG' && /serviceName/.test(err.message));
  assert.throws(() => fromEnv(''), (err) => err.code === 'IAMCORE_CONFIG');
});

test('missing or bad properties are named, never shown', () => {
  const cases = [
    [{ AUTH_TYPE: 'iam' }, /APIKEY/],
    [{ AUTH_TYPE: 'iam', REFRESH_TOKEN: REFRESH }, /CLIENT_ID/],
    [{ AUTH_TYPE: 'container' }, /IAM_PROFILE_NAME/],
    [{ AUTH_TYPE: 'vpc', IAM_PROFILE_ID: 'a', IAM_PROFILE_CRN: 'b' }, /not both/],
    [{ AUTH_TYPE: 'vpc', VPC_IMS_VERSION: 'yesterday' }, /VPC_IMS_VERSION/],
    [{ AUTH_TYPE: 'iamAssume', APIKEY, IAM_PROFILE_NAME: 'n' }, /IAM_ACCOUNT_ID/],
    [{ AUTH_TYPE: 'bearerToken' }, /BEARER_TOKEN/],
    [{ AUTH_TYPE: 'basic', USERNAME: 'u' }, /PASSWORD/],
    [{ APIKEY: `"${APIKEY}"` }, /APIKEY/],
    [{ APIKEY, AUTH_URL: 'iam.cloud.ibm.com' }, /AUTH_URL/],
  ];
  for (const [props, pattern] of cases) {
    for (const name of Object.keys(process.env)) if (name.startsWith('MY_TEST_SVC_')) delete process.env[name];
    set(props);
    assert.match(configError().message, pattern);
  }
});

test('a value that is not UTF-8 is named', () => {
  fs.writeFileSync(path.join(cwdDir, 'ibm-credentials.env'), Buffer.concat([
    Buffer.from('MY_TEST_SVC_AUTH_TYPE=bearerToken\nMY_TEST_SVC_BEARER_TOKEN=ab'), Buffer.from([0xff, 0xfe]), Buffer.from('cd\n'),
  ]));
  assert.match(configError().message, /BEARER_TOKEN/);
});

test('tokens from the emulator through environment-configured authenticators', async () => {
  set({ APIKEY, AUTH_URL: emu.http, SCOPE: 'ibm openid' });
  const iam = fromEnv(SVC);
  assert.equal((await iam.getToken()).split('.').length, 3);
  const [r] = await emu.requests('iam');
  assert.ok(r.form.apikey === APIKEY, 'the API key from the environment');
  assert.equal(r.form.scope, 'ibm openid');
  assert.match(r.headers['user-agent'], /\(iam; node\//);

  set({ AUTH_URL: emu.https });
  assert.equal((await settle(fromEnv(SVC).getToken())).error.code, 'IAMCORE_TLS');
  set({ AUTH_DISABLE_SSL: 'true' });
  assert.ok(await fromEnv(SVC).getToken());

  const cr = path.join(cwdDir, 'cr-token');
  fs.writeFileSync(cr, 'cr-token-value\n');
  set({ AUTH_TYPE: 'container', IAM_PROFILE_NAME: 'p1', CR_TOKEN_FILENAME: cr, AUTH_URL: emu.http, AUTH_DISABLE_SSL: '' });
  assert.ok(await fromEnv(SVC).getToken());
  assert.equal((await emu.requests('iam')).at(-1).form.cr_token, 'cr-token-value');

  set({ AUTH_TYPE: 'vpc', IAM_PROFILE_NAME: '', IAM_PROFILE_ID: 'Profile-5', VPC_IMS_VERSION: '2025-08-26' });
  assert.ok(await fromEnv(SVC).getToken());
  assert.equal((await emu.requests('vpc-iam-token')).at(-1).path, '/identity/v1/iam_tokens');

  set({ AUTH_TYPE: 'iamAssume', IAM_PROFILE_ID: 'Profile-6' });
  assert.ok(await fromEnv(SVC).getToken());
  assert.equal((await emu.requests('iam')).at(-1).form.profile_id, 'Profile-6');

  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0408E', errorMessage: 'expired' } });
  for (const name of Object.keys(process.env)) if (name.startsWith('MY_TEST_SVC_')) delete process.env[name];
  set({ AUTH_TYPE: 'iam', REFRESH_TOKEN: REFRESH, CLIENT_ID: 'bx', CLIENT_SECRET, AUTH_URL: emu.http });
  const refused = await settle(fromEnv(SVC).getToken());
  assert.equal(refused.error.errorCode, 'BXNIM0408E');
  const last = (await emu.requests('iam')).at(-1);
  assert.equal(last.form.grant_type, 'refresh_token');
  assert.ok(last.form.refresh_token === REFRESH, 'the refresh token from the environment');
});
