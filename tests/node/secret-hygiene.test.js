'use strict';
// Secret hygiene end to end, as tests/python/test_secret_hygiene.py: every
// authenticator and every AWS credential source, in success and in failure, with
// the servers echoing the secrets back. Everything a program could show is
// collected: the log hook's events, every rendering of every object and error
// (util.inspect with hidden properties and getters, util.format, JSON, String, the
// stack, each field), NODE_DEBUG=iamcore output and the command line's stderr.
// None of it may hold a secret, given or obtained (access, refresh, identity and
// RDS / DSQL / ElastiCache tokens, presigned URLs). Messages name the secret,
// never show it.

const { isolateAwsEnv, childEnv } = require('./aws-env.js');

const files = isolateAwsEnv();

const { test, before, after, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { execFile } = require('node:child_process');

const iamcore = require('../../node/index.js');
const { Emulator, settle } = require('./emulator.js');

const { aws, IamcoreError } = iamcore;
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'node', 'bin', 'iamcore.js');
const DEAD = 'http://127.0.0.1:9'; // nothing listens there

const S = {
  'API key': 'hyg-node-apikey-Pq7Wx2Zc9Vb4Nm1',
  'client secret': 'hyg-node-client-secret-Lk3Jh8Gf',
  'refresh token': 'hyg-node-refresh-given-Ds5Aq1Ws',
  'issued refresh token': 'hyg-node-refresh-issued-Ed6Rf2T',
  'CR token': 'hyg-node-cr-token-Gy7Hu3Ji9Ko5',
  'VPC identity token': 'hyg-node-vpc-identity-Lp0Mn4Bv',
  'bearer token': 'hyg-node-bearer-Cx8Za2Sd6Fg1',
  password: 'hyg-node-password-Hj5Kl9Qw3Er',
  'proxy password': 'hyg-node-proxy-pw-Ty4Ui8Op2',
  'AWS secret key': 'hyg-node-aws-secret-As1Df5Gh9Jk3Lz',
  'session token': 'hyg-node-aws-session-Xc7Vb1Nm5Qw+/=',
  'web identity token': 'hyg-node-web-identity-Er9Ty3Ui',
  'container authorization token': 'hyg-node-container-auth-Op6As0',
};
const AKID = 'AKIAHYGIENENODETEST';
const HOST = 'hygiene.c1x2y3z4.eu-central-1.rds.amazonaws.com';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/hygiene';

// The run-wide scan (scripts/test.sh) looks for these in everything the run shows.
if (process.env.IAMCORE_EMULATOR_SECRETS_LOG) {
  fs.appendFileSync(process.env.IAMCORE_EMULATOR_SECRETS_LOG,
    Object.values(S).map((s) => `${JSON.stringify(s)}\n`).join(''));
}

const echo = (...secrets) => `echo ${secrets.join(' and ')}`;

/** Every rendering of a value a program might print or log. */
function renderings(value) {
  const out = [
    ['util.inspect', util.inspect(value)],
    ['util.inspect showHidden', util.inspect(value, { showHidden: true, depth: Infinity, getters: true })],
    ['util.inspect no custom', util.inspect(value, { customInspect: false, showHidden: true, depth: Infinity })],
    ['util.format %o', util.format('%o', value)],
    ['util.format %j', util.format('%j', value)],
    ['JSON.stringify', String(JSON.stringify(value))],
    ['String()', String(value)],
    ['own values', Object.values(value).map(String).join(',')],
  ];
  if (value instanceof Error) {
    out.push(['stack', String(value.stack)], ['message', value.message]);
    for (const key of Object.getOwnPropertyNames(value)) out.push([`field ${key}`, String(value[key])]);
  }
  return out;
}

class Transcript {
  constructor() {
    this.texts = [];
    this.secrets = Object.entries(S);
  }

  add(where, text) {
    this.texts.push([where, String(text)]);
  }

  /** Secrets the flow produced (tokens): they may not show either. */
  obtained(name, value) {
    if (value) this.secrets.push([name, value]);
  }

