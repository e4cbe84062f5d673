'use strict';
// The fault matrix (docs/faults.md), Node side: every way a token or credentials fetch
// can fail, each cell asserting the error code, its fields and how long the failure
// took. The emulator fails inside HTTP; helpers/fault-servers.js below it (silent and
// closing listeners, HTTPS with bad certificates). The same cells run in Python in
// tests/python/test_faults.py. Bounds: the configured limit plus SLACK_MS.

const { isolateAwsEnv, DEAD_ENDPOINT } = require('./aws-env.js');

const files = isolateAwsEnv();

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const {
  IamAuthenticator,
  ContainerAuthenticator,
  VpcInstanceAuthenticator,
  IamAssumeAuthenticator,
  IamcoreError,
  aws,
} = require('../../node/index.js');
const { Emulator } = require('./emulator.js');
const faults = require('./helpers/fault-servers.js');

const SLACK_MS = 2000; // what a loaded two-core machine may add to a bound
// Three default retries wait 125-250, 250-500 and 500-1000 ms: at most 1.75 s in all.
const RETRY_WAITS_MIN_MS = 875;
const RETRY_WAITS_MAX_MS = 1750;
const SIZE_CAP = 1024 * 1024; // IAM_DEFAULT_MAX_RESPONSE_BYTES
const AWS_SIZE_CAP = 64 * 1024;

let emu;
let tmp;
let certs;
before(async () => {
  emu = await Emulator.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-faults-'));
  certs = faults.makeCertificates(tmp);
});
after(async () => {
  await emu.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  await emu.reset();
  aws.invalidateCredentials();
});

const iam = (extra = {}) => new IamAuthenticator({ apikey: 'fault-test-key', url: emu.http, timeout: 5000, ...extra });
const vpc = (extra = {}) => new VpcInstanceAuthenticator({ url: emu.http, timeout: 5000, ...extra });
const assume = (extra = {}) =>
  new IamAssumeAuthenticator({ apikey: 'fault-assume-key', iamProfileId: 'Profile-F', url: emu.http, timeout: 5000, ...extra });
function container(extra = {}) {
  let file = extra.crTokenFilename;
  if (file === undefined) {
    file = path.join(tmp, `cr-${process.hrtime.bigint()}`);
    fs.writeFileSync(file, 'cr-token-value\n');
  }
  return new ContainerAuthenticator({ iamProfileName: 'p', url: emu.http, timeout: 5000, ...extra, crTokenFilename: file });
}

/** call() must reject with an IamcoreError of `code` within `withinMs`; returns { error, ms }. */
async function fails(code, call, withinMs) {
  const t0 = performance.now();
  let error;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  assert.ok(error instanceof IamcoreError, `an IamcoreError, got ${error}`);
  assert.equal(error.code, code, `${error.code}: ${error.message}`);
  assert.ok(ms < withinMs, `${code} after ${ms.toFixed(0)} ms, bound ${withinMs} ms`);
  return { error, ms };
}

/** Fields of a failure that got no HTTP answer from the service. */
function assertNoAnswer(e) {
  assert.equal(e.status, undefined);
  assert.deepEqual([e.errorCode, e.errorMessage, e.requestId, e.transactionId], [undefined, undefined, undefined, undefined]);
}

const repeat = (n, value) => Array.from({ length: n }, () => value);

// ---------------------------------------------------------------- connection

test('connection refused (default retries): IAMCORE_TRANSPORT after 4 attempts', async () => {
  const url = `http://127.0.0.1:${await faults.closedPort()}`;
  const { error, ms } = await fails('IAMCORE_TRANSPORT', () => iam({ url }).getToken(), RETRY_WAITS_MAX_MS + SLACK_MS);
  assertNoAnswer(error);
  assert.equal(error.attempts, 4);
  assert.ok(ms >= RETRY_WAITS_MIN_MS * 0.9, `gave up after ${ms} ms`);
  assert.ok(error.message.includes(url));
});

