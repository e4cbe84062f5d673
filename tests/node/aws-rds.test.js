'use strict';
// RdsSigner (cached tokens), DsqlSigner and ElastiCache tokens, with credentials
// from the emulator's STS (web identity profiles in the config file), explicit
// ones, or a provider function. Real sockets to the emulator only.

const { isolateAwsEnv, queryMap } = require('./aws-env.js');

const files = isolateAwsEnv();

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const iamcore = require('../../node/index.js');
const { RdsSigner, DsqlSigner, aws, IamcoreError } = iamcore;
const { Emulator, sleep, settle } = require('./emulator.js');

const HOST = 'app-db.cluster-abc123xyz.eu-de-1.rds.amazonaws.com';
const STATIC = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

let emu;
let profiles = 0;
const tokenFile = path.join(files.dir, 'web-identity-token');

before(async () => {
  emu = await Emulator.start();
  fs.writeFileSync(tokenFile, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhcHAifQ.sig');
  // Before the chain first runs in this process.
  process.env.AWS_ENDPOINT_URL_STS = emu.http;
});
after(() => emu.stop());
beforeEach(() => emu.reset());

// A new config-file profile that assumes a role with web identity: a named
// profile gets its own provider (and cache), so each test starts cold.
function stsProfile() {
  const name = `sts-${process.pid}-${++profiles}`;
  fs.appendFileSync(
    files.config,
    `[profile ${name}]\nrole_arn = arn:aws:iam::123456789012:role/${name}\nweb_identity_token_file = ${tokenFile}\nrole_session_name = node-rds-test\n\n`,
  );
  return name;
}

function amzDateSeconds(token) {
  const d = queryMap(token)['X-Amz-Date'];
  return Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15)) / 1000;
}

test('getAuthToken signs with STS credentials and serves the cached token afterwards', async () => {
  const signer = new RdsSigner({ hostname: HOST, port: 5432, username: 'app_user', region: 'eu-de-1', profile: stsProfile() });
  assert.equal(signer.region, 'eu-de-1');
  const t1 = await signer.getAuthToken();
  assert.ok(t1.startsWith(`${HOST}:5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256&`), t1.slice(0, 120));
  const q = queryMap(t1);
  assert.match(q['X-Amz-Credential'], /^ASIA[A-Z0-9]{16}\/\d{8}\/eu-de-1\/rds-db\/aws4_request$/);
  assert.equal(q['X-Amz-Expires'], '900');
  assert.equal(q['X-Amz-SignedHeaders'], 'host');
  assert.ok(q['X-Amz-Security-Token'], 'session token from STS');

  const p2 = signer.getAuthToken();
  const p3 = signer.getAuthToken();
  assert.equal(await p2, t1);
  assert.equal(p3, signer.getAuthToken(), 'a fresh cached token is one already-resolved promise');
  assert.equal(await p3, t1);
  assert.equal((await emu.requests('sts')).length, 1);
});

test('invalidate() signs a new token at the next call, with the cached credentials', async () => {
  const signer = new RdsSigner({ hostname: HOST, port: 5432, username: 'app_user', profile: stsProfile() });
  assert.equal(signer.region, 'eu-de-1', 'region from the host name');
  const t1 = await signer.getAuthToken();
  // Same second, same credentials: the same text. Wait for the next second.
  while (Math.floor(Date.now() / 1000) <= amzDateSeconds(t1)) await sleep(20);
  assert.equal(await signer.getAuthToken(), t1, 'still cached');
  signer.invalidate();
  const t2 = await signer.getAuthToken();
  assert.notEqual(t2, t1);
  assert.ok(amzDateSeconds(t2) > amzDateSeconds(t1));
  assert.equal(queryMap(t2)['X-Amz-Credential'], queryMap(t1)['X-Amz-Credential'], 'same credentials');
  assert.equal((await emu.requests('sts')).length, 1, 'invalidate() drops the token, not the credentials');
});

test('100 concurrent getAuthToken() on a fresh signer: exactly one STS request', async () => {
  await emu.awsSettings({ delay_ms: 200 });
  const signer = new RdsSigner({ hostname: HOST, port: 5432, username: 'app_user', region: 'eu-de-1', profile: stsProfile() });
  const tokens = await Promise.all(Array.from({ length: 100 }, () => signer.getAuthToken()));
  assert.equal(new Set(tokens).size, 1);
  assert.equal((await emu.requests('sts')).length, 1);
});

