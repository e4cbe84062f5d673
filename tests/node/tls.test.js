'use strict';
// HTTPS: verified by default, trusted with caFile, or not verified on request.

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

test('the emulator certificate is rejected by default', async () => {
  const auth = new IamAuthenticator({ apikey: 'tls-key', url: emu.https, timeout: 5000 });
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assert.ok(r.error instanceof IamcoreError);
  assert.equal(r.error.code, 'IAMCORE_TLS');
  assert.equal(r.error.status, undefined);
  assert.equal((await emu.requests()).length, 0, 'no request got through');
});

test('caFile trusts the emulator CA', async () => {
  const auth = new IamAuthenticator({ apikey: 'tls-key', url: emu.https, caFile: emu.caFile });
  const token = await auth.getToken();
  assert.equal(typeof token, 'string');
  const reqs = await emu.requests();
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0].scheme, 'https');
});

test('disableSslVerification accepts the certificate', async () => {
  const auth = new IamAuthenticator({ apikey: 'tls-key', url: emu.https, disableSslVerification: true });
  const token = await auth.getToken();
  assert.equal(typeof token, 'string');
  assert.equal((await emu.requests()).length, 1);
});

test('a missing caFile fails with a TLS or configuration error, not a crash', async () => {
  let auth;
  try {
    auth = new IamAuthenticator({ apikey: 'tls-key', url: emu.https, caFile: '/nonexistent/ca.pem' });
  } catch (err) {
    assert.equal(err.code, 'IAMCORE_CONFIG');
    return;
  }
  const r = await settle(auth.getToken());
  assert.equal(r.ok, false);
  assert.ok(['IAMCORE_TLS', 'IAMCORE_CONFIG'].includes(r.error.code), r.error.code);
});

// SSL_CERT_FILE is read when an authenticator makes its first request.
async function withSslCertFile(value, fn) {
  const saved = process.env.SSL_CERT_FILE;
  process.env.SSL_CERT_FILE = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.SSL_CERT_FILE;
    else process.env.SSL_CERT_FILE = saved;
  }
}

test('SSL_CERT_FILE is trusted without caFile', async () => {
  const token = await withSslCertFile(emu.caFile, () =>
    new IamAuthenticator({ apikey: 'tls-key', url: emu.https }).getToken());
  assert.equal(token.split('.').length, 3);
  assert.equal((await emu.requests()).length, 1);
});

test('caFile wins over SSL_CERT_FILE; SSL_CERT_FILE naming no file is IAMCORE_TLS naming it', async () => {
  const missing = '/nonexistent/iamcore-test-bundle.pem';
  const token = await withSslCertFile(missing, () =>
    new IamAuthenticator({ apikey: 'tls-key', url: emu.https, caFile: emu.caFile }).getToken());
  assert.equal(token.split('.').length, 3);
  const r = await withSslCertFile(missing, () =>
    settle(new IamAuthenticator({ apikey: 'tls-key', url: emu.https, timeout: 3000 }).getToken()));
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'IAMCORE_TLS');
  assert.ok(r.error.message.includes(missing), r.error.message);
});