test('DNS failure (a name under .invalid): IAMCORE_TRANSPORT naming the host', async () => {
  const a = iam({ url: 'http://iam-emulator.invalid', maxRetries: 1 });
  const t0 = performance.now();
  const error = await a.getToken().then(() => null, (e) => e);
  assert.ok(performance.now() - t0 < 5000 + SLACK_MS);
  assert.ok(error instanceof IamcoreError);
  assertNoAnswer(error);
  if (error.code === 'IAMCORE_TIMEOUT') {
    // A resolver that never answers used up the time.
    assert.match(error.message, /Resolving timed out/);
  } else {
    assert.equal(error.code, 'IAMCORE_TRANSPORT', error.message);
    assert.ok(error.message.includes('Could not resolve host: iam-emulator.invalid'), error.message);
    assert.equal(error.attempts, 2, 'retried once, like a refused connection');
  }
});

test('a server that accepts and never answers: IAMCORE_TIMEOUT at the timeout', async () => {
  const server = await faults.silentServer();
  try {
    const { error, ms } = await fails('IAMCORE_TIMEOUT', () => iam({ url: server.url, timeout: 1000 }).getToken(), 1000 + SLACK_MS);
    assert.ok(ms >= 900, `gave up after ${ms} ms`);
    assertNoAnswer(error);
    assert.ok(error.attempts >= 1);
    assert.ok(server.accepted >= 1, 'the connection was accepted');
  } finally {
    await server.close();
  }
});