test('50 concurrent signRequest() with a cold profile: one STS request (the core single-flights)', async () => {
  await emu.awsSettings({ delay_ms: 200 });
  const profile = stsProfile();
  const all = await Promise.all(
    Array.from({ length: 50 }, () => aws.signRequest({ url: 'https://example.amazonaws.com/', service: 'service', region: 'eu-de-1', profile })),
  );
  assert.equal(new Set(all.map((h) => h['X-Amz-Security-Token'])).size, 1);
  assert.equal((await emu.requests('sts')).length, 1);
});

test('credentials expiring in 300 s: X-Amz-Expires <= 300', async () => {
  await emu.awsSettings({ credential_lifetime: 300 });
  const signer = new RdsSigner({ hostname: HOST, port: 3306, username: 'app_user', region: 'eu-de-1', profile: stsProfile() });
  const token = await signer.getAuthToken();
  const expires = Number(queryMap(token)['X-Amz-Expires']);
  assert.ok(expires <= 300 && expires > 250, `X-Amz-Expires ${expires}`);
  assert.equal(await signer.getAuthToken(), token, 'still cached');

  const creds = await aws.resolveCredentials({ profile: stsProfile() });
  assert.ok(creds.expiration.getTime() - Date.now() <= 300_000);
  const url = await aws.presignUrl({ url: 'https://example.amazonaws.com/', service: 'service', region: 'eu-de-1', credentials: creds, expires: 3600 });
  assert.ok(Number(queryMap(url)['X-Amz-Expires']) <= 300);
});

test('signingHostname: the token is for the RDS host, whatever the connection goes through', async () => {
  const real = 'prod.abcdefghijkl.us-west-2.rds.amazonaws.com';
  const signer = new RdsSigner({ hostname: 'localhost', port: 15432, username: 'tunnel', signingHostname: real, credentials: STATIC });
  assert.equal(signer.region, 'us-west-2', 'region from the signing host name');
  const token = await signer.getAuthToken();
  assert.ok(token.startsWith(`${real}:15432/?Action=connect&DBUser=tunnel&`), token.slice(0, 80));
  const same = await aws.generateDbAuthToken({
    hostname: real,
    port: 15432,
    username: 'tunnel',
    credentials: STATIC,
    timestamp: new Date(amzDateSeconds(token) * 1000),
  });
  assert.equal(same, token);
});

test('explicit and function credentials; expiration caps the cache', async () => {
  let calls = 0;
  const fn = async () => {
    calls++;
    await sleep(20);
    return { ...STATIC, sessionToken: `fn-session-${calls}`, expiration: new Date(Date.now() + 3600_000) };
  };
  const signer = new RdsSigner({ hostname: HOST, port: 5432, username: 'fn_user', region: 'eu-de-1', credentials: fn });
  const tokens = await Promise.all(Array.from({ length: 10 }, () => signer.getAuthToken()));
  assert.equal(new Set(tokens).size, 1);
  assert.equal(calls, 1, 'concurrent callers share one call of the function');
  assert.equal(queryMap(tokens[0])['X-Amz-Security-Token'], 'fn-session-1');
  assert.equal(await signer.getAuthToken(), tokens[0]);
  assert.equal(calls, 1);
  signer.invalidate();
  const again = await signer.getAuthToken();
  assert.equal(calls, 2, 'after invalidate() the function is asked again');
  assert.equal(queryMap(again)['X-Amz-Security-Token'], 'fn-session-2');

  const failing = new RdsSigner({ hostname: HOST, port: 5432, username: 'u', region: 'eu-de-1', credentials: () => Promise.reject(new Error('no sso')) });
  const r = await settle(failing.getAuthToken());
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'IAMCORE_AUTH');

  const expired = new RdsSigner({ hostname: HOST, port: 5432, username: 'u', region: 'eu-de-1', credentials: { ...STATIC, expiration: new Date(Date.now() - 1000) } });
  const e = await settle(expired.getAuthToken());
  assert.equal(e.ok, false);
  assert.equal(e.error.code, 'IAMCORE_CONFIG');
});

