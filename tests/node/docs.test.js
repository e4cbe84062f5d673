'use strict';
// The JavaScript blocks of the feature docs, run straight from the markdown
// (tests/node/helpers/doc-snippets.js has the marker rules; the other blocks run in
// tests/python/test_docs.py). Tokens come from the IAM emulator over real sockets,
// services are loopback servers, the RDS recipes run against the real PostgreSQL of
// tests/python/pg_server.py. A snippet's free names are filled in by its test; where it
// leaves IBM's IAM URL or the platform's token file at their defaults, the 'iamcore' it
// requires points them at the emulator and a test file (iamcoreWithDefaults).

const { isolateAwsEnv } = require('./aws-env.js');

const files = isolateAwsEnv();

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const pg = require('pg');

const iamcore = require('../../node/index.js');
const { Emulator } = require('./emulator.js');
const { PgServer } = require('./pg-server.js');
const { Doc, iamcoreWithDefaults } = require('./helpers/doc-snippets.js');

const RECIPES = new Doc('docs/recipes-node.md');
const POSTGRES = new Doc('docs/postgres.md');
const ENVIRONMENT = new Doc('docs/environment.md');
const EMULATOR = new Doc('docs/emulator.md');
const LOGGING = new Doc('docs/logging.md');

let emu;
let here; // iamcore as the snippets require it
before(async () => {
  emu = await Emulator.start();
  here = iamcoreWithDefaults(iamcore, { url: emu.http, crTokenFilename: tempFile('cr-token', 'cr-of-the-docs\n') });
});
after(() => emu.stop());
beforeEach(() => emu.reset());

// ---------------------------------------------------------------- utilities