  show(where, value) {
    for (const [how, text] of renderings(value)) this.add(`${where} (${how})`, text);
  }

  async rejects(where, promise, code) {
    const r = await settle(promise);
    assert.equal(r.ok, false, `${where}: no error`);
    assert.ok(r.error instanceof IamcoreError, `${where}: an IamcoreError`);
    if (code) assert.equal(r.error.code, code, where);
    this.show(where, r.error);
    return r.error;
  }

  throws(where, fn) {
    assert.throws(fn, (err) => {
      assert.ok(err instanceof IamcoreError, `${where}: an IamcoreError`);
      this.show(where, err);
      return true;
    });
  }

  check() {
    for (const [where, text] of this.texts) {
      for (const [name, secret] of this.secrets) {
        assert.ok(!text.includes(secret), `the ${name} appears in ${where}`);
      }
    }
  }
}

let emu;
let t;
let events;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(async () => {
  await emu.reset();
  t = new Transcript();
  events = 0;
  iamcore.setLogHook((event) => {
    events++;
    t.add(`the ${event.event} event`, `${util.inspect(event, { depth: Infinity })} ${JSON.stringify(event)}`);
  });
});
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 50)); // the last events
  iamcore.setLogHook(null);
  t.check();
});

const quiet = (options) => ({ timeout: 5000, maxRetries: 0, ...options });

// ------------------------------------------------------------------ IBM authenticators

