'use strict';
// Bad configuration throws at construction; a bad CR-token file rejects at the
// first fetch without any request.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { IamAuthenticator, ContainerAuthenticator, IamcoreError } = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

let emu;
let tmp;
before(async () => {
  emu = await Emulator.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-node-config-'));
});
after(async () => {
  await emu.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

function configError(err) {
  assert.ok(err instanceof IamcoreError, 'an IamcoreError');
  assert.equal(err.code, 'IAMCORE_CONFIG');
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
  return true;
}

const IAM_CASES = [
  ['no options', undefined],
  ['missing apikey', {}],
  ['empty apikey', { apikey: '' }],
  ['apikey in double quotes', { apikey: '"abc-def"' }],
  ['apikey in braces', { apikey: '{abc-def}' }],
  ['apikey ending with a quote', { apikey: 'abc-def"' }],
  ['apikey starting with a brace', { apikey: '{abc-def' }],
  ['apikey not a string', { apikey: 12345 }],
  ['apikey with a NUL', { apikey: 'abc\0def' }],
  ['clientId without clientSecret', { apikey: 'k', clientId: 'id' }],
  ['clientSecret without clientId', { apikey: 'k', clientSecret: 'secret' }],
  ['timeout 0', { apikey: 'k', timeout: 0 }],
  ['negative timeout', { apikey: 'k', timeout: -5 }],
  ['timeout NaN', { apikey: 'k', timeout: NaN }],
  ['timeout not a number', { apikey: 'k', timeout: '1000' }],
  ['header value with CR/LF', { apikey: 'k', headers: { 'X-A': 'a\r\nX-Injected: b' } }],
  ['header value with LF', { apikey: 'k', headers: { 'X-A': 'a\nb' } }],
  ['header name with CR/LF', { apikey: 'k', headers: { 'X-A\r\nX-B': 'v' } }],
  ['header value not a string', { apikey: 'k', headers: { 'X-A': 1 } }],
  ['headers not an object', { apikey: 'k', headers: 'X-A: b' }],
  ['disableSslVerification not a boolean', { apikey: 'k', disableSslVerification: 'yes' }],
  ['options not an object', 'apikey'],
  ['connectTimeout 0', { apikey: 'k', connectTimeout: 0 }],
  ['negative maxRetries', { apikey: 'k', maxRetries: -1 }],
  ['fractional maxRetries', { apikey: 'k', maxRetries: 1.5 }],
  ['maxRetries over 100', { apikey: 'k', maxRetries: 101 }],
];

for (const [label, options] of IAM_CASES) {
  test(`IamAuthenticator: ${label} → IAMCORE_CONFIG thrown at construction`, () => {
    assert.throws(() => new IamAuthenticator(options), configError);
  });
}

const CONTAINER_CASES = [
  ['no profile', { crTokenFilename: '/tmp/x' }],
  ['empty profile name', { iamProfileName: '' }],
  ['clientId without clientSecret', { iamProfileName: 'p', clientId: 'id' }],
  ['timeout 0', { iamProfileName: 'p', timeout: 0 }],
  ['header with CR/LF', { iamProfileName: 'p', headers: { 'X-A': 'a\r\nb' } }],
];

for (const [label, options] of CONTAINER_CASES) {
  test(`ContainerAuthenticator: ${label} → IAMCORE_CONFIG thrown at construction`, () => {
    assert.throws(() => new ContainerAuthenticator(options), configError);
  });
}

test('construction does no network I/O', async () => {
  new IamAuthenticator({ apikey: 'k', url: emu.http });
  new ContainerAuthenticator({ iamProfileName: 'p', crTokenFilename: '/nonexistent', url: emu.http });
  assert.equal((await emu.requests()).length, 0);
});

test('a configuration error message names the option, never the value', () => {
  const value = 'config-secret-value-42';
  try {
    new IamAuthenticator({ apikey: `"${value}"` });
    assert.fail('no error thrown');
  } catch (err) {
    configError(err);
    assert.ok(!err.message.includes(value), 'the message contains the API key');
    assert.ok(!String(err.stack).includes(value), 'the stack contains the API key');
  }
});

test('a missing CR-token file → IAMCORE_TOKEN_FILE at the first getToken(), no request', async () => {
  const file = path.join(tmp, 'does-not-exist');
  const auth = new ContainerAuthenticator({ iamProfileName: 'p', crTokenFilename: file, url: emu.http });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assert.ok(r.error instanceof IamcoreError);
  assert.equal(r.error.code, 'IAMCORE_TOKEN_FILE');
  assert.ok(r.error.message.includes(file), `the message names the path: ${r.error.message}`);
  assert.equal((await emu.requests()).length, 0, 'no request reached the token service');

  // authenticate() rejects the same way, every time (nothing left pending).
  const again = await settle(auth.authenticate({}));
  assert.equal(again.ok, false);
  assert.equal(again.error.code, 'IAMCORE_TOKEN_FILE');
});

test('an empty CR-token file → IAMCORE_TOKEN_FILE, no request', async () => {
  const file = path.join(tmp, 'empty-token');
  fs.writeFileSync(file, '');
  const auth = new ContainerAuthenticator({ iamProfileId: 'id', crTokenFilename: file, url: emu.http });
  const results = await Promise.all(Array.from({ length: 5 }, () => settle(auth.getToken())));
  for (const r of results) {
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'IAMCORE_TOKEN_FILE');
    assert.ok(r.error.message.includes(file), `the message names the path: ${r.error.message}`);
  }
  assert.equal((await emu.requests()).length, 0);

  // The file appears: the next call succeeds.
  fs.writeFileSync(file, 'now-a-cr-token\n');
  assert.equal(typeof (await auth.getToken()), 'string');
  assert.equal((await emu.requests()).length, 1);
});

test('without crTokenFilename the platform default files are tried and named', async (t) => {
  const defaults = [
    '/var/run/secrets/tokens/vault-token',
    '/var/run/secrets/tokens/sa-token',
    '/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token',
  ];
  if (defaults.some((f) => fs.existsSync(f))) {
    t.skip('a platform CR-token file exists on this machine');
    return;
  }
  const auth = new ContainerAuthenticator({ iamProfileName: 'p', url: emu.http });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'IAMCORE_TOKEN_FILE');
  for (const f of defaults) assert.ok(r.error.message.includes(f), `the message names ${f}: ${r.error.message}`);
  assert.equal((await emu.requests()).length, 0);
});
