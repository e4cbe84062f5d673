'use strict';
// The node-postgres recipes of docs/postgres.md against a real PostgreSQL
// (tests/node/pg-server.js): an iamcore RDS token becomes a role's password and
// `pg` logs in with it -- a Client with a string or a function, a Pool whose
// password is `() => signer.getAuthToken()`, a connection string.
//
// Each test signs for an RDS-like host name and the server's real port, sets the
// token as the password of a role of its own (superuser over the Unix socket)
// and connects over TCP. Members of rds_iam send the password in clear text, as
// RDS asks IAM users to; other roles use SCRAM. Tokens carry a session token, so
// they are ~1,000 characters with '%', '&', '=' and '/'.

const { isolateAwsEnv } = require('./aws-env.js');

isolateAwsEnv();

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const pg = require('pg');
const { parse } = require('pg-connection-string');

const { RdsSigner, aws } = require('../../node/index.js');
const { PgServer } = require('./pg-server.js');

const RDS_HOST = 'mydb.123456789012.us-east-1.rds.amazonaws.com';
const REGION = 'us-east-1';
// As long as an STS session token, with every character base64 uses.
const SESSION_TOKEN = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)).toString('base64');
const CREDENTIALS = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: SESSION_TOKEN,
};
const METHODS = ['scram-sha-256', 'password'];

let server;
let admin;
let serial = 0;

before(async () => {
  server = await PgServer.start();
  if (server.skipReason !== null) return;
  admin = new pg.Client(server.adminOptions());
  await admin.connect();
});

after(async () => {
  if (admin) await admin.end();
  if (server) await server.stop();
});

/** A new login role, dropped after the test; method 'password' makes it a member of rds_iam. */
async function newRole(t, method = 'scram-sha-256') {
  const name = `app_user_${process.pid}_${++serial}`;
  const id = admin.escapeIdentifier(name);
  await admin.query(`CREATE ROLE ${id} LOGIN`);
  if (method === 'password') await admin.query(`GRANT ${admin.escapeIdentifier(server.iamGroup)} TO ${id}`);
  t.after(async () => {
    // Let the test's clients end their sessions first: a session terminated while its
    // client is still closing makes that client report an error after the test.
    for (let i = 0; i < 100; i++) {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [name]);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
    await admin.query(`DROP ROLE ${id}`);
  });
  return name;
}

function setPassword(role, password) {
  return admin.query(`ALTER ROLE ${admin.escapeIdentifier(role)} PASSWORD ${admin.escapeLiteral(password)}`);
}

function signer(role) {
  return new RdsSigner({ hostname: RDS_HOST, port: server.port, username: role, region: REGION, credentials: CREDENTIALS });
}

function clientOptions(role, password) {
  return { host: server.host, port: server.port, database: server.database, user: role, password };
}

function checkTokenShape(token, role) {
  assert.ok(token.startsWith(`${RDS_HOST}:${server.port}/?Action=connect&DBUser=${role}&X-Amz-Algorithm=`));
  assert.ok(token.length >= 800, `token length ${token.length}`);
  for (const char of '%&=/') assert.ok(token.includes(char), `no '${char}' in the token`);
}

async function whoami(client) {
  return (await client.query('SELECT current_user AS u')).rows[0].u;
}

async function connectClient(options) {
  const client = new pg.Client(options);
  await client.connect();
  try {
    return await whoami(client);
  } finally {
    await client.end();
  }
}

for (const method of METHODS) {
  test(`Client: RdsSigner's token as the password string (${method})`, async (t) => {
    if (server.skip(t)) return;
    const role = await newRole(t, method);
    const rds = signer(role);
    const token = await rds.getAuthToken();
    checkTokenShape(token, role);
    await setPassword(role, token);
    assert.equal(await connectClient(clientOptions(role, await rds.getAuthToken())), role);
  });

  test(`Pool: password is () => signer.getAuthToken(), called for each new connection (${method})`, async (t) => {
    if (server.skip(t)) return;
    const role = await newRole(t, method);
    const rds = signer(role);
    await setPassword(role, await rds.getAuthToken());
    let calls = 0;
    const pool = new pg.Pool({
      ...clientOptions(role, () => {
        calls += 1;
        return rds.getAuthToken();
      }),
      max: 3,
    });
    try {
      const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      try {
        assert.deepEqual(await Promise.all(held.map(whoami)), [role, role, role]);
      } finally {
        for (const client of held) client.release();
      }
      assert.equal(pool.totalCount, 3);
      assert.equal(calls, 3);
    } finally {
      await pool.end();
    }
  });

  test(`a token for another time is refused, and the error holds no token (${method})`, async (t) => {
    if (server.skip(t)) return;
    const role = await newRole(t, method);
    const when = new Date(Math.floor(Date.now() / 1000) * 1000);
    const options = { hostname: RDS_HOST, port: server.port, username: role, region: REGION, credentials: CREDENTIALS };
    const first = await aws.generateDbAuthToken({ ...options, timestamp: when });
    const later = await aws.generateDbAuthToken({ ...options, timestamp: new Date(when.getTime() + 1000) });
    assert.notEqual(first, later);
    await setPassword(role, first);
    const err = await connectClient(clientOptions(role, later)).then(
      () => assert.fail('logged in with the wrong token'),
      (e) => e,
    );
    assert.equal(err.code, '28P01'); // invalid_password
    const text = `${err.message} ${err.stack}`;
    for (const secret of [first, later, SESSION_TOKEN]) assert.ok(!text.includes(secret), 'a token in the error');
  });
}

test('Client: generateDbAuthToken, and the password as an async function', async (t) => {
  if (server.skip(t)) return;
  const role = await newRole(t);
  const options = { hostname: RDS_HOST, port: server.port, username: role, region: REGION, credentials: CREDENTIALS };
  const token = await aws.generateDbAuthToken(options);
  checkTokenShape(token, role);
  await setPassword(role, token);
  assert.equal(await connectClient(clientOptions(role, token)), role);
  assert.equal(await connectClient(clientOptions(role, async () => token)), role);
});

test('connection string: the token must be percent-encoded', async (t) => {
  if (server.skip(t)) return;
  const role = await newRole(t);
  const token = await signer(role).getAuthToken();
  await setPassword(role, token);
  const url = `postgresql://${role}:${encodeURIComponent(token)}@${server.host}:${server.port}/${server.database}`;
  assert.equal(parse(url).password, token);
  assert.equal(await connectClient({ connectionString: url }), role);
  // Unencoded, the parser reads something else than the token (parsed only, never connected).
  const raw = `postgresql://${role}:${token}@${server.host}:${server.port}/${server.database}`;
  let parsed;
  try {
    parsed = parse(raw).password;
  } catch {
    parsed = undefined;
  }
  assert.notEqual(parsed, token);
});
