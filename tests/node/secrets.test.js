'use strict';
// API keys, client secrets and tokens never show in inspect/JSON/String output or
// in errors. Assertion messages never include the secret itself.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const util = require('node:util');

const { IamAuthenticator, ContainerAuthenticator, IamcoreError } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

const random = (label) => `${label}-${crypto.randomBytes(12).toString('hex')}`;

// Every rendering of a value a user might log.
function renderings(value) {
  const out = [
    ['util.inspect', util.inspect(value)],
    ['util.inspect showHidden', util.inspect(value, { showHidden: true, depth: Infinity, getters: true })],
    ['util.inspect no custom', util.inspect(value, { customInspect: false, showHidden: true, depth: Infinity })],
    ['util.format %o', util.format('%o', value)],
    ['util.format %j', util.format('%j', value)],
    ['JSON.stringify', String(JSON.stringify(value))],
    ['String()', String(value)],
    ['template literal', `${value}`],
    ['Object.keys', Object.keys(value).join(',')],
    ['own property names', Object.getOwnPropertyNames(value).join(',')],
    ['own values', Object.values(value).map(String).join(',')],
  ];
  if (value instanceof Error) {
    out.push(['stack', String(value.stack)], ['message', value.message]);
    for (const key of ['status', 'errorCode', 'errorMessage', 'errorDetails', 'requestId', 'transactionId']) {
      out.push([`field ${key}`, String(value[key])]);
    }
  }
  return out;
}

function assertHidden(value, secrets) {
  for (const [how, text] of renderings(value)) {
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(!text.includes(secret), `${how} shows the ${name}`);
    }
  }
}

test('an authenticator shows neither its API key, client secret nor token', async () => {
  const apikey = random('apikey');
  const clientSecret = random('client-secret');
  const auth = new IamAuthenticator({ apikey, clientId: 'bx', clientSecret, url: emu.http, scope: 'ibm' });
  assertHidden(auth, { 'API key': apikey, 'client secret': clientSecret });

  const token = await auth.getToken();
  const options = {};
  await auth.authenticate(options);
  assertHidden(auth, { 'API key': apikey, 'client secret': clientSecret, token, 'bearer header': 'Bearer ' });

  // The non-secret options are shown.
  const shown = util.inspect(auth);
  assert.match(shown, /IamAuthenticator/);
  assert.ok(shown.includes(emu.http), 'inspect shows the url');
  const json = JSON.parse(JSON.stringify(auth));
  assert.equal(json.type, 'IamAuthenticator');
  assert.equal(json.authenticationType, 'iam');
  assert.equal(json.url, emu.http);
  assert.equal(json.clientId, 'bx');
  assert.equal(String(auth), '[object IamAuthenticator]');
});

test('header values and proxy credentials are not shown', () => {
  const headerSecret = random('header-secret');
  const proxyPassword = random('proxy-password');
  const auth = new ContainerAuthenticator({
    iamProfileName: 'p',
    crTokenFilename: '/nonexistent',
    headers: { 'X-Api-Secret': headerSecret },
    proxy: `http://user:${proxyPassword}@127.0.0.1:3128`,
  });
  assertHidden(auth, { 'header value': headerSecret, 'proxy password': proxyPassword });
  assert.ok(util.inspect(auth).includes('X-Api-Secret'), 'header names are shown');
});

test('an authentication error shows neither the API key nor the client secret', async () => {
  const apikey = random('apikey');
  const clientSecret = random('client-secret');
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found' } });
  const auth = new IamAuthenticator({ apikey, clientId: 'bx', clientSecret, url: emu.http });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assert.ok(r.error instanceof IamcoreError);
  assertHidden(r.error, { 'API key': apikey, 'client secret': clientSecret });
});

test('an error echoing the API key in its body is redacted', async () => {
  const apikey = random('apikey');
  await emu.enqueue({
    status: 400,
    error: { errorCode: 'BXNIM0415E', errorMessage: `key ${apikey} not found`, errorDetails: `apikey=${apikey}` },
  });
  const auth = new IamAuthenticator({ apikey, url: emu.http });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assertHidden(r.error, { 'API key': apikey });
});

test('parse and transport errors show no secret', async () => {
  const apikey = random('apikey');
  const clientSecret = random('client-secret');
  await emu.enqueue({ status: 200, body: `{"access_token": "${apikey}` });
  const auth = new IamAuthenticator({ apikey, clientId: 'bx', clientSecret, url: emu.http, timeout: 2000 });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assertHidden(r.error, { 'API key': apikey, 'client secret': clientSecret });

  const tls = new IamAuthenticator({ apikey, clientId: 'bx', clientSecret, url: emu.https, timeout: 2000 });
  const t = await settle(tls.getToken());
  assert.equal(t.ok, false);
  assertHidden(t.error, { 'API key': apikey, 'client secret': clientSecret });
});

test('a token file error shows no CR token and a config error no secret', async () => {
  const clientSecret = random('client-secret');
  const auth = new ContainerAuthenticator({
    iamProfileName: 'p',
    crTokenFilename: '/nonexistent/cr-token',
    clientId: 'bx',
    clientSecret,
    url: emu.http,
  });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assertHidden(r.error, { 'client secret': clientSecret });

  const apikey = random('apikey');
  try {
    new IamAuthenticator({ apikey: `{${apikey}}`, clientSecret });
    assert.fail('no error thrown');
  } catch (err) {
    assert.ok(err instanceof IamcoreError, 'an IamcoreError');
    assertHidden(err, { 'API key': apikey, 'client secret': clientSecret });
  }
});
