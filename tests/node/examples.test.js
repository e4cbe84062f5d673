'use strict';
// The examples under examples/node and the JavaScript snippets of docs/migration.md, run
// against the local emulator and a loopback HTTP service (nothing leaves the machine).
//
// docs/migration.md marks each code block with <!-- snippet: ID before|after -->. Every
// JavaScript "after" snippet is executed here, straight from the markdown, by the test
// registered for its ID; a snippet without a test, or a test without a snippet, fails
// 'every JavaScript snippet has a test'. The @aws-sdk/rds-signer "before" snippets run too
// (a devDependency) and must give the same token as their "after".

const { isolateAwsEnv, childEnv, queryMap } = require('./aws-env.js');

const files = isolateAwsEnv();
const AKID = 'AKIDEXAMPLEMIGRATION';
const SECRET = 'migration/secret+key=0123456789abcdef';
// The default chain of this process (iamcore's and the AWS SDK's): set before either runs.
process.env.AWS_ACCESS_KEY_ID = AKID;
process.env.AWS_SECRET_ACCESS_KEY = SECRET;

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const Module = require('node:module');
const path = require('node:path');
const util = require('node:util');
const { execFile } = require('node:child_process');

const iamcore = require('../../node/index.js');
const { Emulator } = require('./emulator.js');

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples', 'node');
const MIGRATION = path.join(ROOT, 'docs', 'migration.md');
const RDS_HOST = 'mydb.c1x2y3z4.eu-west-1.rds.amazonaws.com';
const LOOPBACK = '127.0.0.1,localhost,::1';

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

// ---------------------------------------------------------------- utilities

function jwtClaims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

function apikeySubject(apikey) {
  // The emulator's `sub` for an API key (tests/emulator/README.md).
  return `apikey-${crypto.createHash('sha256').update(apikey).digest('hex').slice(0, 8)}`;
}