test('STS failure rejects every waiter with IAMCORE_AUTH; the next call tries again', async () => {
  const signer = new RdsSigner({ hostname: HOST, port: 5432, username: 'app_user', region: 'eu-de-1', profile: stsProfile() });
  await emu.enqueue({ endpoint: 'sts', status: 400, error: { Code: 'InvalidIdentityToken', Message: 'expired token' } });
  const results = await Promise.all(Array.from({ length: 5 }, () => settle(signer.getAuthToken())));
  for (const r of results) {
    assert.equal(r.ok, false);
    assert.ok(r.error instanceof IamcoreError);
    assert.equal(r.error.code, 'IAMCORE_AUTH');
    assert.equal(r.error.status, 400);
    assert.equal(r.error.errorCode, 'InvalidIdentityToken');
  }
  const token = await signer.getAuthToken();
  assert.match(token, /X-Amz-Signature=[0-9a-f]{64}$/);
  assert.equal((await emu.requests('sts')).length, 2);
});

test('the event loop keeps ticking while the chain fetches (STS delay 500 ms)', async () => {
  await emu.awsSettings({ delay_ms: 500 });
  const signer = new RdsSigner({ hostname: HOST, port: 5432, username: 'app_user', region: 'eu-de-1', profile: stsProfile() });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const t0 = Date.now();
  try {
    await Promise.all([signer.getAuthToken(), aws.resolveCredentials({ profile: stsProfile() })]);
  } finally {
    clearInterval(timer);
  }
  const ms = Date.now() - t0;
  assert.ok(ms >= 450, `took ${ms} ms`);
  assert.ok(ticks >= 20, `only ${ticks} ticks in ${ms} ms`);
});

test('constructors throw IAMCORE_CONFIG synchronously for bad options', () => {
  const base = { hostname: HOST, port: 5432, username: 'u', region: 'eu-de-1', credentials: STATIC };
  const bad = [
    undefined,
    'x',
    { ...base, hostname: undefined },
    { ...base, port: undefined },
    { ...base, port: 0 },
    { ...base, port: '5432' },
    { ...base, username: '' },
    { ...base, expiration: 901 },
    { ...base, expiration: 0 },
    { ...base, region: 'not a region' },
    { ...base, region: undefined, hostname: 'db.example.com' },
    { ...base, credentials: { accessKeyId: 'AK' } },
    { ...base, credentials: 'AK:SK' },
    { ...base, profile: '' },
  ];
  for (const options of bad) {
    assert.throws(
      () => new RdsSigner(options),
      (err) => err instanceof IamcoreError && err.code === 'IAMCORE_CONFIG',
      `RdsSigner(${JSON.stringify(options && Object.keys(options))})`,
    );
  }
  for (const options of [undefined, { hostname: 'x.example' }, { hostname: 'c.dsql.us-east-1.on.aws', expiresIn: -1 }, { hostname: 'c.dsql.us-east-1.on.aws', credentials: 5 }]) {
    assert.throws(() => new DsqlSigner(options), (err) => err instanceof IamcoreError && err.code === 'IAMCORE_CONFIG');
  }
  const ok = new RdsSigner({ ...base, expiration: 900 });
  assert.equal(ok.port, 5432);
});

test('DsqlSigner: DbConnect and DbConnectAdmin tokens', async () => {
  const hostname = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
  const signer = new DsqlSigner({ hostname, credentials: STATIC });
  assert.equal(signer.region, 'us-east-1');
  const user = await signer.getDbConnectAuthToken();
  const admin = await signer.getDbConnectAdminAuthToken();
  assert.ok(user.startsWith(`${hostname}/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F`), user.slice(0, 100));
  assert.ok(admin.startsWith(`${hostname}/?Action=DbConnectAdmin&X-Amz-Algorithm=`));
  assert.match(queryMap(user)['X-Amz-Credential'], /\/us-east-1\/dsql\/aws4_request$/);
  assert.equal(queryMap(user)['X-Amz-Expires'], '900');

  const viaSts = new DsqlSigner({ hostname, region: 'eu-de-1', expiresIn: 3600, profile: stsProfile() });
  const t = await viaSts.getDbConnectAdminAuthToken();
  assert.equal(queryMap(t)['X-Amz-Expires'], '3600');
  assert.match(queryMap(t)['X-Amz-Credential'], /^ASIA.*\/eu-de-1\/dsql\/aws4_request$/);
  assert.ok(queryMap(t)['X-Amz-Security-Token']);
  await viaSts.getDbConnectAuthToken();
  assert.equal((await emu.requests('sts')).length, 1, 'the credentials are cached between tokens');

  const fixed = await aws.generateDsqlAuthToken({ hostname, admin: true, credentials: STATIC, timestamp: new Date(amzDateSeconds(admin) * 1000) });
  assert.equal(fixed, admin);
});

