'use strict';
// iamcore's authenticators where ibm-cloud-sdk-core expects an Authenticator:
// the real @ibm-cloud/cloudant client (a BaseService) with an iamcore
// IamAuthenticator or ContainerAuthenticator, the token from the emulator, the
// Cloudant calls to a loopback server that records their Authorization header.
// A failed token fetch rejects the Cloudant call with iamcore's error.

// The service's external configuration (CLOUDANT_*, credentials files) must not
// come from the machine.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('CLOUDANT_') || name === 'IBM_CREDENTIALS_FILE' || name === 'VCAP_SERVICES') delete process.env[name];
}

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { CloudantV1 } = require('@ibm-cloud/cloudant');
const sdkCore = require('ibm-cloud-sdk-core');

const { IamAuthenticator, ContainerAuthenticator, IamcoreError } = require('../../node/index.js');
const { Emulator } = require('./emulator.js');
const { DEAD_ENDPOINT } = require('./aws-env.js'); // a loopback port nothing listens on

const API_KEY = 'cloudant-test-api-key';
const WELCOME = { couchdb: 'Welcome', version: '3.3.3', vendor: { name: 'IBM Cloudant', version: '8521', variant: 'paas' }, features: ['iam'] };

let emu;
let dir;
let cloudant; // the loopback "Cloudant": { url, requests, server }

function startCloudant() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => {
      const body = req.url === '/' ? WELCOME : req.url === '/_all_dbs' ? ['movies', 'reviews'] : { error: 'not_found' };
      res.writeHead(req.url === '/' || req.url === '/_all_dbs' ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, requests, server }));
  });
}

before(async () => {
  emu = await Emulator.start();
  cloudant = await startCloudant();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-sdk-core-test-'));
});
after(async () => {
  cloudant.server.closeAllConnections();
  await new Promise((resolve) => cloudant.server.close(resolve));
  await emu.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await emu.reset();
  cloudant.requests.length = 0;
});

function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

test('CloudantV1.newInstance with an IamAuthenticator: Bearer <the token IAM issued>, fetched once', async () => {
  const authenticator = new IamAuthenticator({ apikey: API_KEY, url: emu.http });
  assert.equal(authenticator.authenticationType(), sdkCore.Authenticator.AUTHTYPE_IAM);
  const service = CloudantV1.newInstance({ authenticator });
  service.setServiceUrl(cloudant.url);
  assert.equal(service.getAuthenticator(), authenticator);

  const info = await service.getServerInformation();
  assert.equal(info.status, 200);
  assert.equal(info.result.couchdb, 'Welcome');
  const dbs = await service.getAllDbs();
  assert.deepEqual(dbs.result, ['movies', 'reviews']);

  const iam = await emu.requests('iam');
  assert.equal(iam.length, 1, 'one token for both calls');
  assert.equal(iam[0].form.grant_type, 'urn:ibm:params:oauth:grant-type:apikey');
  const token = await authenticator.getToken();
  assert.equal(jwtPayload(token).grant_type, 'urn:ibm:params:oauth:grant-type:apikey');
  assert.deepEqual(cloudant.requests.map((r) => [r.method, r.url, r.authorization]), [
    ['GET', '/', `Bearer ${token}`],
    ['GET', '/_all_dbs', `Bearer ${token}`],
  ]);
});

test('new CloudantV1 with a ContainerAuthenticator (trusted profile)', async () => {
  const crToken = path.join(dir, 'cr-token');
  fs.writeFileSync(crToken, 'cloudant-cr-token\n');
  const authenticator = new ContainerAuthenticator({ iamProfileName: 'cloudant-reader', crTokenFilename: crToken, url: emu.http });
  assert.equal(authenticator.authenticationType(), sdkCore.Authenticator.AUTHTYPE_CONTAINER);
  const service = new CloudantV1({ authenticator, serviceUrl: cloudant.url });

  const info = await service.getServerInformation();
  assert.equal(info.result.vendor.name, 'IBM Cloudant');
  const [request] = await emu.requests('iam');
  assert.equal(request.form.grant_type, 'urn:ibm:params:oauth:grant-type:cr-token');
  assert.equal(request.form.profile_name, 'cloudant-reader');
  assert.equal(cloudant.requests[0].authorization, `Bearer ${await authenticator.getToken()}`);
});

test('concurrent Cloudant calls on a cold authenticator share one token request', async () => {
  await emu.tokenSettings({ delay_ms: 200 });
  const authenticator = new IamAuthenticator({ apikey: API_KEY, url: emu.http });
  const service = new CloudantV1({ authenticator, serviceUrl: cloudant.url });
  const results = await Promise.all(Array.from({ length: 5 }, () => service.getServerInformation()));
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200]);
  assert.equal((await emu.requests('iam')).length, 1);
  const header = `Bearer ${await authenticator.getToken()}`;
  assert.deepEqual(cloudant.requests.map((r) => r.authorization), Array(5).fill(header));
});

test('an IAM error rejects the Cloudant call with iamcore\'s error; nothing reaches the service', { timeout: 20000 }, async () => {
  const authenticator = new IamAuthenticator({ apikey: 'bad-key', url: emu.http, maxRetries: 0 });
  const service = new CloudantV1({ authenticator, serviceUrl: cloudant.url });
  const err = await service.getServerInformation().then(
    () => assert.fail('resolved'),
    (e) => e,
  );
  assert.ok(err instanceof IamcoreError);
  assert.equal(err.code, 'IAMCORE_AUTH');
  assert.equal(err.status, 400);
  assert.equal(err.errorCode, 'BXNIM0415E');
  assert.ok(!err.message.includes('bad-key'));
  assert.equal(cloudant.requests.length, 0);
});

test('an unreachable token service rejects the call (IAMCORE_TRANSPORT), not a hang', { timeout: 20000 }, async () => {
  const authenticator = new IamAuthenticator({ apikey: API_KEY, url: DEAD_ENDPOINT, maxRetries: 0, timeout: 5000 });
  const service = new CloudantV1({ authenticator, serviceUrl: cloudant.url });
  const err = await service.getServerInformation().then(
    () => assert.fail('resolved'),
    (e) => e,
  );
  assert.equal(err.code, 'IAMCORE_TRANSPORT');
  assert.ok(!err.message.includes(API_KEY));
  assert.equal(cloudant.requests.length, 0);
});

test('a BaseService of ibm-cloud-sdk-core sends the Authorization header iamcore set', async () => {
  // What every generated IBM Node SDK client does: createRequest() runs
  // authenticator.authenticate(defaultOptions), then sends the request.
  class ExampleV1 extends sdkCore.BaseService {
    ping() {
      return this.createRequest({
        options: { url: '/', method: 'GET' },
        defaultOptions: { ...this.baseOptions, headers: { Accept: 'application/json' } },
      });
    }
  }
  const authenticator = new IamAuthenticator({ apikey: API_KEY, url: emu.http });
  const service = new ExampleV1({ authenticator, serviceUrl: cloudant.url });
  const res = await service.ping();
  assert.equal(res.status, 200);
  assert.equal(cloudant.requests[0].authorization, `Bearer ${await authenticator.getToken()}`);
});