function jwtClaims(token) {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  assert.equal(claims.iss, 'iamcore-emulator', 'not a token of the emulator');
  return claims;
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

/** Set environment variables for the time of fn (undefined removes one). */
async function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** A loopback HTTP service that records each request and answers a JSON object. */
async function withService(fn) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    req.resume();
    const body = JSON.stringify(req.url === '/_all_dbs' ? ['movies', 'reviews'] : { couchdb: 'Welcome', version: '3.3.3' });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn({ url: `http://127.0.0.1:${server.address().port}`, requests });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The text of the `// '…'` comment that follows `after` in a snippet, as a RegExp ('…' stands for a value). */
function shownValue(block, after) {
  const lines = block.code.split('\n');
  const start = lines.findIndex((l) => l.includes(after));
  const comment = lines.slice(start).find((l) => /^\/\/ '.*'$/.test(l.trim()));
  assert.ok(comment, `no '// '…'' comment after ${after}`);
  const shown = comment.trim().slice(4, -1);
  return new RegExp(`^${shown.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
}

// ---------------------------------------------------------------- docs/recipes-node.md

RECIPES.test('node-cloudant', () =>
  withService((service) =>
    withEnv({ CLOUDANT_APIKEY: 'cloudant-docs-key', CLOUDANT_URL: service.url, CLOUDANT_AUTH_TYPE: undefined }, async () => {
      const { result, authenticator } = await RECIPES.run('node-cloudant', {
        modules: { iamcore: here },
        returns: ['result', 'authenticator'],
      });
      assert.equal(result.couchdb, 'Welcome');
      const token = await authenticator.getToken();
      assert.equal(jwtClaims(token).sub, apikeySubject('cloudant-docs-key'));
      assert.deepEqual(service.requests.map((r) => [r.method, r.url, r.authorization]), [['GET', '/', `Bearer ${token}`]]);
      assert.equal((await emu.requests('iam')).length, 1);
    })));

RECIPES.test('node-db2', async () => {
  const opened = [];
  const ibmdb = { open: async (connStr) => (opened.push(connStr), 'a connection') }; // stands in for ibm_db (it downloads IBM's Db2 client)
  const { connStr, conn, authenticator } = await RECIPES.run('node-db2', {
    modules: { iamcore: here, ibm_db: ibmdb },
    returns: ['connStr', 'conn', 'authenticator'],
  });
  const token = await authenticator.getToken();
  assert.equal(jwtClaims(token).sub, 'profile-db2-reader');
  assert.equal(connStr, `DATABASE=BLUDB;HOSTNAME=xxxx.databases.appdomain.cloud;PORT=30119;PROTOCOL=TCPIP;Security=SSL;Authentication=GSSPLUGIN;ACCESSTOKEN=${token}`);
  assert.match(connStr, shownValue(RECIPES.block('node-db2'), 'db2.connectionString'));
  assert.deepEqual(opened, [connStr]);
  assert.equal(conn, 'a connection');
});

RECIPES.checkTest();

// ---------------------------------------------------------------- docs/postgres.md

const AKID = 'ASIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)).toString('base64'); // as long as STS's
const REGION = 'us-east-1';

/** Whether `token` is what RDS takes: signed by the test's credentials for this host,
 * port and user, and not expired (the signature is computed anew). */
async function validRdsToken(token, host, port, user) {
  if (typeof token !== 'string') return false;
  const at = token.indexOf('/?');
  if (at < 0 || token.slice(0, at) !== `${host}:${port}`) return false;
  const params = Object.fromEntries(new URLSearchParams(token.slice(at + 2)));
  const date = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(params['X-Amz-Date'] ?? '');
  if (!date || params.DBUser !== user) return false;
  const when = Date.UTC(date[1], date[2] - 1, date[3], date[4], date[5], date[6]);
  const age = (Date.now() - when) / 1000;
  if (age < -5 || age > Number(params['X-Amz-Expires'])) return false;
  const expected = await iamcore.aws.generateDbAuthToken({
    hostname: host, port, username: user, region: REGION, timestamp: new Date(when),
    credentials: { accessKeyId: AKID, secretAccessKey: AWS_SECRET, sessionToken: params['X-Amz-Security-Token'] },
  });
  return expected.length === token.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(token));
}

/** The local PostgreSQL checks IAM tokens as RDS does: before `pg` logs in, the password it
 * is about to send is checked (validRdsToken); the role's password becomes that token when
 * it passes, else a random one. So a login succeeds exactly when the driver sends a valid
 * token, intact. refuse(n) makes the next n logins fail, as with an expired token. */
class RdsLogin {
  constructor(admin) {
    this.admin = admin;
    this.logins = []; // [password was a valid token, refused on purpose]
    this.toRefuse = 0;
  }

  refuse(n = 1) {
    this.toRefuse = n;
  }

  async check({ host, port, user, password }) {
    const valid = await validRdsToken(password, host, port, user);
    const refused = this.toRefuse > 0;
    if (refused) this.toRefuse--;
    const accepted = valid && !refused ? password : crypto.randomBytes(16).toString('hex');
    await this.admin.query(`ALTER ROLE app_user PASSWORD ${this.admin.escapeLiteral(accepted)}`);
    this.logins.push([valid, refused]);
  }

  /** `pg` as the snippets require it: the real one, every client's (a pool's too) login checked first. */
  pg() {
    const login = this;
    class Client extends pg.Client {
      connect(callback) {
        const checked = (async () => {
          const password = typeof this.password === 'function' ? await this.password(this.connectionParameters) : this.password;
          await login.check({ host: this.host, port: this.port, user: this.user, password });
        })();
        if (callback) {
          checked.then(() => super.connect(callback), callback);
          return undefined;
        }
        return checked.then(() => super.connect());
      }
    }
    class Pool extends pg.Pool {
      constructor(options) {
        super({ ...options, Client });
      }
    }
    return { ...pg, Client, Pool };
  }
}

let pgServer;
let pgAdmin;
before(async () => {
  pgServer = await PgServer.start();
  if (pgServer.skipReason !== null) return;
  pgAdmin = new pg.Client(pgServer.adminOptions());
  await pgAdmin.connect();
  await pgAdmin.query('CREATE DATABASE app');
  await pgAdmin.query(`CREATE ROLE app_user LOGIN IN ROLE ${pgAdmin.escapeIdentifier(pgServer.iamGroup)}`);
});
after(async () => {
  if (pgAdmin) await pgAdmin.end();
  if (pgServer) await pgServer.stop();
});

/** Run fn(login) with the test's AWS credentials in the environment (the signer's chain reads them). */
function withRdsLogin(t, fn) {
  if (pgServer.skip(t)) return undefined;
  return withEnv({ AWS_ACCESS_KEY_ID: AKID, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_SESSION_TOKEN: SESSION_TOKEN }, () =>
    fn(new RdsLogin(pgAdmin)));
}

const pgNames = () => ({ host: pgServer.host, port: pgServer.port, caFile: pgServer.caFile });
const WHOAMI = 'SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';

POSTGRES.test('node-pg', (t) =>
  withRdsLogin(t, async (login) => {
    const { pool, client, signer } = await POSTGRES.run('node-pg', {
      names: pgNames(),
      modules: { pg: login.pg(), iamcore },
      returns: ['pool', 'client', 'signer'],
    });
    try {
      assert.deepEqual((await client.query(WHOAMI)).rows, [{ current_user: 'app_user', current_database: 'app', ssl: true }]);
      const [a, b] = await Promise.all([pool.connect(), pool.connect()]); // two new connections
      try {
        for (const c of [a, b]) assert.deepEqual((await c.query(WHOAMI)).rows[0], { current_user: 'app_user', current_database: 'app', ssl: true });
      } finally {
        a.release();
        b.release();
      }
      assert.deepEqual(login.logins, [[true, false], [true, false], [true, false]]);
      assert.equal(signer.region, REGION);
    } finally {
      await client.end();
      await pool.end();
    }
  }));

POSTGRES.test('node-pg-url', (t) =>
  withRdsLogin(t, async (login) => {
    const signer = new iamcore.RdsSigner({ hostname: pgServer.host, port: pgServer.port, username: 'app_user', region: REGION });
    const { client } = await POSTGRES.run('node-pg-url', {
      names: { pg: login.pg(), token: await signer.getAuthToken(), host: pgServer.host, port: pgServer.port },
      returns: ['client'],
    });
    await client.connect();
    try {
      assert.equal((await client.query('SELECT current_user')).rows[0].current_user, 'app_user');
      assert.deepEqual(login.logins, [[true, false]]);
    } finally {
      await client.end();
    }
  }));

POSTGRES.test('node-retry', (t) =>
  withRdsLogin(t, async (login) => {
    const signer = new iamcore.RdsSigner({ hostname: pgServer.host, port: pgServer.port, username: 'app_user', region: REGION });
    const invalidated = [];
    const watched = { getAuthToken: () => signer.getAuthToken(), invalidate: () => (invalidated.push(1), signer.invalidate()) };
    const testPg = login.pg();
    const pool = new testPg.Pool({
      host: pgServer.host, port: pgServer.port, database: 'app', user: 'app_user',
      password: () => watched.getAuthToken(), ssl: { ca: fs.readFileSync(pgServer.caFile, 'utf8') },
    });
    const poolErrors = [];
    pool.on('error', (err) => poolErrors.push(err));
    try {
      const { query } = await POSTGRES.run('node-retry', { names: { pool, signer: watched }, returns: ['query'] });
      login.refuse(1);
      const result = await query('SELECT current_user AS who, $1::int AS n', [7]);
      assert.deepEqual(result.rows, [{ who: 'app_user', n: 7 }]);
      assert.deepEqual(login.logins, [[true, true], [true, false]]);
      assert.deepEqual(invalidated, [1]);
      assert.deepEqual(poolErrors, [], "the pool's 'error' event does not see a refused login");

      login.refuse(2); // refused again after the retry: the error reaches the caller
      const other = await pool.connect(); // keeps the open connection busy: the next query needs a new one
      try {
        await assert.rejects(query('SELECT 1'), (err) => err.code === '28P01');
      } finally {
        other.release();
      }
    } finally {
      await pool.end();
    }
  }));

POSTGRES.checkTest();

// ---------------------------------------------------------------- docs/environment.md

/** No IBM configuration from the machine: the file source off, no MY_SERVICE_* variable. */
function ibmEnv(vars) {
  const cleared = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('MY_SERVICE_') || k === 'VCAP_SERVICES').map((k) => [k, undefined]));
  return { ...cleared, IBM_CREDENTIALS_FILE: '/dev/null', ...vars };
}

ENVIRONMENT.test('node-env', () =>
  withEnv(ibmEnv({ MY_SERVICE_APIKEY: 'env-docs-key', MY_SERVICE_AUTH_URL: emu.http }), async () => {
    const requestOptions = { method: 'GET', url: 'https://service.example/v1', headers: {} };
    const { auth } = await ENVIRONMENT.run('node-env', { names: { requestOptions }, returns: ['auth'] });
    assert.ok(auth instanceof iamcore.IamAuthenticator);
    const [kind, token] = requestOptions.headers.Authorization.split(' ');
    assert.equal(kind, 'Bearer');
    assert.equal(jwtClaims(token).sub, apikeySubject('env-docs-key'));
  }));

ENVIRONMENT.checkTest();

// ---------------------------------------------------------------- docs/emulator.md

EMULATOR.test('node-start', async () => {
  const { startEmulator } = await EMULATOR.run('node-start', { returns: ['startEmulator'] });
  const started = await startEmulator();
  try {
    assert.match(started.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    // The two uses its comments show.
    const plain = new iamcore.IamAuthenticator({ apikey: 'fake-key', url: started.http });
    const tls = new iamcore.IamAuthenticator({ apikey: 'fake-key', url: started.https, caFile: started.ca_file });
    for (const auth of [plain, tls]) assert.equal(jwtClaims(await auth.getToken()).sub, apikeySubject('fake-key'));
  } finally {
    started.stop();
  }
  // stop() ends its stdin: the emulator exits and its port closes.
  const port = Number(new URL(started.http).port);
  const deadline = Date.now() + 10000;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = require('node:net').connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (!open) break;
    assert.ok(Date.now() < deadline, 'the emulator still runs after stop()');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

EMULATOR.checkTest();

// ---------------------------------------------------------------- docs/logging.md

/** The object literal a snippet's trailing `//` comment lines show. */
function shownObject(block) {
  const comment = block.code.split('\n').filter((l) => l.startsWith('// ')).map((l) => l.slice(3)).join('\n');
  return new Function(`return (${comment});`)();
}

LOGGING.test('node-log-hook', async () => {
  const logged = [];
  const console = { log: (...args) => logged.push(args) }; // the snippet's console.log
  await LOGGING.run('node-log-hook', { names: { console } });
  try {
    const auth = new iamcore.IamAuthenticator({ apikey: 'log-docs-key', url: emu.http });
    await auth.getToken();
    const deadline = Date.now() + 5000;
    while (!logged.some(([, name]) => name === 'token_fetched')) {
      assert.ok(Date.now() < deadline, 'no token_fetched event');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    iamcore.setLogHook(null);
  }
  const [level, name, event] = logged.find(([, n]) => n === 'token_fetched');
  const shown = shownObject(LOGGING.block('node-log-hook'));
  assert.deepEqual([level, name], [shown.level, shown.event]);
  assert.deepEqual(Object.keys(event).sort(), Object.keys(shown).sort());
  for (const key of Object.keys(shown)) assert.equal(typeof event[key], typeof shown[key], key);
  assert.equal(event.url, `${emu.http}/identity/token`);
  assert.ok(logged.every(([l, n, e]) => l === e.level && n === e.event));
});

LOGGING.checkTest();

// ---------------------------------------------------------------- docs/shared-cache.md

const SHARED = new Doc('docs/shared-cache.md');

SHARED.test('node-shared-cache', async () => {
  const apikey = `shared-docs-${crypto.randomUUID()}`;
  const cacheDir = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'iamcore-docs-')), 'iamcore');
  try {
    const names = { apikey, cacheDir };
    const first = await SHARED.run('node-shared-cache', { names, returns: ['auth', 'token'], modules: { iamcore: here } });
    const second = await SHARED.run('node-shared-cache', { names, returns: ['auth', 'token'], modules: { iamcore: here } });
    assert.notEqual(first.auth, second.auth);
    assert.equal(first.token, second.token);
    const own = (await emu.requests('iam')).filter((r) => r.form.apikey === apikey);
    assert.equal(own.length, 1);
  } finally {
    fs.rmSync(path.dirname(cacheDir), { recursive: true, force: true });
  }
});

SHARED.checkTest();

// ---------------------------------------------------------------- the docs without JavaScript snippets, and the check itself

for (const relPath of ['docs/adapters.md', 'docs/cli.md', 'docs/behaviour.md', 'docs/redis-cache.md']) {
  new Doc(relPath).checkTest();
}

test('the marker check finds every kind of problem', () => {
  const text = [
    '<!-- snippet: runs -->', '```js', 'x', '```',
    '```js', 'unmarked', '```',
    '<!-- snippet: untested -->', '  ```mjs', '  y', '  ```',
    '<!-- not run: a type signature -->', '~~~ts', 'f(): void', '~~~',
    '<!-- snippet: pair after -->', '```js', 'z', '```',
    '<!-- snippet: python-only -->', '```python', 'pass', '```',
  ].join('\n');
  const doc = new Doc('docs/example.md', { text });
  assert.deepEqual(doc.blocks.map((b) => [b.line, b.lang, b.id, b.reason]), [
    [2, 'js', 'runs', null], [5, 'js', null, null], [9, 'mjs', 'untested', null],
    [13, 'ts', null, 'a type signature'], [17, 'js', 'pair', null], [21, 'python', 'python-only', null],
  ]);
  assert.equal(doc.block('untested').code, 'y');
  doc.tests.set('runs', 'a test');
  doc.tests.set('pair', 'another test');
  doc.tests.set('gone', 'a third test');
  doc.tests.set('python-only', 'a fourth test');
  assert.deepEqual(doc.problems('node'), [
    'docs/example.md:5: a ```js block without a <!-- snippet: ID --> or <!-- not run: REASON --> marker on the line before it',
    'docs/example.md: snippet pair has only its after half',
    'docs/example.md: snippet untested has no node test',
    "docs/example.md: 'a third test' runs snippet gone, which is gone",
    "docs/example.md: 'a fourth test' runs snippet python-only, which is not a node block",
  ]);
});
