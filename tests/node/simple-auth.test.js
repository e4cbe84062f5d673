'use strict';
// BearerTokenAuthenticator, BasicAuthenticator, NoAuthAuthenticator: the header,
// input rules (as node-sdk-core's), promises, and secrets kept out of sight.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { BearerTokenAuthenticator, BasicAuthenticator, NoAuthAuthenticator, IamcoreError } = require('../../node/index.js');

const TOKEN = 'bearer-secret-0123456789';
const PASSWORD = 'password-secret-9876543210';

function renderings(value) {
  return [
    util.inspect(value),
    util.inspect(value, { showHidden: true, depth: Infinity, getters: true }),
    util.inspect(value, { customInspect: false, showHidden: true, depth: Infinity }),
    util.format('%o', value),
    JSON.stringify(value),
    String(value),
    Object.keys(value).join(','),
    Object.values(value).map(String).join(','),
  ];
}

function assertConfigError(fn, pattern, secret) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof IamcoreError);
    assert.equal(err.code, 'IAMCORE_CONFIG');
    assert.match(err.message, pattern);
    if (secret) assert.ok(!err.message.includes(secret), 'no secret in the message');
    return true;
  });
}

test('bearer token: the header, setBearerToken, nothing shown', async () => {
  const auth = new BearerTokenAuthenticator({ bearerToken: TOKEN });
  const options = {};
  const p = auth.authenticate(options);
  assert.ok(p instanceof Promise);
  assert.ok(options.headers.Authorization === `Bearer ${TOKEN}`, 'set before the promise settles');
  assert.equal(await p, undefined);
  auth.setBearerToken('other-token-1');
  const withHeaders = { headers: { 'X-A': '1' } };
  await auth.authenticate(withHeaders);
  assert.deepEqual(withHeaders.headers, { 'X-A': '1', Authorization: 'Bearer other-token-1' });
  assert.equal(auth.authenticationType(), 'bearerToken');
  auth.setBearerToken(TOKEN);
  for (const text of renderings(auth)) assert.ok(!text.includes(TOKEN), 'the token is not shown');
});

test('bearer token rules', async () => {
  for (const bad of [undefined, null, '', 'a\r\nX-Evil: 1', 'nul\0x', 42]) {
    assertConfigError(() => new BearerTokenAuthenticator({ bearerToken: bad }), /bearerToken/);
  }
  assertConfigError(() => new BearerTokenAuthenticator(), /options/);
  const auth = new BearerTokenAuthenticator({ bearerToken: TOKEN });
  assertConfigError(() => auth.setBearerToken(''), /bearerToken/);
  const options = {};
  await auth.authenticate(options);
  assert.ok(options.headers.Authorization === `Bearer ${TOKEN}`, 'a refused replacement keeps the token');
});

test('basic: the header, username shown, password never', async () => {
  const auth = new BasicAuthenticator({ username: 'user ü', password: PASSWORD });
  const options = { headers: null };
  await auth.authenticate(options);
  const [scheme, value] = options.headers.Authorization.split(' ');
  assert.equal(scheme, 'Basic');
  assert.ok(Buffer.from(value, 'base64').toString('utf8') === `user ü:${PASSWORD}`, 'username:password');
  assert.equal(auth.username, 'user ü');
  assert.equal(auth.authenticationType(), 'basic');
  assert.deepEqual(auth.toJSON(), { type: 'BasicAuthenticator', authenticationType: 'basic', username: 'user ü' });
  for (const text of renderings(auth)) assert.ok(!text.includes(PASSWORD) && !text.includes(value), 'no password');
});

test('basic rules', () => {
  const cases = [
    [{ password: PASSWORD }, /username/],
    [{ username: '', password: PASSWORD }, /username/],
    [{ username: 'u' }, /password/],
    [{ username: 'u', password: '' }, /password/],
    [{ username: '"u"', password: PASSWORD }, /username/],
    [{ username: 'u', password: `{${PASSWORD}` }, /password/],
    [{ username: 'u:v', password: PASSWORD }, /colon/],
    [{ username: 1, password: PASSWORD }, /username/],
  ];
  for (const [options, pattern] of cases) assertConfigError(() => new BasicAuthenticator(options), pattern, PASSWORD);
});

test('no auth resolves and leaves the request alone', async () => {
  const auth = new NoAuthAuthenticator();
  const options = { headers: { 'X-A': '1' } };
  assert.equal(await auth.authenticate(options), undefined);
  assert.deepEqual(options, { headers: { 'X-A': '1' } });
  assert.equal(auth.authenticationType(), 'noAuth');
});

test('authenticate() rejects (never throws) on a bad request', async () => {
  for (const auth of [
    new BearerTokenAuthenticator({ bearerToken: TOKEN }),
    new BasicAuthenticator({ username: 'u', password: PASSWORD }),
    new NoAuthAuthenticator(),
  ]) {
    let promise;
    assert.doesNotThrow(() => {
      promise = auth.authenticate(null);
    });
    await assert.rejects(promise, TypeError);
  }
});
