'use strict';
// db2.connectionString: the Db2 on Cloud IAM connection string, with an access
// token from an authenticator (iamcore's or ibm-cloud-sdk-core's, both against
// the emulator) or with an API key; every bad option rejects IAMCORE_CONFIG
// naming the option, never its value.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sdkCore = require('ibm-cloud-sdk-core');

const iamcore = require('../../node/index.js');
const { db2, IamAuthenticator, ContainerAuthenticator, IamcoreError } = iamcore;
const { Emulator } = require('./emulator.js');

const PREFIX = 'DATABASE=BLUDB;HOSTNAME=db2.example.databases.appdomain.cloud;PORT=30119;PROTOCOL=TCPIP;Security=SSL;Authentication=GSSPLUGIN;';
const BASE = { database: 'BLUDB', hostname: 'db2.example.databases.appdomain.cloud', port: 30119 };
const API_KEY = 'db2-test-api-key';

let emu;
let dir;
before(async () => {
  emu = await Emulator.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-db2-test-'));
});
after(async () => {
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

/** Settles `promise`, which must reject with an IamcoreError of `code`; returns the error. */
async function rejection(promise, code) {
  const err = await promise.then(
    () => assert.fail('resolved'),
    (e) => e,
  );
  assert.ok(err instanceof IamcoreError, `not an IamcoreError: ${err}`);
  assert.equal(err.code, code);
  return err;
}

function pairs(text) {
  return text.split(';').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
}

test('an IamAuthenticator: ACCESSTOKEN= with the token from IAM, the keys in a fixed order', async () => {
  const authenticator = new IamAuthenticator({ apikey: API_KEY, url: emu.http });
  const text = await db2.connectionString({ ...BASE, authenticator });
  const token = await authenticator.getToken();
  assert.equal(text, `${PREFIX}ACCESSTOKEN=${token}`);
  assert.deepEqual(pairs(text).map(([k]) => k), [
    'DATABASE', 'HOSTNAME', 'PORT', 'PROTOCOL', 'Security', 'Authentication', 'ACCESSTOKEN',
  ]);
  const iam = await emu.requests('iam');
  assert.equal(iam.length, 1);
  assert.equal(iam[0].form.grant_type, 'urn:ibm:params:oauth:grant-type:apikey');
  assert.ok(!text.includes(API_KEY), 'the API key is exchanged, not sent to Db2');
});

test('a trusted profile (ContainerAuthenticator): no API key anywhere', async () => {
  const crToken = path.join(dir, 'cr-token');
  fs.writeFileSync(crToken, 'db2-cr-token\n');
  const authenticator = new ContainerAuthenticator({ iamProfileName: 'db2-profile', crTokenFilename: crToken, url: emu.http });
  const text = await db2.connectionString({ ...BASE, port: '30119', authenticator });
  assert.equal(text, `${PREFIX}ACCESSTOKEN=${await authenticator.getToken()}`);
  const [request] = await emu.requests('iam');
  assert.equal(request.form.grant_type, 'urn:ibm:params:oauth:grant-type:cr-token');
  assert.equal(request.form.profile_name, 'db2-profile');
});

test("an ibm-cloud-sdk-core authenticator: the token of its Bearer header", async () => {
  const authenticator = new sdkCore.IamAuthenticator({ apikey: API_KEY, url: emu.http });
  const text = await db2.connectionString({ ...BASE, authenticator });
  const request = {};
  await authenticator.authenticate(request);
  assert.equal(`${text}`, `${PREFIX}ACCESSTOKEN=${request.headers.Authorization.slice('Bearer '.length)}`);
  assert.equal((await emu.requests('iam')).length, 1);
});

test('apikey: APIKEY=, nothing fetched', async () => {
  assert.equal(await db2.connectionString({ ...BASE, apikey: API_KEY }), `${PREFIX}APIKEY=${API_KEY}`);
  assert.equal((await emu.requests()).length, 0);
});

test('exported by the package, frozen, also as ESM', async () => {
  assert.ok(Object.isFrozen(db2));
  assert.equal((await import('iamcore')).db2, db2);
});

test('the authenticator\'s error rejects the call unchanged', async () => {
  const authenticator = new IamAuthenticator({ apikey: 'bad-key', url: emu.http, maxRetries: 0 });
  const err = await rejection(db2.connectionString({ ...BASE, authenticator }), 'IAMCORE_AUTH');
  assert.equal(err.errorCode, 'BXNIM0415E');
});

test('exactly one of authenticator and apikey', async () => {
  const authenticator = new IamAuthenticator({ apikey: API_KEY, url: emu.http });
  for (const extra of [{}, { authenticator, apikey: API_KEY }, { authenticator: null, apikey: undefined }]) {
    const err = await rejection(db2.connectionString({ ...BASE, ...extra }), 'IAMCORE_CONFIG');
    assert.match(err.message, /exactly one of 'authenticator' and 'apikey'/);
    assert.ok(!err.message.includes(API_KEY));
  }
  assert.equal((await emu.requests()).length, 0);
});

test('bad values reject IAMCORE_CONFIG naming the option, never the value', async () => {
  const cases = [
    ['database', { database: 'BLUDB;Authentication=SERVER' }],
    ['database', { database: '' }],
    ['database', { database: undefined }],
    ['database', { database: 42 }],
    ['database', { database: 'BLU DB' }],
    ['hostname', { hostname: 'db2.example;Security=NONE' }],
    ['hostname', { hostname: 'db2.example\nSecurity=NONE' }],
    ['hostname', { hostname: '{db2.example}' }],
    ['port', { port: 0 }],
    ['port', { port: 65536 }],
    ['port', { port: 30119.5 }],
    ['port', { port: -1 }],
    ['port', { port: '30119;Security=NONE' }],
    ['port', { port: ' 30119' }],
    ['port', { port: undefined }],
    ['apikey', { apikey: 'key;Authentication=SERVER' }],
    ['apikey', { apikey: '' }],
    ['apikey', { apikey: 7 }],
  ];
  for (const [name, change] of cases) {
    const options = { apikey: API_KEY, ...BASE, ...change };
    const err = await rejection(db2.connectionString(options), 'IAMCORE_CONFIG');
    assert.ok(err.message.startsWith(`db2.connectionString: '${name}' must`), err.message);
    for (const v of Object.values(change)) {
      if (typeof v === 'string' && v !== '') assert.ok(!err.message.includes(v), `value of ${name} in the message`);
    }
    assert.ok(!err.message.includes(API_KEY));
  }
});

test('not an object, an unknown option, an object that is no authenticator', async () => {
  for (const bad of [undefined, null, 'DATABASE=x', 5]) {
    const p = db2.connectionString(bad);
    assert.ok(p instanceof Promise, 'never throws');
    assert.match((await rejection(p, 'IAMCORE_CONFIG')).message, /options must be an object/);
  }
  const typo = await rejection(db2.connectionString({ ...BASE, host: 'x', apikey: API_KEY }), 'IAMCORE_CONFIG');
  assert.match(typo.message, /unknown option 'host'/);
  for (const authenticator of [{}, 'token', { getToken: 'x' }]) {
    const err = await rejection(db2.connectionString({ ...BASE, authenticator }), 'IAMCORE_CONFIG');
    assert.match(err.message, /'authenticator' must have getToken\(\)/);
  }
});

test('a token that would break the string rejects IAMCORE_PARSE without showing it', async () => {
  const bad = 'eyJ0eXAi;Authentication=SERVER';
  for (const authenticator of [
    { getToken: async () => bad },
    { getToken: async () => '' },
    { getToken: async () => undefined },
    { authenticate: async (r) => { r.headers.Authorization = `Bearer ${bad}`; } },
  ]) {
    const err = await rejection(db2.connectionString({ ...BASE, authenticator }), 'IAMCORE_PARSE');
    assert.ok(!err.message.includes(bad));
  }
  const basic = new sdkCore.BasicAuthenticator({ username: 'user', password: 'db2-password' });
  const err = await rejection(db2.connectionString({ ...BASE, authenticator: basic }), 'IAMCORE_CONFIG');
  assert.match(err.message, /Bearer/);
  assert.ok(!err.message.includes('db2-password'));
});

test('db2: the same rules as Python — white space, host names, the server certificate', async () => {
  const { db2 } = require('../..');
  const base = { database: 'bludb', hostname: 'db2.example.com', port: 30376, apikey: 'k-123456' };
  for (const [name, bad] of [['database', 'blu db'], ['hostname', 'db2 .example.com'], ['apikey', 'k-123456 '], ['sslServerCertificate', ' /certs/ca.pem']]) {
    await assert.rejects(db2.connectionString({ ...base, [name]: bad }), (e) => {
      assert.equal(e.code, 'IAMCORE_CONFIG');
      assert.match(e.message, new RegExp(`'${name}'`));
      assert.ok(!e.message.includes('k-123456'));
      return true;
    });
  }
  const s = await db2.connectionString({ ...base, sslServerCertificate: '/certs/Db2 CA.pem' });
  assert.equal(
    s,
    'DATABASE=bludb;HOSTNAME=db2.example.com;PORT=30376;PROTOCOL=TCPIP;Security=SSL;Authentication=GSSPLUGIN;' +
      'SSLServerCertificate=/certs/Db2 CA.pem;APIKEY=k-123456',
  );
});
