'use strict';
// SigV4 from Node: AWS's signing test suite through aws.signRequest() and
// aws.presignUrl(), botocore's RDS vector, the option forms and the error rules
// (async APIs reject, never throw). Explicit credentials only: no network.

const { isolateAwsEnv, queryPairs, queryMap } = require('./aws-env.js');

isolateAwsEnv();

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const iamcore = require('../../node/index.js');
const { aws, IamcoreError } = iamcore;

const SUITE = path.join(__dirname, '..', '..', '..', 'shared', 'aws-sigv4-suite', 'v4');
const suiteMissing = fs.existsSync(SUITE)
  ? false
  : `the SigV4 suite is not at ${SUITE} (it lives in the shared folder beside the repository)`;

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_TIME = new Date('2015-08-30T12:36:00Z');

// request.txt: request line, Name:value headers (an indented line continues the
// previous value), a blank line, the body.
function parseRequest(text) {
  const sep = text.indexOf('\n\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 2);
  const lines = head.split('\n');
  const first = lines.shift();
  const method = first.slice(0, first.indexOf(' '));
  const target = first.slice(first.indexOf(' ') + 1, first.lastIndexOf(' HTTP/'));
  const headers = [];
  for (const line of lines) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1][1] += `\n${line}`;
    else headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]);
  }
  return { method, target, headers, body };
}

function readCase(name) {
  const dir = path.join(SUITE, name);
  const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
  const ctx = JSON.parse(read('context.json'));
  const req = parseRequest(read('request.txt'));
  const host = req.headers.find(([n]) => n.toLowerCase() === 'host')[1];
  const options = {
    method: req.method,
    url: `https://${host}${req.target}`,
    headers: req.headers,
    body: req.body,
    service: ctx.service,
    region: ctx.region,
    credentials: {
      accessKeyId: ctx.credentials.access_key_id,
      secretAccessKey: ctx.credentials.secret_access_key,
      sessionToken: ctx.credentials.token,
    },
    timestamp: new Date(ctx.timestamp),
    normalizePath: ctx.normalize,
    doubleEncodePath: ctx.normalize,
    omitSessionToken: Boolean(ctx.omit_session_token),
  };
  return { ctx, host, options, read };
}