test('ElastiCache tokens: replication group and serverless', async () => {
  const base = { cacheName: 'My-Cache', userId: 'iam-user-01', region: 'us-east-1', credentials: { ...STATIC, sessionToken: 'tok+/=' } };
  const rg = await aws.generateElastiCacheAuthToken(base);
  assert.ok(rg.startsWith('My-Cache/?Action=connect&User=iam-user-01&X-Amz-Algorithm=AWS4-HMAC-SHA256&'), rg.slice(0, 80));
  const q = queryMap(rg);
  assert.match(q['X-Amz-Credential'], /\/us-east-1\/elasticache\/aws4_request$/);
  assert.equal(q['X-Amz-Security-Token'], 'tok+/=');
  assert.equal(q['X-Amz-Expires'], '900');
  assert.ok(!('ResourceType' in q));
  const sl = await aws.generateElastiCacheAuthToken({ ...base, serverless: true, expiresIn: 600 });
  assert.ok(sl.startsWith('My-Cache/?Action=connect&User=iam-user-01&ResourceType=ServerlessCache&X-Amz-Algorithm='));
  assert.equal(queryMap(sl)['X-Amz-Expires'], '600');
  // The signed host is the cache name lower-cased: same signature either way.
  const ts = new Date('2024-05-01T00:00:00Z');
  const upper = await aws.generateElastiCacheAuthToken({ ...base, timestamp: ts });
  const lower = await aws.generateElastiCacheAuthToken({ ...base, cacheName: 'my-cache', timestamp: ts });
  assert.equal(queryMap(upper)['X-Amz-Signature'], queryMap(lower)['X-Amz-Signature']);
});

test('the ESM entry point exports the same AWS objects', async () => {
  const esm = await import('iamcore');
  assert.equal(esm.RdsSigner, RdsSigner);
  assert.equal(esm.DsqlSigner, DsqlSigner);
  assert.equal(esm.aws, aws);
  assert.equal(esm.default.aws.signRequest, aws.signRequest);
});

test('generateDbAuthToken with explicit credentials: the direct path agrees with the general one', async () => {
  const base = { hostname: HOST, port: 5432, username: 'app_user', region: 'eu-de-1', timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) };
  const direct = await aws.generateDbAuthToken({ ...base, credentials: STATIC });
  // A provider function takes the general path; same inputs, same token.
  const general = await aws.generateDbAuthToken({ ...base, credentials: async () => STATIC });
  assert.equal(direct === general, true);
  // Expiration as a Date or as milliseconds caps X-Amz-Expires the same way.
  const soon = Date.now() + 300_000;
  for (const expiration of [soon, new Date(soon)]) {
    const t = await aws.generateDbAuthToken({ hostname: HOST, port: 5432, username: 'u', region: 'eu-de-1', credentials: { ...STATIC, expiration } });
    const expires = Number(queryMap(t)['X-Amz-Expires']);
    assert.ok(expires <= 300 && expires >= 298, `X-Amz-Expires=${expires}`);
  }
  // What the direct path does not take is still refused, as before.
  const now = { ...base, timestamp: undefined };
  for (const bad of [{ expiresIn: 0 }, { username: 'a\0b' }, { port: 5432.5 }, { credentials: { ...STATIC, expiration: Date.now() - 1000 } }]) {
    const err = await aws.generateDbAuthToken({ ...now, credentials: STATIC, ...bad }).then(() => null, (e) => e);
    assert.equal(err && err.code, 'IAMCORE_CONFIG');
  }
});
