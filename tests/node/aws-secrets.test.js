'use strict';
// AWS secrets (secret access keys, session tokens) and the tokens made from them
// never show in util.inspect / JSON / String output of iamcore's objects or in
// its errors. Assertion messages never include the secret itself.

const crypto = require('node:crypto');
const { isolateAwsEnv } = require('./aws-env.js');

isolateAwsEnv();
const random = (label) => `${label}${crypto.randomBytes(15).toString('base64').replace(/[+/=]/g, 'x')}`;
const ENV_SECRET = random('envsecret');
const ENV_TOKEN = random('envtoken');
process.env.AWS_ACCESS_KEY_ID = 'AKIAENVSECRETTEST';
process.env.AWS_SECRET_ACCESS_KEY = ENV_SECRET;
process.env.AWS_SESSION_TOKEN = ENV_TOKEN;

const { test } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { RdsSigner, DsqlSigner, aws, IamcoreError } = require('../../node/index.js');

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
    ['spread', util.inspect({ ...value }, { showHidden: true })],
    ['structuredClone', (() => {
      try {
        return util.inspect(structuredClone(value), { showHidden: true });
      } catch {
        return '';
      }
    })()],
  ];
  if (value instanceof Error) {
    out.push(['stack', String(value.stack)], ['message', value.message]);
    for (const key of ['status', 'errorCode', 'errorMessage', 'errorDetails', 'requestId', 'transactionId', 'cause']) {
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

test('resolved credentials hide the secret key and the session token', async () => {
  const c = await aws.resolveCredentials();
  assert.ok(c instanceof aws.AwsCredentials);
  assert.equal(c.source, 'env');
  assert.equal(c.accessKeyId, 'AKIAENVSECRETTEST');
  // Readable on purpose, by name only.
  assert.ok(c.secretAccessKey === ENV_SECRET, 'secretAccessKey getter');
  assert.ok(c.sessionToken === ENV_TOKEN, 'sessionToken getter');
  assertHidden(c, { 'secret key': ENV_SECRET, 'session token': ENV_TOKEN });
  assert.deepEqual(Object.keys(c).sort(), ['accessKeyId', 'source']);
  assert.match(util.inspect(c), /AKIAENVSECRETTEST/);
  assert.match(util.inspect(c), /<hidden>/);
});

test('signers show neither the credentials nor the tokens', async () => {
  const secret = random('secret');
  const session = random('session');
  const rds = new RdsSigner({ hostname: 'db.abcdefghijkl.us-east-1.rds.amazonaws.com', port: 5432, username: 'app', credentials: { accessKeyId: 'AKIAEXPLICIT', secretAccessKey: secret, sessionToken: session } });
  assertHidden(rds, { 'secret key': secret, 'session token': session });
  const token = await rds.getAuthToken();
  assert.ok(token.includes(encodeURIComponent(session)) || token.includes(session), 'the token carries the session token');
  assertHidden(rds, { 'secret key': secret, 'session token': session, token });
  assert.match(util.inspect(rds), /db\.abcdefghijkl\.us-east-1\.rds\.amazonaws\.com/);

  let fnSecret;
  const fnSigner = new RdsSigner({
    hostname: 'db.abcdefghijkl.us-east-1.rds.amazonaws.com',
    port: 5432,
    username: 'app',
    credentials: async () => ({ accessKeyId: 'AKIAFN', secretAccessKey: (fnSecret = random('fnsecret')) }),
  });
  const fnToken = await fnSigner.getAuthToken();
  assertHidden(fnSigner, { 'secret key': fnSecret, token: fnToken });

  const dsql = new DsqlSigner({ hostname: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', credentials: { accessKeyId: 'AKIAEXPLICIT', secretAccessKey: secret, sessionToken: session } });
  const dt = await dsql.getDbConnectAdminAuthToken();
  assertHidden(dsql, { 'secret key': secret, 'session token': session, token: dt });
});

test('signing errors show no secret', async () => {
  const secret = random('secret');
  const session = random('session');
  const cases = [
    // a control character in the session token
    { credentials: { accessKeyId: 'AKIA1', secretAccessKey: secret, sessionToken: `${session}\n` } },
    // expired
    { credentials: { accessKeyId: 'AKIA1', secretAccessKey: secret, sessionToken: session, expiration: new Date(1000e3) } },
    // a secret far too long
    { credentials: { accessKeyId: 'AKIA1', secretAccessKey: secret.repeat(200), sessionToken: session } },
    // a NUL in the secret
    { credentials: { accessKeyId: 'AKIA1', secretAccessKey: `${secret}\0x`, sessionToken: session } },
    // a bad header next to good credentials
    { credentials: { accessKeyId: 'AKIA1', secretAccessKey: secret, sessionToken: session }, headers: { 'X-Amz-Security-Token': session } },
  ];
  for (const extra of cases) {
    const err = await aws
      .signRequest({ url: 'https://h.example/', service: 's', region: 'us-east-1', ...extra })
      .then(() => assert.fail('resolved'), (e) => e);
    assert.ok(err instanceof IamcoreError);
    assert.equal(err.code, 'IAMCORE_CONFIG');
    assertHidden(err, { 'secret key': secret, 'session token': session });
  }
  // Constructors too.
  try {
    new RdsSigner({ hostname: 'bad host', port: 1, username: 'u', region: 'us-east-1', credentials: { accessKeyId: 'AKIA1', secretAccessKey: `${secret}\0` } });
    assert.fail('no error thrown');
  } catch (err) {
    assert.ok(err instanceof IamcoreError);
    assertHidden(err, { 'secret key': secret });
  }
});

test('a chain failure names the sources, not the values', async () => {
  // AWS_PROFILE points at a missing profile: the error names it and nothing else.
  const err = await aws.resolveCredentials({ profile: 'missing-profile' }).then(() => assert.fail('resolved'), (e) => e);
  assert.equal(err.code, 'IAMCORE_CONFIG');
  assert.match(err.message, /missing-profile/);
  assertHidden(err, { 'environment secret': ENV_SECRET, 'environment session token': ENV_TOKEN });
});