function tempFile(name, content) {
  const file = path.join(files.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** A loopback HTTP service that records what it receives and answers JSON. */
async function startService() {
  const service = { requests: [], statuses: [] };
  service.server = http.createServer((req, res) => {
    service.requests.push({ url: req.url, headers: req.headers });
    const status = service.statuses.length ? service.statuses.shift() : 200;
    const body = JSON.stringify(status === 200 ? ['db-one', 'db-two'] : { error: status });
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((resolve) => service.server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${service.server.address().port}/v1/things`;
  service.bearerTokens = () =>
    service.requests.map((r) => {
      const [kind, token] = (r.headers.authorization || '').split(' ');
      assert.equal(kind, 'Bearer');
      return token;
    });
  service.close = () => new Promise((resolve) => service.server.close(resolve));
  return service;
}

async function withService(fn) {
  const service = await startService();
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

/** require() an example afresh (its module-level state starts empty). */
function loadExample(name) {
  const file = path.join(EXAMPLES, `${name}.js`);
  delete require.cache[require.resolve(file)];
  return require(file);
}

/** Run an example as its own process; resolves { code, stdout, stderr }. */
function runExample(name, env, args = []) {
  const full = childEnv(files, { NO_PROXY: LOOPBACK, no_proxy: LOOPBACK, ...env });
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(EXAMPLES, `${name}.js`), ...args], { env: full, timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

function withEnv(vars, fn) {
  const saved = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const restore = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  let result;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  return Promise.resolve(result).finally(restore);
}

function withoutTime(token) {
  const map = queryMap(token);
  delete map['X-Amz-Date'];
  delete map['X-Amz-Signature'];
  return { prefix: token.slice(0, token.indexOf('?')), query: map };
}

/** iamcore keeps botocore's parameter order, the SDK sorts them: compare the parameters. */
function assertSameToken(sdkToken, iamcoreToken) {
  assert.deepEqual(withoutTime(sdkToken), withoutTime(iamcoreToken));
  const [a, b] = [queryMap(sdkToken), queryMap(iamcoreToken)];
  if (a['X-Amz-Date'] === b['X-Amz-Date']) assert.equal(a['X-Amz-Signature'], b['X-Amz-Signature']);
}

// ---------------------------------------------------------------- Cloud Functions action

test('Cloud Functions action: calls the service with a token cached across invocations', () =>
  withService(async (service) => {
    const { main } = loadExample('cloud_function');
    const params = { service_url: service.url, apikey: 'fn-api-key', iam_url: emu.https, iam_ca_file: emu.caFile };

    assert.deepEqual(await main(params), { status: 200, body: ['db-one', 'db-two'] });
    assert.deepEqual(await main({ ...params }), { status: 200, body: ['db-one', 'db-two'] });

    // Two invocations of a warm container: one token request, two service calls.
    const iam = await emu.requests('iam');
    assert.equal(iam.length, 1);
    assert.equal(iam[0].form.apikey, 'fn-api-key');
    const tokens = service.bearerTokens();
    assert.equal(tokens.length, 2);
    assert.equal(tokens[0], tokens[1]);
    assert.equal(jwtClaims(tokens[0]).sub, apikeySubject('fn-api-key'));
  }));

test('Cloud Functions action: takes the API key of a bound service', () =>
  withService(async (service) => {
    const { main } = loadExample('cloud_function');
    const params = {
      service_url: service.url,
      iam_url: emu.http,
      __bx_creds: { cloudantnosqldb: { apikey: 'bound-api-key', url: 'https://x.invalid' } },
    };
    assert.equal((await main(params)).status, 200);
    assert.equal((await emu.requests('iam'))[0].form.apikey, 'bound-api-key');
  }));

test('Cloud Functions action: gets a new token once after a 401', () =>
  withService(async (service) => {
    const { main } = loadExample('cloud_function');
    service.statuses = [401];
    const result = await main({ service_url: service.url, apikey: 'fn-api-key', iam_url: emu.http });
    assert.deepEqual(result, { status: 200, body: ['db-one', 'db-two'] });
    assert.equal((await emu.requests('iam')).length, 2);
    const [first, second] = service.bearerTokens();
    assert.notEqual(first, second);
  }));

test('Cloud Functions action: reports a refused API key without it', () =>
  withService(async (service) => {
    const { main } = loadExample('cloud_function');
    const result = await main({ service_url: service.url, apikey: 'bad-key', iam_url: emu.http });
    assert.deepEqual(Object.keys(result), ['error']);
    assert.match(result.error, /^IAM: IAMCORE_AUTH: .*BXNIM0415E/);
    assert.ok(!result.error.includes('bad-key'), 'the API key appears in the error');
    assert.equal(service.requests.length, 0);
  }));

test('Cloud Functions action: reports a service error', () =>
  withService(async (service) => {
    const { main } = loadExample('cloud_function');
    service.statuses = [503];
    const result = await main({ service_url: service.url, apikey: 'fn-api-key', iam_url: emu.http });
    assert.deepEqual(result, { error: `${service.url} answered HTTP 503` });
  }));

test('Cloud Functions action: names a missing parameter', async () => {
  const { main } = loadExample('cloud_function');
  assert.match((await main({ apikey: 'k' })).error, /service_url/);
  assert.match((await main({ service_url: 'http://127.0.0.1:9/x', __bx_creds: { svc: { url: 'u' } } })).error, /API key/);
  assert.equal((await emu.requests()).length, 0);
});

// ---------------------------------------------------------------- Code Engine job

function jobEnv(service, crTokenFilename, extra = {}) {
  return {
    TRUSTED_PROFILE_NAME: 'report-writer',
    CR_TOKEN_FILENAME: crTokenFilename,
    IAM_URL: emu.https,
    IAM_CA_FILE: emu.caFile,
    SERVICE_URL: service.url,
    JOB_INDEX: '3',
    ...extra,
  };
}

test('Code Engine job: calls the service as the trusted profile', () =>
  withService(async (service) => {
    const file = tempFile('job-cr-token', 'cr-token-of-the-job\n');
    const result = await runExample('code_engine_job', jobEnv(service, file));

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `job index 3: GET ${service.url}: HTTP 200, 2 items\n`);
    const [request, ...more] = await emu.requests('iam');
    assert.equal(more.length, 0);
    assert.equal(request.form.grant_type, 'urn:ibm:params:oauth:grant-type:cr-token');
    assert.equal(request.form.cr_token, 'cr-token-of-the-job');
    assert.equal(request.form.profile_name, 'report-writer');
    const [token] = service.bearerTokens();
    assert.equal(jwtClaims(token).sub, 'profile-report-writer');
    const output = result.stdout + result.stderr;
    assert.ok(!output.includes('cr-token-of-the-job') && !output.includes(token), 'a secret in the output');
  }));

test('Code Engine job: without a token file, names the path and sends nothing', () =>
  withService(async (service) => {
    const missing = path.join(files.dir, 'no-such-token');
    const result = await runExample('code_engine_job', jobEnv(service, missing));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^IAM: IAMCORE_TOKEN_FILE: /);
    assert.ok(result.stderr.includes(missing));
    assert.equal((await emu.requests()).length, 0);
    assert.equal(service.requests.length, 0);
  }));

test('Code Engine job: without a profile, a configuration error', () =>
  withService(async (service) => {
    const file = tempFile('job-cr-token-2', 'cr\n');
    const result = await runExample('code_engine_job', jobEnv(service, file, { TRUSTED_PROFILE_NAME: undefined }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^IAM: IAMCORE_CONFIG: /);
    assert.equal((await emu.requests()).length, 0);
  }));

test('Code Engine job: reports a refusal of the service', () =>
  withService(async (service) => {
    service.statuses = [403];
    const file = tempFile('job-cr-token-3', 'cr\n');
    const result = await runExample('code_engine_job', jobEnv(service, file));
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'the service answered HTTP 403\n');
  }));

// ---------------------------------------------------------------- the other examples

test('quickstart.js gets both kinds of token', async () => {
  const result = await runExample('quickstart', {
    IBMCLOUD_API_KEY: 'quickstart-key',
    TRUSTED_PROFILE_NAME: 'quickstart-profile',
    CR_TOKEN_FILENAME: tempFile('quickstart-cr-token', 'cr\n'),
    IAM_URL: emu.https,
    IAM_CA_FILE: emu.caFile,
  });
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^Node, API key: +Authorization: Bearer \S{12}… \(\d+ chars\)$/);
  assert.match(lines[1], /^Node, trusted profile: +token \S{12}… \(\d+ chars\)$/);
  const grants = (await emu.requests('iam')).map((r) => r.form.grant_type.split(':').pop());
  assert.deepEqual(grants, ['apikey', 'cr-token']);
});

test('rds_token.js prints a shortened token', async () => {
  const host = 'mydb.abc123.eu-central-1.rds.amazonaws.com';
  const result = await runExample('rds_token', { AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: SECRET }, [host, '5432', 'app_user']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^Node, RDS token: +${host.replaceAll('.', '\\.')}:5432/\\?… \\(\\d+ chars\\)\\n$`));
  assert.ok(!result.stdout.includes(SECRET));
});

// ---------------------------------------------------------------- docs/migration.md

const SNIPPET = /<!-- snippet: ([a-z0-9-]+) (before|after) -->\n```([a-z]+)\n([\s\S]*?)\n```\n/g;

/** Map of 'id role' -> { lang, code } for docs/migration.md. */
function migrationSnippets() {
  const text = fs.readFileSync(MIGRATION, 'utf8');
  const snippets = new Map();
  for (const [, id, role, lang, code] of text.matchAll(SNIPPET)) {
    assert.ok(!snippets.has(`${id} ${role}`), `snippet ${id} ${role} appears twice`);
    snippets.set(`${id} ${role}`, { lang, code });
  }
  return snippets;
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
// Resolves 'iamcore' (the package's own name) and the devDependencies as a user's code would.
const docRequire = Module.createRequire(MIGRATION);
const SNIPPET_TESTS = new Set(); // the IDs whose "after" a test runs
const BEFORE_TESTS = new Set(); // the IDs whose test also runs the "before"
// The "before" snippets no test runs, and why.
const BEFORE_NOT_RUN = { 'node-aws-wrapper': 'aws-advanced-nodejs-wrapper is not a devDependency' };

/** Run a JavaScript snippet of docs/migration.md with `names` defined; resolves to the
 * values of the variables listed in `returns`. `modules` stands in for require()d packages. */
function runSnippet(id, role, { names = {}, returns = [], modules = {} } = {}) {
  assert.ok(role === 'after' || BEFORE_TESTS.has(id), `${id}: register its test with { before: true }`);
  const snippet = migrationSnippets().get(`${id} ${role}`);
  assert.ok(snippet, `no snippet ${id} ${role}`);
  assert.equal(snippet.lang, 'js');
  const req = (name) => (name in modules ? modules[name] : docRequire(name));
  const body = `${snippet.code}\nreturn { ${returns.join(', ')} };`;
  return new AsyncFunction('require', ...Object.keys(names), body)(req, ...Object.values(names));
}

/** Register the test that runs the "after" snippet `id` and, with { before: true }, its
 * "before" too (when the packages it uses are installed). */
function snippetTest(id, fn, { before = false } = {}) {
  SNIPPET_TESTS.add(id);
  if (before) BEFORE_TESTS.add(id);
  test(`migration.md snippet ${id}`, fn);
}

function sdkModule(name) {
  try {
    return docRequire(name);
  } catch {
    return null;
  }
}

const IBM_CORE_MISSING = 'ibm-cloud-sdk-core is not installed: the "before" is not run';

test('every JavaScript snippet has a test', () => {
  const ids = [...migrationSnippets()]
    .filter(([key, { lang }]) => key.endsWith(' after') && lang === 'js')
    .map(([key]) => key.split(' ')[0]);
  assert.deepEqual(ids.sort(), [...SNIPPET_TESTS].sort());
  // Every "before" runs too, but those whose package is not a test dependency.
  const notRun = Object.keys(BEFORE_NOT_RUN);
  assert.ok(!notRun.some((id) => BEFORE_TESTS.has(id)));
  assert.deepEqual([...BEFORE_TESTS, ...notRun].sort(), ids.sort());
});

function without(object, ...names) {
  return Object.fromEntries(Object.entries(object).filter(([k]) => !names.includes(k)));
}

snippetTest('node-iam', async (t) => {
  // The emulator also answers absolute-form requests, so it plays the proxy here.
  const proxy = new URL(emu.http);
  const names = {
    apikey: 'migration-api-key',
    iamUrl: 'http://iam.invalid.example',
    clientId: 'my-client',
    clientSecret: 'my-client-secret',
    correlationId: 'corr-1',
    proxyUrl: emu.http,
    proxyHost: proxy.hostname,
    proxyPort: Number(proxy.port),
    serviceUrl: 'https://service.invalid/v1',
  };
  const { authenticator, requestOptions, token } = await runSnippet('node-iam', 'after', {
    names,
    returns: ['authenticator', 'requestOptions', 'token'],
  });
  assert.ok(authenticator instanceof iamcore.IamAuthenticator);
  assert.equal(requestOptions.headers.Authorization, `Bearer ${token}`);
  const [request, ...more] = await emu.requests('iam');
  assert.equal(more.length, 0);
  assert.equal(request.form.apikey, 'migration-api-key');
  assert.equal(request.form.scope, 'ibm openid');
  assert.equal(request.headers['x-correlation-id'], 'corr-1');
  assert.equal(request.headers.authorization, `Basic ${Buffer.from('my-client:my-client-secret').toString('base64')}`);

  if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
  const before = await runSnippet('node-iam', 'before', { names, returns: ['requestOptions', 'token'] });
  assert.equal(before.requestOptions.headers.Authorization, `Bearer ${before.token}`);
  const ibm = (await emu.requests('iam')).at(-1);
  assert.deepEqual(ibm.form, request.form);
  for (const header of ['x-correlation-id', 'authorization']) assert.equal(ibm.headers[header], request.headers[header]);
}, { before: true });

snippetTest('node-container', (t) =>
  withEnv({ TRUSTED_PROFILE_NAME: 'migrated-profile' }, async () => {
    const names = { crTokenFilename: tempFile('migrated-cr-token', 'cr-migrated\n'), iamUrl: emu.http };
    const { token } = await runSnippet('node-container', 'after', { names, returns: ['token'] });
    assert.equal(jwtClaims(token).sub, 'profile-migrated-profile');
    const [request] = await emu.requests('iam');
    assert.equal(request.form.cr_token, 'cr-migrated');
    assert.equal(request.form.profile_name, 'migrated-profile');

    if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
    const before = await runSnippet('node-container', 'before', { names, returns: ['token'] });
    assert.equal(jwtClaims(before.token).sub, 'profile-migrated-profile');
    const ibm = (await emu.requests('iam')).at(-1);
    assert.deepEqual(without(ibm.form, 'cr_token'), without(request.form, 'cr_token'));
    assert.equal(ibm.form.cr_token, 'cr-migrated\n'); // the IBM core sends the file as read
  }), { before: true });

snippetTest('node-errors', async (t) => {
  const logged = [];
  const console = { error: (line) => logged.push(line) };
  const refused = new iamcore.IamAuthenticator({ apikey: 'bad-key', url: emu.http });
  await assert.rejects(
    runSnippet('node-errors', 'after', { names: { authenticator: refused, requestOptions: {}, console } }),
    (err) => err instanceof iamcore.IamcoreError && err.code === 'IAMCORE_AUTH',
  );
  const unreachable = new iamcore.IamAuthenticator({ apikey: 'k', url: 'http://127.0.0.1:9', maxRetries: 1 });
  await assert.rejects(
    runSnippet('node-errors', 'after', { names: { authenticator: unreachable, requestOptions: {}, console } }),
    (err) => err.code === 'IAMCORE_TRANSPORT',
  );
  // Anything else is rethrown untouched and not logged.
  const broken = { authenticate: async () => { throw new RangeError('not iamcore'); } };
  await assert.rejects(
    runSnippet('node-errors', 'after', { names: { authenticator: broken, requestOptions: {}, console } }),
    RangeError,
  );
  assert.equal(logged.length, 2);
  assert.match(logged[0], /^IAM refused: HTTP 400, BXNIM0415E Provided API key could not be found \(transaction emu-\d+\)$/);
  assert.match(logged[1], /^IAM not reached after 2 attempts: IAMCORE_TRANSPORT /);
  assert.ok(!logged[0].includes('bad-key'));

  const sdkCore = sdkModule('ibm-cloud-sdk-core');
  if (!sdkCore) return t.skip(IBM_CORE_MISSING);
  const ibmRefused = new sdkCore.IamAuthenticator({ apikey: 'bad-key', url: emu.http });
  // IAM's own answer names its host in context.url, which makes the IBM core replace the message.
  await emu.enqueue({ status: 400, json: { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found', context: { requestId: 'r-1', url: 'iam.cloud.ibm.com' } } });
  await assert.rejects(
    runSnippet('node-errors', 'before', { names: { authenticator: ibmRefused, requestOptions: {}, console } }),
    (err) => err.status === 400,
  );
  assert.equal(logged[2], 'IAM refused: HTTP 400 Access is denied due to invalid credentials.');
}, { before: true });

const REFRESH_SEED_KEY = 'refresh-seed-key';

/** A refresh token the emulator issued, with an API-key grant sent by hand. */
async function issuedRefreshToken() {
  await emu.tokenSettings({ issue_refresh_tokens: true });
  const response = await fetch(`${emu.http}/identity/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: REFRESH_SEED_KEY, response_type: 'cloud_iam' }),
  });
  const { refresh_token: token } = await response.json();
  assert.match(token, /^emu-refresh-/);
  return token;
}

async function refreshGrants() {
  return (await emu.requests('iam')).filter((r) => r.form.grant_type === 'refresh_token');
}

snippetTest('node-refresh', async () => {
  const names = { iamUrl: emu.http, clientId: 'my-client', clientSecret: 'my-client-secret' };
  const first = await issuedRefreshToken();
  const { authenticator, token } = await runSnippet('node-refresh', 'after', {
    names: { ...names, refreshToken: first },
    returns: ['authenticator', 'token'],
  });
  assert.equal(jwtClaims(token).sub, apikeySubject(REFRESH_SEED_KEY));
  assert.equal(jwtClaims(token).grant_type, 'refresh_token');
  const [grant, ...more] = await refreshGrants();
  assert.equal(more.length, 0);
  assert.deepEqual(grant.form, { grant_type: 'refresh_token', refresh_token: first, response_type: 'cloud_iam' });
  const basic = `Basic ${Buffer.from('my-client:my-client-secret').toString('base64')}`;
  assert.equal(grant.headers.authorization, basic);
  const shown = `${util.inspect(authenticator)} ${JSON.stringify(authenticator)}`;
  assert.ok(!shown.includes(first) && !shown.includes('my-client-secret'), 'a secret is shown');
  // The next fetch sends the refresh token of the last answer, not the first one.
  authenticator.invalidate();
  await authenticator.getToken();
  const second = (await refreshGrants()).at(-1).form.refresh_token;
  assert.match(second, /^emu-refresh-/);
  assert.notEqual(second, first);

  const given = await issuedRefreshToken();
  const before = await runSnippet('node-refresh', 'before', {
    names: { ...names, refreshToken: given },
    returns: ['token', 'nextRefreshToken'],
  });
  assert.equal(jwtClaims(before.token).sub, apikeySubject(REFRESH_SEED_KEY));
  const byHand = (await refreshGrants()).at(-1);
  assert.deepEqual(byHand.form, { ...grant.form, refresh_token: given });
  assert.equal(byHand.headers.authorization, basic);
  assert.match(before.nextRefreshToken, /^emu-refresh-/);
  assert.notEqual(before.nextRefreshToken, given);
}, { before: true });

async function vpcRequests() {
  return (await emu.requests('vpc-token,vpc-iam-token')).map((r) => [r.endpoint, r.method, r.path, r.query, r.json]);
}

snippetTest('node-vpc', async (t) => {
  const crn = 'crn:v1:bluemix:public:iam-identity::a/0123456789abcdef::profile:Profile-migrated';
  const names = { iamProfileCrn: crn, metadataUrl: emu.http };
  const { authenticator, token } = await runSnippet('node-vpc', 'after', { names, returns: ['authenticator', 'token'] });
  assert.ok(authenticator instanceof iamcore.VpcInstanceAuthenticator);
  assert.equal(jwtClaims(token).sub, `profile-${crn}`);
  const after = await vpcRequests();
  assert.deepEqual(after, [
    ['vpc-token', 'PUT', '/instance_identity/v1/token', 'version=2022-03-01', { expires_in: 300 }],
    ['vpc-iam-token', 'POST', '/instance_identity/v1/iam_token', 'version=2022-03-01', { trusted_profile: { crn } }],
  ]);

  if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
  await emu.reset();
  const before = await runSnippet('node-vpc', 'before', { names, returns: ['token'] });
  assert.equal(jwtClaims(before.token).sub, `profile-${crn}`);
  assert.deepEqual(await vpcRequests(), after);
}, { before: true });

snippetTest('node-assume', async (t) => {
  const names = { apikey: 'assume-api-key', iamProfileId: 'Profile-assumed', iamUrl: emu.http };
  const { authenticator, token } = await runSnippet('node-assume', 'after', { names, returns: ['authenticator', 'token'] });
  assert.equal(jwtClaims(token).sub, 'profile-Profile-assumed');
  const forms = (await emu.requests('iam')).map((r) => without(r.form, 'access_token'));
  assert.deepEqual(forms, [
    { grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: 'assume-api-key', response_type: 'cloud_iam' },
    { grant_type: 'urn:ibm:params:oauth:grant-type:assume', profile_id: 'Profile-assumed' },
  ]);
  // invalidate() drops the assumed token only: one request, the assume grant.
  authenticator.invalidate();
  await authenticator.getToken();
  const all = await emu.requests('iam');
  assert.equal(all.length, 3);
  assert.equal(all[2].form.grant_type, 'urn:ibm:params:oauth:grant-type:assume');

  if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
  await emu.reset();
  const before = await runSnippet('node-assume', 'before', { names, returns: ['token'] });
  assert.equal(jwtClaims(before.token).sub, 'profile-Profile-assumed');
  assert.deepEqual((await emu.requests('iam')).map((r) => without(r.form, 'access_token')), forms);
}, { before: true });

/** The headers set by the three authenticators a node-simple snippet made. */
async function simpleHeaders({ bearer, basic, noAuth, requestOptions }) {
  const bearerOptions = { headers: {} };
  const noAuthOptions = { headers: {} };
  await bearer.authenticate(bearerOptions);
  await noAuth.authenticate(noAuthOptions);
  const types = [bearer, basic, noAuth].map((a) => a.authenticationType());
  return [requestOptions.headers, bearerOptions.headers, noAuthOptions.headers, types];
}

snippetTest('node-simple', async (t) => {
  const names = {
    accessToken: 'first-access-token',
    newAccessToken: 'second-access-token',
    username: 'usér',
    password: 'pässwörd:with colon',
    serviceUrl: 'https://service.invalid/v1',
  };
  const returns = ['bearer', 'basic', 'noAuth', 'requestOptions'];
  const ns = await runSnippet('node-simple', 'after', { names, returns });
  const basic = `Basic ${Buffer.from('usér:pässwörd:with colon', 'utf8').toString('base64')}`;
  const after = await simpleHeaders(ns);
  assert.deepEqual(after, [
    { Authorization: basic },
    { Authorization: 'Bearer second-access-token' },
    {},
    ['bearerToken', 'basic', 'noAuth'],
  ]);
  for (const a of [ns.bearer, ns.basic]) {
    const shown = `${util.inspect(a, { showHidden: true })} ${JSON.stringify(a)}`;
    assert.ok(!shown.includes('second-access-token') && !shown.includes('pässwörd'), 'a secret is shown');
  }
  // What iamcore refuses and the IBM core accepts.
  const refused = [
    () => new iamcore.BearerTokenAuthenticator({ bearerToken: '' }),
    () => new iamcore.BearerTokenAuthenticator({ bearerToken: 'token\r\nX-Injected: 1' }),
    () => new iamcore.BasicAuthenticator({ username: 'user:name', password: 'password' }),
  ];
  for (const make of refused) assert.throws(make, (err) => err.code === 'IAMCORE_CONFIG');

  const sdkCore = sdkModule('ibm-cloud-sdk-core');
  if (!sdkCore) return t.skip(IBM_CORE_MISSING);
  assert.deepEqual(await simpleHeaders(await runSnippet('node-simple', 'before', { names, returns })), after);
  new sdkCore.BearerTokenAuthenticator({ bearerToken: 'token\r\nX-Injected: 1' });
  new sdkCore.BasicAuthenticator({ username: 'user:name', password: 'password' });
}, { before: true });

/** Run fn with a clean external configuration of IBM services: IBM_CREDENTIALS_FILE = an
 * empty file (its path is fn's argument), no VCAP_SERVICES, no MY_SERVICE_* or CLOUDANT_*. */
function withServiceConfig(vars, fn) {
  const credentials = tempFile('ibm-credentials.env', '');
  const clear = Object.fromEntries(Object.keys(process.env)
    .filter((k) => k.startsWith('MY_SERVICE_') || k.startsWith('CLOUDANT_'))
    .map((k) => [k, undefined]));
  return withEnv({ ...clear, VCAP_SERVICES: undefined, IBM_CREDENTIALS_FILE: credentials, ...vars }, () => fn(credentials));
}

function envAuthenticator(role) {
  return runSnippet('node-env', role, { returns: ['authenticator'] }).then((ns) => ns.authenticator);
}

snippetTest('node-env', (t) =>
  withServiceConfig({ MY_SERVICE_SCOPE: 'not read' }, async (credentials) => {
    // The file is used alone: the environment's MY_SERVICE_SCOPE is not merged in.
    fs.writeFileSync(credentials, `# the service's credentials\nMY_SERVICE_APIKEY=file-api-key\nMY_SERVICE_AUTH_URL=${emu.http}\n`);
    const authenticator = await envAuthenticator('after');
    assert.ok(authenticator instanceof iamcore.IamAuthenticator);
    assert.equal(jwtClaims(await authenticator.getToken()).sub, apikeySubject('file-api-key'));
    assert.equal((await emu.requests('iam')).at(-1).form.scope, undefined);

    if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
    const before = await envAuthenticator('before');
    assert.equal(before.constructor.name, 'IamAuthenticator');
    assert.equal(jwtClaims(await before.tokenManager.getToken()).sub, apikeySubject('file-api-key'));
    assert.equal((await emu.requests('iam')).at(-1).form.scope, undefined);
  }), { before: true });

test('migration.md snippet node-env: environment variables', (t) =>
  withServiceConfig({
    MY_SERVICE_AUTH_TYPE: 'Container',
    MY_SERVICE_AUTH_URL: emu.http,
    MY_SERVICE_IAM_PROFILE_NAME: 'env-profile',
    MY_SERVICE_CR_TOKEN_FILENAME: tempFile('env-cr-token', 'cr-env\n'),
  }, async () => {
    const authenticator = await envAuthenticator('after');
    assert.ok(authenticator instanceof iamcore.ContainerAuthenticator);
    assert.equal(jwtClaims(await authenticator.getToken()).sub, 'profile-env-profile');
    const after = (await emu.requests('iam')).at(-1).form;
    assert.deepEqual([after.cr_token, after.profile_name], ['cr-env', 'env-profile']);

    if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
    const before = await envAuthenticator('before');
    assert.equal(before.constructor.name, 'ContainerAuthenticator');
    assert.equal(jwtClaims(await before.tokenManager.getToken()).sub, 'profile-env-profile');
    assert.deepEqual(without((await emu.requests('iam')).at(-1).form, 'cr_token'), without(after, 'cr_token'));
  }));

test('migration.md snippet node-env: VCAP_SERVICES', async (t) => {
  const userProvided = JSON.stringify({ 'user-provided': [{ name: 'my-service', credentials: { username: 'vcap-user', password: 'vcap-pw' } }] });
  // Cloudant's entries hold an API key and a username and password.
  const cloudant = JSON.stringify({ cloudantNoSQLDB: [{ name: 'my-service', credentials: { apikey: 'vcap-api-key', username: 'vcap-user', password: 'vcap-pw', url: 'https://x.invalid' } }] });
  const basic = `Basic ${Buffer.from('vcap-user:vcap-pw').toString('base64')}`;
  const header = async (authenticator) => {
    const options = { headers: {} };
    await authenticator.authenticate(options);
    return options.headers.Authorization;
  };

  await withServiceConfig({ VCAP_SERVICES: userProvided }, async () => {
    assert.equal(await header(await envAuthenticator('after')), basic);
  });
  await withServiceConfig({ VCAP_SERVICES: cloudant }, async () => {
    // An API key wins; no token is fetched: the URL is IBM Cloud's (VCAP_SERVICES has no AUTH_URL).
    const authenticator = await envAuthenticator('after');
    assert.ok(authenticator instanceof iamcore.IamAuthenticator);
    assert.deepEqual(authenticator.toJSON(), { type: 'IamAuthenticator', authenticationType: 'iam' }); // the default URL
  });

  if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
  await withServiceConfig({ VCAP_SERVICES: userProvided }, async () => {
    assert.equal(await header(await envAuthenticator('before')), basic);
  });
  await withServiceConfig({ VCAP_SERVICES: cloudant }, async () => {
    assert.equal((await envAuthenticator('before')).constructor.name, 'BasicAuthenticator');
  });
});

test('migration.md snippet node-env: errors and the credentials file rules', async (t) => {
  const configError = (pattern) => (err) => err instanceof iamcore.IamcoreError && err.code === 'IAMCORE_CONFIG' && pattern.test(err.message);
  await withServiceConfig({}, () =>
    assert.rejects(envAuthenticator('after'), configError(/^no configuration found for service "my-service" \(looked in: /)));
  await withServiceConfig({ MY_SERVICE_AUTH_TYPE: 'kerberos' }, () =>
    assert.rejects(envAuthenticator('after'), configError(/unknown AUTH_TYPE/)));
  await withServiceConfig({ MY_SERVICE_AUTH_TYPE: 'iam', MY_SERVICE_CLIENT_SECRET: 'env-client-secret' }, () =>
    assert.rejects(envAuthenticator('after'), (err) => configError(/needs APIKEY/)(err) && !err.message.includes('env-client-secret')));
  // A value in quotes keeps them, and an API key in quotes is refused, naming APIKEY.
  await withServiceConfig({}, async (credentials) => {
    fs.writeFileSync(credentials, `MY_SERVICE_APIKEY="quoted-api-key"\nMY_SERVICE_AUTH_URL=${emu.http}\n`);
    await assert.rejects(envAuthenticator('after'), (err) => configError(/APIKEY/)(err) && !err.message.includes('quoted-api-key'));
  });
  // IBM_CREDENTIALS_FILE naming no file: the environment is read instead.
  await withServiceConfig({ IBM_CREDENTIALS_FILE: path.join(files.dir, 'no-such-file.env'), MY_SERVICE_APIKEY: 'env-api-key' }, async () => {
    assert.ok((await envAuthenticator('after')) instanceof iamcore.IamAuthenticator);
  });

  if (!sdkModule('ibm-cloud-sdk-core')) return t.skip(IBM_CORE_MISSING);
  await withServiceConfig({}, () =>
    assert.rejects(envAuthenticator('before'), /At least one of `iamProfileName` or `iamProfileId` must be specified/));
  await withServiceConfig({ MY_SERVICE_AUTH_TYPE: 'kerberos' }, () =>
    assert.rejects(envAuthenticator('before'), /Invalid value for AUTH_TYPE/));
  await withServiceConfig({ MY_SERVICE_AUTH_TYPE: 'iam', MY_SERVICE_REFRESH_TOKEN: 'r', MY_SERVICE_CLIENT_ID: 'c', MY_SERVICE_CLIENT_SECRET: 's' }, () =>
    assert.rejects(envAuthenticator('before'), /Missing required parameters: apikey/));
  await withServiceConfig({}, async (credentials) => {
    fs.writeFileSync(credentials, `MY_SERVICE_APIKEY="quoted-api-key"\nMY_SERVICE_AUTH_URL=${emu.http}\n`);
    const before = await envAuthenticator('before'); // dotenv removed the quotes
    assert.equal(jwtClaims(await before.tokenManager.getToken()).sub, apikeySubject('quoted-api-key'));
  });
  await withServiceConfig({ IBM_CREDENTIALS_FILE: path.join(files.dir, 'no-such-file.env'), MY_SERVICE_APIKEY: 'env-api-key' }, () =>
    assert.rejects(envAuthenticator('before'), TypeError));
});

function withCloudant(apikey, fn) {
  return withService((service) =>
    withServiceConfig({ CLOUDANT_APIKEY: apikey, CLOUDANT_AUTH_URL: emu.http, CLOUDANT_URL: new URL(service.url).origin }, () => fn(service)));
}

snippetTest('node-sdk-service', (t) =>
  withCloudant('cloudant-api-key', async (service) => {
    const after = await runSnippet('node-sdk-service', 'after', { returns: ['service', 'databases'] });
    assert.deepEqual(after.databases, ['db-one', 'db-two']);
    const authenticator = after.service.getAuthenticator();
    assert.ok(authenticator instanceof iamcore.IamAuthenticator);
    const [token] = service.bearerTokens();
    assert.equal(token, await authenticator.getToken());
    assert.equal(jwtClaims(token).sub, apikeySubject('cloudant-api-key'));
    assert.deepEqual(service.requests.map((r) => r.url), ['/_all_dbs']);

    if (!sdkModule('@ibm-cloud/cloudant')) return t.skip('@ibm-cloud/cloudant is not installed: the "before" is not run');
    const before = await runSnippet('node-sdk-service', 'before', { returns: ['service', 'databases'] });
    assert.deepEqual(before.databases, ['db-one', 'db-two']);
    assert.ok(!(before.service.getAuthenticator() instanceof iamcore.IamAuthenticator));
    assert.equal(jwtClaims(service.bearerTokens()[1]).sub, apikeySubject('cloudant-api-key'));
    assert.equal((await emu.requests('iam')).length, 2);
  }), { before: true });

test('migration.md snippet node-sdk-service: a refused API key rejects the call, nothing reaches the service', () =>
  withCloudant('bad-key', async (service) => {
    await assert.rejects(
      runSnippet('node-sdk-service', 'after', { returns: ['databases'] }),
      (err) => err instanceof iamcore.IamcoreError && err.code === 'IAMCORE_AUTH' && err.errorCode === 'BXNIM0415E',
    );
    assert.equal(service.requests.length, 0);
  }));

snippetTest('node-rds-signer', async (t) => {
  const { password } = await runSnippet('node-rds-signer', 'after', { names: { host: RDS_HOST }, returns: ['password'] });
  assert.ok(password.startsWith(`${RDS_HOST}:5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=`), password.slice(0, 100));
  assert.match(queryMap(password)['X-Amz-Credential'], new RegExp(`^${AKID}/\\d{8}/eu-west-1/rds-db/aws4_request$`));

  if (!sdkModule('@aws-sdk/rds-signer')) return t.skip('@aws-sdk/rds-signer is not installed: the "before" is not compared');
  const sdk = await runSnippet('node-rds-signer', 'before', { names: { host: RDS_HOST }, returns: ['password'] });
  assertSameToken(sdk.password, password);
}, { before: true });

function reportingProfile() {
  // The environment holds other credentials (AKID): the named profile must win.
  fs.writeFileSync(files.credentials, '[reporting]\naws_access_key_id = AKIDREPORTING\naws_secret_access_key = reporting/secret\n');
  fs.writeFileSync(files.config, '[profile reporting]\nregion = eu-west-1\n');
}

snippetTest('node-rds-signer-credentials', async (t) => {
  if (!sdkModule('@aws-sdk/credential-providers')) return t.skip('@aws-sdk/credential-providers is not installed');
  reportingProfile();
  const { password, passwordViaSdk } = await runSnippet('node-rds-signer-credentials', 'after', {
    names: { host: RDS_HOST },
    returns: ['password', 'passwordViaSdk'],
  });
  for (const token of [password, passwordViaSdk]) {
    assert.match(queryMap(token)['X-Amz-Credential'], /^AKIDREPORTING\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
  }
  assertSameToken(passwordViaSdk, password);

  if (!sdkModule('@aws-sdk/rds-signer')) return t.skip('@aws-sdk/rds-signer is not installed: the "before" is not compared');
  const sdk = await runSnippet('node-rds-signer-credentials', 'before', { names: { host: RDS_HOST }, returns: ['password'] });
  assertSameToken(sdk.password, password);
}, { before: true });

snippetTest('node-aws-wrapper', async () => {
  reportingProfile();
  const rdsHost = 'mydb.cluster-c1x2y3z4.eu-west-1.rds.amazonaws.com';
  // Stands in for node-postgres: asks for the password at connect(); the first login is
  // refused, as with a stale token.
  const clients = [];
  class Client {
    constructor(options) {
      this.options = options;
      clients.push(this);
    }

    async connect() {
      this.password = await this.options.password();
      if (clients.length === 1) throw Object.assign(new Error('password authentication failed'), { code: '28P01' });
    }
  }
  const { client, signer } = await runSnippet('node-aws-wrapper', 'after', {
    names: { rdsHost },
    returns: ['client', 'signer'],
    modules: { pg: { Client } },
  });
  assert.equal(clients.length, 2);
  assert.equal(client, clients[1]);
  assert.equal(signer.region, 'eu-west-1');
  for (const c of clients) {
    assert.deepEqual([c.options.host, c.options.port, c.options.user], ['localhost', 15432, 'app_user']);
    assert.ok(c.password.startsWith(`${rdsHost}:5432/?Action=connect&DBUser=app_user&`), c.password.slice(0, 100));
    assert.match(queryMap(c.password)['X-Amz-Credential'], /^AKIDREPORTING\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
  }
});