test('API key grant: tokens, a background refresh, failures echoing the secrets', async () => {
  const options = { apikey: S['API key'], clientId: 'bx', clientSecret: S['client secret'], scope: 'ibm openid' };
  const auth = new iamcore.IamAuthenticator(quiet({ ...options, url: emu.http }));
  t.obtained('access token', await auth.getToken());
  t.show('the authenticator', auth);
  const request = { headers: {} };
  await auth.authenticate(request); // the header holds the token on purpose

  await emu.tokenSettings({ iat_offset: -3000, lifetime: 3600 });
  auth.invalidate();
  t.obtained('access token 2', await auth.getToken());
  t.obtained('access token 3', await auth.getToken()); // due: refreshed in the background
  for (let i = 0; i < 100 && (await emu.requests()).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  await emu.tokenSettings({ iat_offset: 0 });

  await emu.enqueue(
    { status: 400, error: { errorCode: 'BXNIM0415E', errorMessage: echo(S['API key'], S['client secret']), errorDetails: echo(S['API key']) } },
    { status: 500, body: echo(S['API key'], S['client secret']) },
    { status: 200, body: `{${echo(S['API key'])}` },
    { status: 200, json: { refresh_token: S['issued refresh token'], token_type: 'Bearer' } },
    { hang: true },
  );
  for (const code of ['IAMCORE_AUTH', 'IAMCORE_AUTH', 'IAMCORE_PARSE', 'IAMCORE_PARSE', 'IAMCORE_TIMEOUT']) {
    const failing = new iamcore.IamAuthenticator(quiet({ ...options, url: emu.http, timeout: 1000 }));
    await t.rejects(`the ${code} error`, failing.getToken(), code);
  }
  await t.rejects('the TLS error', new iamcore.IamAuthenticator(quiet({ ...options, url: emu.https })).getToken(), 'IAMCORE_TLS');
  await t.rejects('the connection error', new iamcore.IamAuthenticator(quiet({ ...options, url: DEAD })).getToken());
  assert.ok(events > 0, 'events were seen');
});

test('a proxy URL with a password: libcurl quotes it, iamcore does not', async () => {
  // The proxy is on loopback too, and NO_PROXY would bypass it: nothing leaves the machine.
  const saved = [process.env.NO_PROXY, process.env.no_proxy];
  delete process.env.NO_PROXY;
  delete process.env.no_proxy;
  try {
    for (const proxy of [`http://user:${S['proxy password']}@127.0.0.1:9\n`, `http://user:${S['proxy password']}@127.0.0.1:9`]) {
      const auth = new iamcore.IamAuthenticator(quiet({ apikey: S['API key'], url: DEAD, proxy, maxRetries: 1 }));
      t.show('the authenticator with a proxy', auth);
      await t.rejects('the proxy error', auth.getToken(), 'IAMCORE_TRANSPORT');
    }
  } finally {
    if (saved[0] !== undefined) process.env.NO_PROXY = saved[0];
    if (saved[1] !== undefined) process.env.no_proxy = saved[1];
  }
});

test('configuration errors', () => {
  const cases = [
    { apikey: `"${S['API key']}"` },
    { apikey: `{${S['API key']}}` },
    { apikey: S['API key'], clientSecret: S['client secret'] },
    { apikey: `${S['API key']}\0` },
    { apikey: S['API key'], headers: { 'X-Key': `${S['API key']}\r\n` } },
    { apikey: S['API key'], refreshToken: S['refresh token'] },
    { refreshToken: S['refresh token'] },
  ];
  for (const options of cases) t.throws('the config error', () => new iamcore.IamAuthenticator(options));
  t.throws('the config error', () => new iamcore.ContainerAuthenticator({ clientSecret: S['client secret'], iamProfileName: 'p' }));
  t.throws('the config error', () => new iamcore.IamAssumeAuthenticator({ apikey: `"${S['API key']}"`, iamProfileId: 'p' }));
  t.throws('the config error', () => new iamcore.BearerTokenAuthenticator({ bearerToken: `${S['bearer token']}\n` }));
  t.throws('the config error', () => new iamcore.BasicAuthenticator({ username: 'u', password: `{${S.password}}` }));
  t.throws('the config error', () => new iamcore.BasicAuthenticator({ username: `u:${S.password}`, password: 'x' }));
});

test('refresh-token grant', async () => {
  const now = Math.floor(Date.now() / 1000);
  const answer = {
    json: { access_token: `${S['issued refresh token']}-access`, refresh_token: S['issued refresh token'], token_type: 'Bearer', expires_in: 3600, expiration: now + 3600 },
  };
  await emu.enqueue(answer, answer);
  t.obtained('access token', `${S['issued refresh token']}-access`);
  const options = { refreshToken: S['refresh token'], clientId: 'bx', clientSecret: S['client secret'], url: emu.http };
  const auth = new iamcore.IamAuthenticator(quiet(options));
  await auth.getToken();
  auth.invalidate();
  await auth.getToken(); // with the issued refresh token
  t.show('the authenticator', auth);
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0408E', errorMessage: echo(S['issued refresh token']) } });
  auth.invalidate();
  await t.rejects('the refused refresh', auth.getToken(), 'IAMCORE_AUTH');
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0408E', errorMessage: echo(S['refresh token']), errorDetails: echo(S['client secret']) } });
  await t.rejects('the refused first refresh', new iamcore.IamAuthenticator(quiet(options)).getToken(), 'IAMCORE_AUTH');
});

test('container: the CR token file', async () => {
  const file = path.join(files.dir, 'cr-token');
  fs.writeFileSync(file, `${S['CR token']}\n`);
  const options = { crTokenFilename: file, iamProfileName: 'p', clientId: 'bx', clientSecret: S['client secret'], url: emu.http };
  const auth = new iamcore.ContainerAuthenticator(quiet(options));
  t.obtained('access token', await auth.getToken());
  t.show('the authenticator', auth);
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0111E', errorMessage: echo(S['CR token']), errorDetails: echo(S['client secret']) } });
  auth.invalidate();
  await t.rejects('the refused CR token', auth.getToken(), 'IAMCORE_AUTH');
  const empty = path.join(files.dir, 'empty-cr-token');
  fs.writeFileSync(empty, '\n');
  await t.rejects('the empty file', new iamcore.ContainerAuthenticator(quiet({ ...options, crTokenFilename: empty })).getToken(), 'IAMCORE_TOKEN_FILE');
  await t.rejects('the missing file', new iamcore.ContainerAuthenticator(quiet({ ...options, crTokenFilename: `${file}.missing` })).getToken(), 'IAMCORE_TOKEN_FILE');
});

test('VPC instance metadata', async () => {
  const auth = new iamcore.VpcInstanceAuthenticator(quiet({ url: emu.http }));
  t.obtained('access token', await auth.getToken());
  const [stepTwo] = await emu.requests('vpc-iam-token');
  t.obtained('identity token', stepTwo.headers.authorization.split(' ')[1]);
  t.show('the authenticator', auth);
  await emu.enqueue(
    { endpoint: 'vpc-token', json: { access_token: S['VPC identity token'], expires_in: 300 } },
    { endpoint: 'vpc-iam-token', status: 400, error: { code: 'invalid_token', message: echo(S['VPC identity token']) } },
  );
  auth.invalidate();
  await t.rejects('the refused identity token', auth.getToken(), 'IAMCORE_AUTH');
});

test('assume a trusted profile', async () => {
  const options = { apikey: S['API key'], iamProfileId: 'Profile-1', url: emu.http };
  const auth = new iamcore.IamAssumeAuthenticator(quiet(options));
  t.obtained('access token', await auth.getToken());
  for (const r of await emu.requests('iam')) {
    if ((r.form.grant_type || '').includes('assume')) t.obtained('inner token', r.form.access_token);
  }
  t.show('the authenticator', auth);
  await emu.enqueue({}, { status: 400, error: { errorCode: 'BXNIM0501E', errorMessage: echo(S['API key']) } });
  await t.rejects('the refused assume grant', new iamcore.IamAssumeAuthenticator(quiet(options)).getToken(), 'IAMCORE_AUTH');
});

test('bearer, basic and no-auth authenticators', async () => {
  const bearer = new iamcore.BearerTokenAuthenticator({ bearerToken: S['bearer token'] });
  t.show('the bearer authenticator', bearer);
  bearer.setBearerToken(`${S['bearer token']}-2`);
  t.obtained('new bearer token', `${S['bearer token']}-2`);
  t.show('the bearer authenticator', bearer);
  const basic = new iamcore.BasicAuthenticator({ username: 'user', password: S.password });
  t.show('the basic authenticator', basic);
  const request = { headers: {} };
  await basic.authenticate(request); // the header holds the credentials on purpose
  t.obtained('basic credentials', request.headers.Authorization.split(' ')[1]);
  t.show('the no-auth authenticator', new iamcore.NoAuthAuthenticator());
});

test('environment configuration', async () => {
  const file = path.join(files.dir, 'ibm-credentials.env');
  fs.writeFileSync(file, [
    'HYG_AUTH_TYPE=iam', `HYG_APIKEY=${S['API key']}`, 'HYG_CLIENT_ID=bx', `HYG_CLIENT_SECRET=${S['client secret']}`, `HYG_AUTH_URL=${emu.http}`,
    'HYGB_AUTH_TYPE=basic', 'HYGB_USERNAME=user', `HYGB_PASSWORD=${S.password}`,
    'HYGT_AUTH_TYPE=bearerToken', `HYGT_BEARER_TOKEN=${S['bearer token']}`,
    'HYGX_AUTH_TYPE=iam', `HYGX_APIKEY={${S['API key']}}`, '',
  ].join('\n'));
  process.env.IBM_CREDENTIALS_FILE = file;
  try {
    for (const service of ['hyg', 'hygb', 'hygt']) t.show(`the ${service} authenticator`, iamcore.getAuthenticatorFromEnvironment(service));
    t.obtained('access token', await iamcore.getAuthenticatorFromEnvironment('hyg').getToken());
    t.throws('the bad key', () => iamcore.getAuthenticatorFromEnvironment('hygx'));
  } finally {
    delete process.env.IBM_CREDENTIALS_FILE;
  }
});

// ------------------------------------------------------------------ AWS

test('AWS tokens with explicit credentials', async () => {
  const credentials = { accessKeyId: AKID, secretAccessKey: S['AWS secret key'], sessionToken: S['session token'] };
  const region = 'eu-central-1';
  t.obtained('RDS token', await aws.generateDbAuthToken({ hostname: HOST, port: 5432, username: 'app', region, credentials }));
  t.obtained('DSQL token', await aws.generateDsqlAuthToken({ hostname: 'abc.dsql.eu-central-1.on.aws', region, credentials }));
  t.obtained('ElastiCache token', await aws.generateElastiCacheAuthToken({ cacheName: 'cache-1', userId: 'user-1', region, credentials }));
  t.obtained('presigned URL', await aws.presignUrl({ url: 'https://s3.eu-central-1.amazonaws.com/b/k', service: 's3', region, credentials }));
  const signed = await aws.signRequest({ method: 'POST', url: 'https://sts.eu-central-1.amazonaws.com/', service: 'sts', region, credentials });
  t.add('the signed headers (without the session token)', JSON.stringify({ ...signed, 'X-Amz-Security-Token': undefined }));
  const rds = new iamcore.RdsSigner({ hostname: HOST, port: 5432, username: 'app', region, credentials });
  t.obtained('RDS signer token', await rds.getAuthToken());
  t.show('the RDS signer', rds);
  const dsql = new iamcore.DsqlSigner({ hostname: 'abc.dsql.eu-central-1.on.aws', region, credentials });
  t.obtained('DSQL signer token', await dsql.getDbConnectAdminAuthToken());
  t.show('the DSQL signer', dsql);
  await t.rejects('the bad credentials', aws.generateDbAuthToken({ hostname: HOST, port: 5432, username: 'app', region, credentials: { ...credentials, secretAccessKey: `${S['AWS secret key']}\0` } }));
  await t.rejects('the expired credentials', aws.generateDbAuthToken({ hostname: HOST, port: 5432, username: 'app', region, credentials: { ...credentials, expiration: new Date(946684800000) } }));
});

test('AWS credential sources: environment, profile, process, container, instance metadata, web identity', async () => {
  const region = 'eu-central-1';
  process.env.AWS_REGION = region;
  async function resolve(where) {
    aws.invalidateCredentials();
    const c = await aws.resolveCredentials();
    t.show(where, c);
    t.obtained(`${where}: secret key`, c.secretAccessKey);
    t.obtained(`${where}: session token`, c.sessionToken);
    t.obtained(`${where}: RDS token`, await aws.generateDbAuthToken({ hostname: HOST, port: 5432, username: 'app' }));
  }
  async function fails(where, code) {
    aws.invalidateCredentials();
    await t.rejects(where, aws.resolveCredentials(), code);
  }
  const set = (vars) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const write = (name, text, mode = 0o600) => {
    const file = path.join(files.dir, name);
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    return file;
  };
  try {
    set({ AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: S['AWS secret key'], AWS_SESSION_TOKEN: S['session token'] });
    await resolve('the environment\'s credentials');
    set({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined });

    fs.writeFileSync(files.credentials, `[default]\naws_access_key_id = ${AKID}\naws_secret_access_key = ${S['AWS secret key']}\n`);
    await resolve('the profile\'s credentials');
    fs.writeFileSync(files.credentials, `[default]\naws_secret_access_key = ${S['AWS secret key']}\n`);
    await fails('the incomplete profile', 'IAMCORE_CONFIG');
    fs.writeFileSync(files.credentials, '');

    const good = write('good.sh', `#!/bin/sh\necho '${JSON.stringify({ Version: 1, AccessKeyId: AKID, SecretAccessKey: S['AWS secret key'], SessionToken: S['session token'] })}'\n`, 0o700);
    fs.writeFileSync(files.config, `[default]\ncredential_process = ${good}\n`);
    await resolve('the process\'s credentials');
    for (const [name, body] of [
      ['garbage.sh', `echo 'not json ${S['AWS secret key']} ${S['session token']}'`],
      // stdout never reaches a message; stderr does (docs/SECURITY.md: the helper is trusted).
      ['fails.sh', `echo 'no session' >&2; echo '{"SecretAccessKey": "${S['AWS secret key']}"}'; exit 3`],
      ['partial.sh', `echo '{"Version": 1, "SecretAccessKey": "${S['AWS secret key']}"}'`],
    ]) {
      fs.writeFileSync(files.config, `[default]\ncredential_process = ${write(name, `#!/bin/sh\n${body}\n`, 0o700)}\n`);
      await fails(`the failing credential_process ${name}`);
    }
    fs.writeFileSync(files.config, '');

    await emu.awsSettings({ container_auth_token: S['container authorization token'] });
    set({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emu.http}/container-credentials/task-1`, AWS_CONTAINER_AUTHORIZATION_TOKEN: S['container authorization token'] });
    await resolve('the container\'s credentials');
    await emu.enqueue(
      { endpoint: 'container', status: 403, error: { code: 'AccessDenied', message: echo(S['container authorization token']) } },
      { endpoint: 'container', json: { AccessKeyId: AKID, SecretAccessKey: S['AWS secret key'], Token: S['session token'], Expiration: 'tomorrow' } },
    );
    await fails('the container\'s refusal', 'IAMCORE_AUTH');
    await fails('the container\'s unparseable answer', 'IAMCORE_PARSE');
    set({ AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined, AWS_CONTAINER_AUTHORIZATION_TOKEN: undefined });

    set({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: emu.http });
    await resolve('the instance\'s credentials'); // IMDSv2: the session token the emulator issues
    set({ AWS_EC2_METADATA_DISABLED: 'true', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' });

    set({ AWS_WEB_IDENTITY_TOKEN_FILE: write('web-token', S['web identity token']), AWS_ROLE_ARN: ROLE_ARN, AWS_ENDPOINT_URL_STS: emu.http });
    await resolve('the web identity credentials');
    await emu.enqueue({ endpoint: 'sts', status: 400, error: { Code: 'InvalidIdentityToken', Message: echo(S['web identity token']) } });
    await fails('the refused web identity', 'IAMCORE_AUTH');
  } finally {
    set({
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined, AWS_ROLE_ARN: undefined, AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9', AWS_REGION: undefined,
      AWS_EC2_METADATA_DISABLED: 'true', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
    });
    aws.invalidateCredentials();
  }
});

// ------------------------------------------------------------------ other processes

function run(args, extra) {
  return new Promise((resolve, reject) => {
    const env = childEnv(files, { HOME: files.dir, IBM_CREDENTIALS_FILE: undefined, VCAP_SERVICES: undefined, ...extra });
    execFile(process.execPath, args, { env, cwd: files.dir, timeout: 30000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ status: err ? err.code : 0, stdout, stderr });
    });
  });
}

test('NODE_DEBUG=iamcore prints no secret', async () => {
  const code = `
    const { IamAuthenticator, aws } = require(${JSON.stringify(path.join(ROOT, 'node', 'index.js'))});
    (async () => {
      const url = ${JSON.stringify(emu.http)};
      const auth = new IamAuthenticator({ apikey: process.env.K, url, maxRetries: 0 });
      console.log('got a token:', typeof (await auth.getToken()));
      const bad = new IamAuthenticator({ apikey: process.env.K, url, maxRetries: 0 });
      await bad.getToken().catch((e) => console.error(String(e)));
      await aws.generateDbAuthToken({ hostname: ${JSON.stringify(HOST)}, port: 5432, username: 'app', region: 'eu-central-1' });
      await new Promise((r) => setTimeout(r, 100));
    })();`;
  await emu.enqueue({}, { status: 400, error: { errorCode: 'BXNIM0415E', errorMessage: echo(S['API key']) } });
  const r = await run(['-e', code], {
    NODE_DEBUG: 'iamcore', K: S['API key'], AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: S['AWS secret key'], AWS_SESSION_TOKEN: S['session token'],
  });
  assert.equal(r.status, 0, r.stderr.split('\n')[0]);
  assert.match(r.stderr, /IAMCORE \d+: info token_fetched/);
  assert.match(r.stderr, /IAMCORE \d+: error failure/);
  t.add('the stdout of a NODE_DEBUG=iamcore process', r.stdout);
  t.add('the stderr of a NODE_DEBUG=iamcore process', r.stderr);
});

test('the command line: secrets from the environment, none in its messages', async () => {
  const ok = await run([BIN, 'token', '--apikey-env', 'K', '--url', emu.http], { K: S['API key'] });
  assert.equal(ok.status, 0, ok.stderr);
  t.obtained('the printed token', ok.stdout.trim()); // stdout is the token, by design
  t.add('the stderr of iamcore token', ok.stderr);
  await emu.enqueue({ status: 400, error: { errorCode: 'BXNIM0415E', errorMessage: echo(S['API key']) } });
  for (const [args, extra, status] of [
    [['token', '--apikey-env', 'K', '--url', emu.http], { K: S['API key'] }, 4],
    [['token', '--apikey-env', 'K', '--url', emu.https], { K: S['API key'] }, 7],
    [['token', '--apikey-env', 'K'], { K: `"${S['API key']}"` }, 3],
    [['rds-token', '--hostname', HOST, '--port', '5432', '--username', 'app', '--region', 'eu-central-1'], { AWS_SECRET_ACCESS_KEY: S['AWS secret key'] }, 3],
  ]) {
    const r = await run([BIN, ...args], extra);
    assert.equal(r.status, status, `iamcore ${args[0]}: ${r.stderr.split('\n')[0]}`);
    t.add(`the stdout of a failed iamcore ${args[0]}`, r.stdout);
    t.add(`the stderr of a failed iamcore ${args[0]}`, r.stderr);
  }
  const rds = await run([BIN, 'rds-token', '--hostname', HOST, '--port', '5432', '--username', 'app', '--region', 'eu-central-1'],
    { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: S['AWS secret key'], AWS_SESSION_TOKEN: S['session token'] });
  assert.equal(rds.status, 0, rds.stderr);
  t.obtained('the printed RDS token', rds.stdout.trim());
  t.add('the stderr of iamcore rds-token', rds.stderr);
});

test('disabling TLS verification warns, once per process', async () => {
  const index = JSON.stringify(path.join(ROOT, 'node', 'index.js'));
  const code = (body) => `const iamcore = require(${index}); ${body}`;
  const twice = await run(['-e', code(`
    new iamcore.IamAuthenticator({ apikey: process.env.K, disableSslVerification: true });
    new iamcore.ContainerAuthenticator({ iamProfileName: 'p', disableSslVerification: true });
    process.on('warning', (w) => console.log(w.name, w.code));`)], { K: S['API key'] });
  assert.equal(twice.status, 0, twice.stderr);
  assert.equal(twice.stderr.match(/InsecureTLSWarning: IamAuthenticator: TLS certificate verification is disabled/g).length, 1);
  assert.equal(twice.stdout, 'InsecureTLSWarning IAMCORE_INSECURE_TLS\n');
  t.add('the warning', twice.stderr);
  const fromEnv = await run(['-e', code("iamcore.getAuthenticatorFromEnvironment('hygs');")],
    { HYGS_APIKEY: S['API key'], HYGS_AUTH_DISABLE_SSL: 'true' });
  assert.match(fromEnv.stderr, /\[IAMCORE_INSECURE_TLS\] InsecureTLSWarning: IamAuthenticator/);
  const verified = await run(['-e', code(`
    new iamcore.IamAuthenticator({ apikey: process.env.K });
    iamcore.getAuthenticatorFromEnvironment('hygs');`)], { K: S['API key'], HYGS_APIKEY: S['API key'] });
  assert.equal(verified.stderr, '');
});

test('the check sees a secret and names it without showing it', () => {
  const check = new Transcript();
  check.add('a text', `before ${S['API key']} after`);
  assert.throws(() => check.check(), (err) => {
    assert.equal(err.message, 'the API key appears in a text');
    return true;
  });
});