test('a server that hangs up without answering: retried, then IAMCORE_TRANSPORT', async () => {
  const server = await faults.closingServer();
  try {
    const { error } = await fails('IAMCORE_TRANSPORT', () => iam({ url: server.url }).getToken(), RETRY_WAITS_MAX_MS + SLACK_MS);
    assertNoAnswer(error);
    assert.equal(error.attempts, 4);
    assert.equal(server.accepted, 4);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------- TLS

for (const [defect, says] of [
  ['selfSigned', /self.signed/i],
  ['wrongHost', /subject name|host name|does not match/i],
  ['expired', /expired/i],
]) {
  test(`TLS, ${defect} certificate: IAMCORE_TLS, not retried; accepted with verification off`, async () => {
    const server = await faults.tlsTokenServer(certs[defect]);
    try {
      // The test CA is trusted: the one defect is the only reason to refuse.
      const { error } = await fails('IAMCORE_TLS', () => iam({ url: server.url, caFile: certs.ca }).getToken(), SLACK_MS);
      assertNoAnswer(error);
      assert.equal(error.attempts, 1);
      assert.match(error.message, says);
      assert.equal(server.requests, 0, 'no request went out');
      const insecure = iam({ url: server.url, disableSslVerification: true });
      assert.equal(await insecure.getToken(), faults.TOKEN_ANSWER.access_token);
    } finally {
      await server.close();
    }
  });
}

test('TLS control: a good certificate of the same CA is accepted', async () => {
  const server = await faults.tlsTokenServer(certs.good);
  try {
    assert.equal(await iam({ url: server.url, caFile: certs.ca }).getToken(), faults.TOKEN_ANSWER.access_token);
    assert.equal(server.requests, 1);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------- the HTTP exchange

for (const where of ['iam', 'vpc-token']) {
  test(`headers then a stalled body (${where}): IAMCORE_TIMEOUT at the timeout`, async () => {
    await emu.enqueue(...repeat(4, { endpoint: where, stall: true, token: true }));
    const a = where === 'iam' ? iam({ timeout: 1000 }) : vpc({ timeout: 1000 });
    const { error, ms } = await fails('IAMCORE_TIMEOUT', () => a.getToken(), 1000 + SLACK_MS);
    assert.ok(ms >= 900, `gave up after ${ms} ms`);
    assertNoAnswer(error);
    assert.ok(error.attempts >= 1);
    assert.equal((await emu.requests('vpc-iam-token')).length, 0);
  });
}

test('a truncated body: retried, then IAMCORE_TRANSPORT; a truncation then a token succeeds', async () => {
  await emu.enqueue(...repeat(4, { truncate: true, token: true }));
  const { error } = await fails('IAMCORE_TRANSPORT', () => iam().getToken(), RETRY_WAITS_MAX_MS + SLACK_MS);
  assertNoAnswer(error);
  assert.equal(error.attempts, 4);
  assert.equal((await emu.requests()).length, 4);
  await emu.enqueue({ truncate: true, token: true });
  assert.equal((await iam().getToken()).split('.').length, 3);
  assert.equal((await emu.requests()).length, 6);
});

for (const step of [1, 2]) {
  test(`invalid JSON at assume step ${step}: IAMCORE_PARSE, not retried`, async () => {
    await emu.enqueue(...repeat(step - 1, { token: true }), { body: '{not json' });
    const { error } = await fails('IAMCORE_PARSE', () => assume().getToken(), SLACK_MS);
    assert.equal(error.status, 200);
    assert.equal(error.attempts, 1);
    assert.match(error.transactionId, /^emu-\d+$/);
    assert.match(error.message, /JSON/);
    assert.equal((await emu.requests()).length, step, 'step 2 is never sent after a failed step 1');
  });
}

test('valid JSON without access_token: IAMCORE_PARSE', async () => {
  await emu.enqueue({ json: { token_type: 'Bearer', expires_in: 3600 } });
  const { error } = await fails('IAMCORE_PARSE', () => container().getToken(), SLACK_MS);
  assert.equal(error.status, 200);
  assert.equal(error.attempts, 1);
  assert.match(error.message, /access_token/);
  assert.equal((await emu.requests()).length, 1);
});

for (const kind of ['iam', 'vpc']) {
  test(`an opaque token without expiry fields (${kind}): IAMCORE_PARSE`, async () => {
    await emu.tokenSettings({ jwt: false, expires_in: false, expiration: false });
    const a = kind === 'iam' ? iam() : vpc();
    const { error } = await fails('IAMCORE_PARSE', () => a.getToken(), SLACK_MS);
    assert.equal(error.status, 200);
    assert.equal(error.attempts, 1);
    assert.match(error.message, /expiry/);
  });
}

for (const [name, settings] of [['expiration field', {}], ['JWT exp', { expires_in: false, expiration: false }]]) {
  test(`a token already expired on arrival (${name}): IAMCORE_PARSE, never handed out`, async () => {
    await emu.tokenSettings({ iat_offset: -7200, lifetime: 3600, ...settings });
    const a = iam();
    const { error } = await fails('IAMCORE_PARSE', () => a.getToken(), SLACK_MS);
    assert.equal(error.status, 200);
    assert.equal(error.attempts, 1);
    assert.match(error.message, /expired/);
    // Nothing cached: authenticate() asks again; a good token is taken once IAM sends one.
    const options = {};
    await fails('IAMCORE_PARSE', () => a.authenticate(options), SLACK_MS);
    assert.equal(options.headers, undefined);
    await emu.tokenSettings({ iat_offset: 0 });
    assert.equal((await a.getToken()).split('.').length, 3);
    assert.equal((await emu.requests()).length, 3);
  });
}

test('a short-lived token (inside the expiry margin, not expired) is still handed out', async () => {
  await emu.tokenSettings({ lifetime: 5 });
  assert.equal((await iam().getToken()).split('.').length, 3);
});

test('a body over the size cap: IAMCORE_TRANSPORT, not retried; under it, a token', async () => {
  await emu.enqueue({ token: true, pad_bytes: SIZE_CAP }, { token: true, pad_bytes: 4096 });
  const { error } = await fails('IAMCORE_TRANSPORT', () => iam().getToken(), SLACK_MS);
  assertNoAnswer(error);
  assert.equal(error.attempts, 1);
  assert.ok(error.message.includes(`larger than ${SIZE_CAP} bytes`), error.message);
  assert.equal((await emu.requests()).length, 1);
  assert.equal((await iam().getToken()).split('.').length, 3);
});

// ---------------------------------------------------------------- statuses and retries

for (const [form, value, low, high] of [
  ['seconds', () => '2', 1.9, 2.5],
  ['HTTP date', () => new Date(Date.now() + 3000).toUTCString(), 1.0, 3.1],
]) {
  test(`429 with Retry-After (${form}) is honoured within the timeout`, async () => {
    await emu.enqueue({ status: 429, headers: { 'Retry-After': value() } }, { token: true });
    const t0 = performance.now();
    assert.equal((await iam({ timeout: 8000 }).getToken()).split('.').length, 3);
    assert.ok(performance.now() - t0 < high * 1000 + SLACK_MS);
    const [first, second] = await emu.requests();
    const gap = second.time - first.time;
    assert.ok(gap >= low && gap < high + SLACK_MS / 1000, `the retry came ${gap.toFixed(3)} s after the 429`);
  });
}

test('429 with a Retry-After beyond the timeout: IAMCORE_AUTH 429 at once', async () => {
  await emu.enqueue(
    { status: 429, headers: { 'Retry-After': '60' }, error: { errorCode: 'BXNIM0429E', errorMessage: 'Too many requests' } },
    { token: true },
  );
  const { error } = await fails('IAMCORE_AUTH', () => iam({ timeout: 3000 }).getToken(), 1000);
  assert.equal(error.status, 429);
  assert.equal(error.attempts, 1);
  assert.equal(error.errorCode, 'BXNIM0429E');
  assert.equal((await emu.requests()).length, 1);
});

test('a 5xx storm then recovery: a token after 3 retries', async () => {
  await emu.enqueue(...repeat(3, { status: 503 }), { token: true });
  const t0 = performance.now();
  assert.equal((await iam().getToken()).split('.').length, 3);
  const ms = performance.now() - t0;
  assert.ok(ms >= RETRY_WAITS_MIN_MS * 0.9 && ms < RETRY_WAITS_MAX_MS + SLACK_MS, `${ms} ms`);
  assert.equal((await emu.requests()).length, 4);
});

test('a 5xx storm longer than the retries: IAMCORE_AUTH 503; the next call recovers', async () => {
  await emu.enqueue(...repeat(4, { status: 503, error: { errorCode: 'BXNIM0503E' } }));
  const a = iam();
  const { error } = await fails('IAMCORE_AUTH', () => a.getToken(), RETRY_WAITS_MAX_MS + SLACK_MS);
  assert.equal(error.status, 503);
  assert.equal(error.attempts, 4);
  assert.equal(error.errorCode, 'BXNIM0503E');
  assert.match(error.requestId, /^emu-req-\d+$/);
  assert.equal((await a.getToken()).split('.').length, 3);
  assert.equal((await emu.requests()).length, 5);
});

for (const [step, err] of [
  [1, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found' }],
  [2, { errorCode: 'BXNIM0398E', errorMessage: 'Trusted profile not eligible' }],
]) {
  test(`4xx at assume step ${step}: IAMCORE_AUTH with IAM's fields, not retried`, async () => {
    await emu.enqueue(...repeat(step - 1, { token: true }), { status: 400, error: err }, { token: true }, { token: true });
    const { error } = await fails('IAMCORE_AUTH', () => assume().getToken(), SLACK_MS);
    assert.equal(error.status, 400);
    assert.equal(error.attempts, 1);
    assert.equal(error.errorCode, err.errorCode);
    assert.equal(error.errorMessage, err.errorMessage);
    assert.match(error.requestId, /^emu-req-\d+$/);
    assert.match(error.transactionId, /^emu-\d+$/);
    assert.equal(/assume grant/.test(error.message), step === 2);
    assert.equal((await emu.requests()).length, step);
  });
}

const STEP1 = '/instance_identity/v1/token?';
const STEP2 = '/instance_identity/v1/iam_token?';
for (const [name, endpoint, fault, code, fields, says] of [
  ['step 1 hangs', 'vpc-token', { hang: true }, 'IAMCORE_TIMEOUT', [undefined, undefined], STEP1],
  ['step 2 hangs', 'vpc-iam-token', { hang: true }, 'IAMCORE_TIMEOUT', [undefined, undefined], STEP2],
  ['step 1 400', 'vpc-token', { status: 400, error: { code: 'invalid_value' } }, 'IAMCORE_AUTH', [400, 'invalid_value'], 'VPC instance identity token request'],
  ['step 2 401', 'vpc-iam-token', { status: 401, error: { code: 'not_authorized' } }, 'IAMCORE_AUTH', [401, 'not_authorized'], 'VPC IAM token request'],
  ['step 2 503 storm', 'vpc-iam-token', { status: 503 }, 'IAMCORE_AUTH', [503, undefined], 'VPC IAM token request'],
]) {
  test(`VPC, ${name}: ${code}`, async () => {
    await emu.enqueue(...repeat(4, { endpoint, ...fault }));
    const hang = code === 'IAMCORE_TIMEOUT';
    const a = vpc({ timeout: hang ? 1000 : 5000 });
    const { error } = await fails(code, () => a.getToken(), (hang ? 1000 : RETRY_WAITS_MAX_MS) + SLACK_MS);
    assert.deepEqual([error.status, error.errorCode], fields);
    assert.ok(error.message.includes(says), error.message);
    if (hang) assert.ok(error.attempts >= 1);
    else assert.equal(error.attempts, error.status >= 500 ? 4 : 1);
    assert.ok((await emu.requests('vpc-token')).length >= 1);
    assert.equal((await emu.requests('vpc-iam-token')).length, endpoint === 'vpc-token' ? 0 : error.attempts);
  });
}

test('assume step 2 hangs: IAMCORE_TIMEOUT at the timeout', async () => {
  await emu.enqueue({ token: true }, ...repeat(4, { hang: true }));
  const { error, ms } = await fails('IAMCORE_TIMEOUT', () => assume({ timeout: 1000 }).getToken(), 1000 + SLACK_MS);
  assert.ok(ms >= 900);
  assertNoAnswer(error);
  assert.ok((await emu.requests()).length >= 2);
});

// ---------------------------------------------------------------- the CR-token file

function unusableTokenFile(how, t) {
  const dir = fs.mkdtempSync(path.join(tmp, 'cr-'));
  const file = path.join(dir, 'cr-token');
  switch (how) {
    case 'missing':
      return [file, 'not found'];
    case 'empty':
      fs.writeFileSync(file, '\n');
      return [file, 'empty'];
    case 'a directory':
      fs.mkdirSync(file);
      return [file, 'not a regular file'];
    case 'a FIFO': // nobody ever writes: opening it must not wait
      require('node:child_process').execFileSync('mkfifo', [file]);
      return [file, 'not a regular file'];
    case 'without permission':
      if (process.getuid && process.getuid() === 0) {
        t.skip("root reads any file; 'a directory' and 'a FIFO' fail for root too");
        return null;
      }
      fs.writeFileSync(file, 'cr-token\n', { mode: 0 });
      return [file, 'ermission denied'];
    default:
      throw new Error(how);
  }
}

for (const how of ['missing', 'empty', 'a directory', 'a FIFO', 'without permission']) {
  test(`CR-token file ${how}: IAMCORE_TOKEN_FILE naming it, no request`, async (t) => {
    const made = unusableTokenFile(how, t);
    if (!made) return;
    const [file, why] = made;
    const { error } = await fails('IAMCORE_TOKEN_FILE', () => container({ crTokenFilename: file }).getToken(), 1000);
    assert.ok(error.message.includes(`${file} (${why})`), error.message);
    assertNoAnswer(error);
    assert.equal(error.attempts, 0);
    assert.equal((await emu.requests()).length, 0);
  });
}

test('CR-token file replaced between fetches (a Kubernetes-style symbolic link swap)', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'projected-'));
  const publish = (version, content) => {
    const d = path.join(dir, `..${version}`);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'token'), content);
    fs.symlinkSync(`..${version}`, path.join(dir, '..data.tmp'));
    fs.renameSync(path.join(dir, '..data.tmp'), path.join(dir, '..data'));
  };
  publish(1, 'cr-token-one\n');
  const file = path.join(dir, 'token');
  fs.symlinkSync('..data/token', file);
  const a = container({ crTokenFilename: file });
  await a.getToken();
  publish(2, 'cr-token-two\n');
  a.invalidate();
  await a.getToken();
  fs.unlinkSync(path.join(dir, '..data')); // the volume goes away
  a.invalidate();
  const { error } = await fails('IAMCORE_TOKEN_FILE', () => a.getToken(), 1000);
  assert.ok(error.message.includes(file));
  assert.equal(error.attempts, 0);
  publish(3, 'cr-token-three');
  await a.getToken();
  assert.deepEqual((await emu.requests()).map((r) => r.form.cr_token), ['cr-token-one', 'cr-token-two', 'cr-token-three']);
});

// ---------------------------------------------------------------- AWS

/** Set environment variables (undefined deletes one) for the duration of fn. */
async function withEnv(vars, fn) {
  const saved = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    aws.invalidateCredentials();
  }
}

function withConfig(text, fn) {
  fs.writeFileSync(files.config, text);
  return Promise.resolve(fn()).finally(() => fs.writeFileSync(files.config, ''));
}

for (const [name, script, code, says] of [
  ['exits with status 3', "echo 'sso session expired' >&2; exit 3", 'IAMCORE_AUTH', 'exited with status 3: sso session expired'],
  ['is killed', 'kill -9 $$', 'IAMCORE_AUTH', 'signal 9'],
  ['prints garbage', "echo 'AKIAGARBAGE0001 secret-garbage-value'", 'IAMCORE_PARSE', 'JSON'],
  ['prints JSON without the secret', `echo '{"Version": 1, "AccessKeyId": "AKIAPROCESS"}'`, 'IAMCORE_PARSE', 'SecretAccessKey'],
  ['prints Version 2', `echo '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "s"}'`, 'IAMCORE_PARSE', 'Version'],
  ['prints too much', "head -c 70000 /dev/zero | tr '\\0' ' '", 'IAMCORE_TRANSPORT', '64 KiB'],
]) {
  test(`credential_process ${name}: ${code}`, async () => {
    const helper = path.join(tmp, `helper-${process.hrtime.bigint()}.sh`);
    fs.writeFileSync(helper, `${script}\n`);
    await withConfig(`[default]\ncredential_process = /bin/sh ${helper}\n`, async () => {
      const { error } = await fails(code, () => aws.resolveCredentials(), SLACK_MS);
      assert.ok(error.message.includes(says), error.message);
      assert.ok(!error.message.includes('secret-garbage-value'), 'stdout is never quoted');
      assert.equal(error.status, undefined);
    });
    // The failure was not cached.
    await withConfig('[default]\naws_access_key_id = AKIASTATIC\naws_secret_access_key = s\n', async () => {
      assert.equal((await aws.resolveCredentials()).source, 'profile');
    });
    aws.invalidateCredentials();
  });
}

test('credential_process that cannot be run: IAMCORE_CONFIG', async () => {
  await withConfig(`[default]\ncredential_process = ${tmp}/no-such-helper --json\n`, async () => {
    const { error } = await fails('IAMCORE_CONFIG', () => aws.resolveCredentials(), SLACK_MS);
    assert.match(error.message, /credential_process/);
  });
});

const IMDS = { AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: undefined };
const imdsEnv = (extra = {}) => ({ ...IMDS, AWS_EC2_METADATA_SERVICE_ENDPOINT: emu.http, ...extra });

for (const refusal of [403, 404, 405]) {
  test(`IMDS token refused (${refusal}): falls back to IMDSv1`, async () => {
    await emu.awsSettings({ imds_token_status: refusal, imds_v1_allowed: true });
    await withEnv(imdsEnv(), async () => {
      const t0 = performance.now();
      const c = await aws.resolveCredentials();
      assert.ok(performance.now() - t0 < SLACK_MS);
      assert.equal(c.source, 'imds');
      assert.ok(c.sessionToken);
    });
    const gets = await emu.requests(['imds-role', 'imds-credentials']);
    assert.deepEqual(gets.map((r) => r.endpoint), ['imds-role', 'imds-credentials']);
    for (const r of gets) assert.equal(r.headers['x-aws-ec2-metadata-token'], undefined);
    assert.equal((await emu.requests('imds-token')).length, 1);
  });
}

test('IMDS token refused and IMDSv1 refused by the instance: IAMCORE_AUTH 401', async () => {
  await emu.awsSettings({ imds_token_status: 403, imds_v1_allowed: false });
  await withEnv(imdsEnv(), async () => {
    const { error } = await fails('IAMCORE_AUTH', () => aws.resolveCredentials(), SLACK_MS);
    assert.equal(error.status, 401);
    assert.ok(error.message.includes('instance metadata (role)'), error.message);
  });
});

test('IMDS token refused and AWS_EC2_METADATA_V1_DISABLED=true: IAMCORE_AUTH, no GET', async () => {
  await emu.awsSettings({ imds_token_status: 403, imds_v1_allowed: true });
  await withEnv(imdsEnv({ AWS_EC2_METADATA_V1_DISABLED: 'true' }), async () => {
    const { error } = await fails('IAMCORE_AUTH', () => aws.resolveCredentials(), SLACK_MS);
    assert.match(error.message, /AWS_EC2_METADATA_V1_DISABLED/);
    assert.match(error.message, /403/);
  });
  assert.equal((await emu.requests(['imds-role', 'imds-credentials'])).length, 0);
});

for (const status of [400, 500]) {
  test(`IMDS token answered ${status}: IAMCORE_AUTH, no IMDSv1 fallback`, async () => {
    await emu.awsSettings({ imds_token_status: status, imds_v1_allowed: true });
    await withEnv(imdsEnv(), async () => {
      const { error } = await fails('IAMCORE_AUTH', () => aws.resolveCredentials(), SLACK_MS);
      assert.equal(error.status, status);
    });
    assert.equal((await emu.requests(['imds-role', 'imds-credentials'])).length, 0);
  });
}

test('IMDS token request hangs: the chain ends (IAMCORE_CONFIG) at the metadata timeout', async () => {
  await emu.enqueue({ endpoint: 'imds-token', hang: true });
  await withEnv(imdsEnv({ AWS_METADATA_SERVICE_TIMEOUT: '0.5' }), async () => {
    const { error } = await fails('IAMCORE_CONFIG', () => aws.resolveCredentials(), 500 + SLACK_MS);
    assert.match(error.message, /instance metadata not reachable/);
  });
  assert.equal((await emu.requests(['imds-role', 'imds-credentials'])).length, 0);
});

for (const [name, fault, code, attempts, says] of [
  ['hangs', { hang: true }, 'IAMCORE_TIMEOUT', undefined, 'timed out'],
  ['stalls in the body', { stall: true, token: true }, 'IAMCORE_TIMEOUT', undefined, 'timed out'],
  ['truncates', { truncate: true, token: true }, 'IAMCORE_TRANSPORT', 3, undefined],
  ['answers too much', { token: true, pad_bytes: AWS_SIZE_CAP }, 'IAMCORE_TRANSPORT', 1, `larger than ${AWS_SIZE_CAP} bytes`],
  ['answers invalid JSON', { body: '{not json' }, 'IAMCORE_PARSE', 1, 'not a JSON object'],
  ['answers JSON without the secret', { json: { AccessKeyId: 'ASIAFAULT' } }, 'IAMCORE_PARSE', 1, 'SecretAccessKey'],
  ['answers 500 every time', { status: 500 }, 'IAMCORE_AUTH', 3, 'HTTP 500'],
]) {
  test(`the container credentials endpoint ${name}: ${code}`, async () => {
    await emu.enqueue(...repeat(3, { endpoint: 'container', ...fault }));
    await withEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emu.http}/container-credentials/task-1` }, async () => {
      // The container endpoint has 2 s in all, two retries included.
      const { error } = await fails(code, () => aws.resolveCredentials(), 2000 + SLACK_MS);
      if (attempts !== undefined) assert.equal(error.attempts, attempts);
      if (says) assert.ok(error.message.includes(says), error.message);
    });
  });
}

test('STS 5xx storm then recovery: web identity credentials after 3 retries', async () => {
  const tokenFile = path.join(tmp, 'web-identity-token');
  fs.writeFileSync(tokenFile, 'header.payload.sig');
  await emu.enqueue(...repeat(3, { endpoint: 'sts', status: 503 }));
  await withEnv(
    { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/fault', AWS_ENDPOINT_URL_STS: emu.http },
    async () => {
      const t0 = performance.now();
      assert.equal((await aws.resolveCredentials()).source, 'web-identity');
      assert.ok(performance.now() - t0 < RETRY_WAITS_MAX_MS + SLACK_MS);
    },
  );
  assert.equal((await emu.requests('sts')).length, 4);
  assert.equal(process.env.AWS_ENDPOINT_URL_STS, DEAD_ENDPOINT, 'the environment is restored');
});