// Name:value lines of a signed request (header signing), first value per name.
function signedHeaders(text) {
  const out = {};
  for (const line of text.split('\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && !/^[ \t]/.test(line)) out[line.slice(0, i).toLowerCase()] ??= line.slice(i + 1);
  }
  return out;
}

const cases = suiteMissing ? [] : fs.readdirSync(SUITE).filter((n) => fs.statSync(path.join(SUITE, n)).isDirectory()).sort();

test('the SigV4 suite has its 38 cases', { skip: suiteMissing }, () => {
  assert.equal(cases.length, 38);
});

for (const name of cases) {
  test(`suite ${name}: signRequest adds the expected headers`, async () => {
    const { ctx, options, read } = readCase(name);
    const added = await aws.signRequest({ ...options, signBody: ctx.sign_body });
    const expected = signedHeaders(read('header-signed-request.txt'));
    assert.equal(added.Authorization, expected.authorization);
    assert.equal(added['X-Amz-Date'], expected['x-amz-date']);
    assert.ok(added.Authorization.endsWith(`Signature=${read('header-signature.txt')}`));
    if (ctx.credentials.token) assert.equal(added['X-Amz-Security-Token'], expected['x-amz-security-token']);
    else assert.ok(!('X-Amz-Security-Token' in added));
    if (ctx.sign_body) assert.equal(added['x-amz-content-sha256'], expected['x-amz-content-sha256']);
    else assert.ok(!('x-amz-content-sha256' in added));
  });

  test(`suite ${name}: presignUrl gives the expected URL`, async () => {
    const { ctx, host, options, read } = readCase(name);
    const url = await aws.presignUrl({ ...options, expires: ctx.expiration_in_seconds });
    const line = read('query-signed-request.txt').split('\n')[0];
    const target = line.slice(line.indexOf(' ') + 1, line.lastIndexOf(' HTTP/'));
    assert.equal(url, `https://${host}${target}`);
    assert.equal(queryMap(url)['X-Amz-Signature'], read('query-signature.txt'));
  });
}

test("botocore's RDS vector through generateDbAuthToken", async () => {
  const token = await aws.generateDbAuthToken({
    hostname: 'prod-instance.us-east-1.rds.amazonaws.com',
    port: 3306,
    username: 'someusername',
    region: 'us-east-1',
    credentials: { accessKeyId: 'akid', secretAccessKey: 'skid' },
    timestamp: new Date('2016-11-07T17:39:33Z'),
  });
  assert.ok(token.startsWith('prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=someusername&'));
  const sig = queryMap(token)['X-Amz-Signature'];
  assert.ok(sig.startsWith('d1138cdb') && sig.endsWith('4c61'), `signature ${sig}`);
  assert.deepEqual(
    queryPairs(token).map(([k]) => k),
    ['Action', 'DBUser', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'],
  );
  // The same second as a number of milliseconds.
  const again = await aws.generateDbAuthToken({
    hostname: 'prod-instance.us-east-1.rds.amazonaws.com',
    port: 3306,
    username: 'someusername',
    region: 'us-east-1',
    credentials: async () => ({ accessKeyId: 'akid', secretAccessKey: 'skid' }),
    timestamp: Date.UTC(2016, 10, 7, 17, 39, 33, 999),
  });
  assert.equal(again, token);
});

test('headers: object, array values, Headers, Map and [name, value] pairs sign alike', async () => {
  const base = { url: 'https://example.amazonaws.com/', service: 'service', region: 'us-east-1', credentials: EXAMPLE, timestamp: SUITE_TIME };
  const pairs = await aws.signRequest({ ...base, headers: [['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1']] });
  const object = await aws.signRequest({ ...base, headers: { 'My-Header1': ['value2', 'value2', 'value1'] } });
  assert.deepEqual(object, pairs);
  const suiteSig = fs.existsSync(SUITE) ? fs.readFileSync(path.join(SUITE, 'get-header-key-duplicate', 'header-signature.txt'), 'utf8') : null;
  if (suiteSig) assert.ok(pairs.Authorization.endsWith(`Signature=${suiteSig}`));

  const single = await aws.signRequest({ ...base, headers: { 'X-Custom': 'a', 'X-Num': 5, Skipped: undefined } });
  const asHeaders = await aws.signRequest({ ...base, headers: new Headers({ 'x-custom': 'a', 'x-num': '5' }) });
  const asMap = await aws.signRequest({ ...base, headers: new Map([['X-Custom', 'a'], ['X-Num', '5']]) });
  assert.equal(asHeaders.Authorization, single.Authorization);
  assert.equal(asMap.Authorization, single.Authorization);
  assert.match(single.Authorization, /SignedHeaders=host;x-amz-date;x-custom;x-num,/);

  // Without a Host header the URL's is signed (host:port unless the default port).
  const withPort = await aws.signRequest({ ...base, url: 'http://127.0.0.1:8080/p' });
  const explicit = await aws.signRequest({ ...base, url: 'http://127.0.0.1:8080/p', headers: { Host: '127.0.0.1:8080' } });
  assert.equal(withPort.Authorization, explicit.Authorization);
  const defaultPort = await aws.signRequest({ ...base, url: 'https://example.amazonaws.com:443/' });
  assert.equal(defaultPort.Authorization, (await aws.signRequest(base)).Authorization);
});

test('body: string, Buffer, Uint8Array view, ArrayBuffer and DataView sign alike', async () => {
  const base = { method: 'POST', url: 'https://example.amazonaws.com/', service: 'service', region: 'us-east-1', credentials: EXAMPLE, timestamp: SUITE_TIME, signBody: true };
  const text = 'Param1=value1&ü';
  const bytes = Buffer.from(text);
  const padded = Buffer.concat([Buffer.from('xx'), bytes, Buffer.from('yy')]);
  const results = await Promise.all([
    aws.signRequest({ ...base, body: text }),
    aws.signRequest({ ...base, body: bytes }),
    aws.signRequest({ ...base, body: new Uint8Array(padded.buffer, padded.byteOffset + 2, bytes.length) }),
    aws.signRequest({ ...base, body: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) }),
    aws.signRequest({ ...base, body: new DataView(padded.buffer, padded.byteOffset + 2, bytes.length) }),
  ]);
  for (const r of results) assert.deepEqual(r, results[0]);
  assert.equal(results[0]['x-amz-content-sha256'], require('node:crypto').createHash('sha256').update(bytes).digest('hex'));
  const unsigned = await aws.signRequest({ ...base, body: text, payloadHash: 'UNSIGNED-PAYLOAD' });
  assert.equal(unsigned['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
});

test('presignUrl keeps the URL, its query and a session token, and caps at the credentials', async () => {
  const now = Date.now();
  const url = await aws.presignUrl({
    url: 'https://bucket.s3.eu-de-1.amazonaws.com/a%20b/c?x-id=GetObject',
    service: 's3',
    region: 'eu-de-1',
    normalizePath: false,
    doubleEncodePath: false,
    payloadHash: 'UNSIGNED-PAYLOAD',
    credentials: { ...EXAMPLE, sessionToken: 'tok+/=', expiration: new Date(now + 120_000) },
  });
  assert.ok(url.startsWith('https://bucket.s3.eu-de-1.amazonaws.com/a%20b/c?x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&'));
  const q = queryMap(url);
  assert.equal(q['X-Amz-Security-Token'], 'tok+/=');
  assert.ok(url.includes('X-Amz-Security-Token=tok%2B%2F%3D'));
  assert.ok(Number(q['X-Amz-Expires']) <= 120 && Number(q['X-Amz-Expires']) >= 110, `X-Amz-Expires ${q['X-Amz-Expires']}`);
  const defaulted = await aws.presignUrl({ url: 'https://h.example/', service: 's', region: 'us-east-1', credentials: EXAMPLE });
  assert.equal(queryMap(defaulted)['X-Amz-Expires'], '900');
});

test('bad options reject with IAMCORE_CONFIG and never throw synchronously', async () => {
  const good = { url: 'https://h.example/', service: 's', region: 'us-east-1', credentials: EXAMPLE };
  const bad = [
    ['signRequest', undefined],
    ['signRequest', 'nope'],
    ['signRequest', { ...good, url: 'ftp://h.example/' }],
    ['signRequest', { ...good, url: undefined }],
    ['signRequest', { ...good, service: undefined }],
    ['signRequest', { ...good, region: 'bad region' }],
    ['signRequest', { ...good, region: undefined }],
    ['presignUrl', { ...good, region: null }],
    ['signRequest', { ...good, headers: { Authorization: 'x' } }],
    ['signRequest', { ...good, headers: 'x' }],
    ['signRequest', { ...good, body: 42 }],
    ['signRequest', { ...good, timestamp: 'yesterday' }],
    ['signRequest', { ...good, credentials: { accessKeyId: 'a' } }],
    ['signRequest', { ...good, credentials: 'a:b' }],
    ['signRequest', { ...good, credentials: { ...EXAMPLE, expiration: new Date(Date.now() - 1000) } }],
    ['signRequest', { ...good, credentials: async () => null }],
    ['presignUrl', { ...good, expires: 0 }],
    ['presignUrl', { ...good, expires: 604801 }],
    ['presignUrl', { ...good, expires: 1.5 }],
    ['generateDbAuthToken', { hostname: 'h.example', port: 70000, username: 'u', region: 'us-east-1', credentials: EXAMPLE }],
    ['generateDbAuthToken', { hostname: 'https://h.example', port: 5432, username: 'u', region: 'us-east-1', credentials: EXAMPLE }],
    ['generateDbAuthToken', { hostname: 'h.example', port: 5432, username: '', region: 'us-east-1', credentials: EXAMPLE }],
    ['generateDbAuthToken', { hostname: 'h.example', port: 5432, username: 'u', credentials: EXAMPLE }],
    ['generateDsqlAuthToken', { hostname: 'cluster.example', credentials: EXAMPLE }],
    ['generateElastiCacheAuthToken', { cacheName: 'c', userId: 'u', credentials: EXAMPLE }],
    ['generateElastiCacheAuthToken', { cacheName: 'c.example:6379', userId: 'u', region: 'us-east-1', credentials: EXAMPLE }],
  ];
  for (const [fn, options] of bad) {
    let promise;
    assert.doesNotThrow(() => {
      promise = aws[fn](options);
    }, `${fn} threw synchronously`);
    assert.ok(promise instanceof Promise, `${fn} returned a promise`);
    await assert.rejects(promise, (err) => {
      assert.ok(err instanceof IamcoreError, `${fn}: an IamcoreError (${err})`);
      assert.equal(err.code, 'IAMCORE_CONFIG', `${fn} ${JSON.stringify(Object.keys(options ?? {}))}: ${err.message}`);
      return true;
    });
  }
});

test('a failing credentials function rejects with IAMCORE_AUTH and keeps the cause', async () => {
  const cause = new Error('sso session expired');
  const err = await aws
    .signRequest({ url: 'https://h.example/', service: 's', region: 'us-east-1', credentials: () => Promise.reject(cause) })
    .then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof IamcoreError);
  assert.equal(err.code, 'IAMCORE_AUTH');
  assert.equal(err.cause, cause);
  assert.match(err.message, /sso session expired/);
  const thrown = await aws
    .presignUrl({ url: 'https://h.example/', service: 's', region: 'us-east-1', credentials: () => { throw cause; } })
    .then(() => assert.fail('resolved'), (e) => e);
  assert.equal(thrown.code, 'IAMCORE_AUTH');
});

test('explicit credentials: the SDK identity shape, an AwsCredentials and a provider sign alike', async () => {
  const base = { url: 'https://h.example/', service: 's', region: 'us-east-1', timestamp: SUITE_TIME };
  const creds = { ...EXAMPLE, sessionToken: 'session', expiration: new Date(Date.now() + 3600_000) };
  const a = await aws.signRequest({ ...base, credentials: creds });
  const b = await aws.signRequest({ ...base, credentials: async () => creds });
  const resolved = await aws.resolveCredentials({ credentials: creds });
  assert.ok(resolved instanceof aws.AwsCredentials);
  const c = await aws.signRequest({ ...base, credentials: resolved });
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.equal(a['X-Amz-Security-Token'], 'session');
});

test('resolveRegion: explicit, environment, host name; IAMCORE_CONFIG when none', () => {
  assert.equal(aws.resolveRegion({ region: 'eu-de-1' }), 'eu-de-1');
  assert.equal(aws.resolveRegion({ hostname: 'db.abcdefghijkl.ap-southeast-2.rds.amazonaws.com' }), 'ap-southeast-2');
  assert.equal(aws.resolveRegion({ hostname: 'abc.dsql.us-east-2.on.aws' }), 'us-east-2');
  assert.throws(() => aws.resolveRegion(), (e) => e instanceof IamcoreError && e.code === 'IAMCORE_CONFIG');
  assert.throws(() => aws.resolveRegion({ region: 'not a region' }), (e) => e.code === 'IAMCORE_CONFIG');
  process.env.AWS_REGION = 'ca-central-1';
  try {
    assert.equal(aws.resolveRegion({ hostname: 'db.abcdefghijkl.ap-southeast-2.rds.amazonaws.com' }), 'ca-central-1');
    return aws.signRequest({ url: 'https://h.example/', service: 's', credentials: EXAMPLE }).then((h) => {
      assert.match(h.Authorization, /\/ca-central-1\/s\/aws4_request/);
    });
  } finally {
    delete process.env.AWS_REGION;
  }
});

test('the addon exports only its Node-API entry points', { skip: process.platform !== 'linux' && 'ELF only' }, () => {
  const file = path.join(__dirname, '..', '..', 'build', 'Release', 'iamcore.node');
  let out;
  try {
    out = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' });
  } catch {
    return; // no nm on this machine
  }
  const symbols = out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).pop()).sort();
  assert.deepEqual(symbols, ['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
});
