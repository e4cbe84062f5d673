'use strict';
// The AWS credential chain from Node, each case in a fresh child process (the
// default provider caches what it finds first, and its environment must be set
// before the chain first runs): environment, profile static keys,
// credential_process, web identity through the emulator's STS, the container
// endpoint, IMDSv2 at the emulator, nothing configured. Never 169.254.x: IMDS is
// disabled or pointed at the emulator in every child.

const { isolateAwsEnv, childEnv } = require('./aws-env.js');

const files = isolateAwsEnv();

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');

const { Emulator } = require('./emulator.js');

const FIXTURE = path.join(__dirname, 'fixtures', 'aws-chain.js');
const hash = (s) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 16);

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

// Fresh config/credentials files for one case.
function writeFiles(config = '', credentials = '') {
  const dir = fs.mkdtempSync(path.join(files.dir, 'case-'));
  const f = { dir, config: path.join(dir, 'config'), credentials: path.join(dir, 'credentials') };
  fs.writeFileSync(f.config, config);
  fs.writeFileSync(f.credentials, credentials);
  return f;
}

function runChain(env, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [FIXTURE, JSON.stringify(opts)], { env, timeout: 30000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`chain fixture failed: ${err.message}\n${stderr}`));
        return;
      }
      const lines = stdout.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]));
    });
  });
}

test('environment variables', async () => {
  const secret = `env-secret-${crypto.randomBytes(8).toString('hex')}`;
  const r = await runChain(
    childEnv(writeFiles(), { AWS_ACCESS_KEY_ID: 'AKIAENVEXAMPLE', AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: 'env-session' }),
    { sign: true },
  );
  assert.equal(r.main.ok, true, r.main.message);
  assert.equal(r.main.source, 'env');
  assert.equal(r.main.accessKeyId, 'AKIAENVEXAMPLE');
  assert.equal(r.main.secretHash, hash(secret));
  assert.equal(r.main.sessionTokenHash, hash('env-session'));
  assert.equal(r.main.expiration, undefined);
  assert.equal(r.main.sameAsExplicit, true, 'signing through the chain = signing with the resolved credentials');
  assert.match(r.main.signedWithChain, /Credential=AKIAENVEXAMPLE\/20150830\//);
});

test('a key without its secret in the environment is IAMCORE_CONFIG naming the variables', async () => {
  const r = await runChain(childEnv(writeFiles(), { AWS_ACCESS_KEY_ID: 'AKIAENVEXAMPLE' }));
  assert.equal(r.main.ok, false);
  assert.equal(r.main.code, 'IAMCORE_CONFIG');
  assert.match(r.main.message, /AWS_SECRET_ACCESS_KEY/);
});

test('profile static keys: default, AWS_PROFILE and the profile option', async () => {
  const f = writeFiles(
    '[profile dev]\naws_access_key_id = AKIACONFIGDEV\naws_secret_access_key = config-dev-secret\n',
    '[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\naws_session_token = default-token\n',
  );
  const d = await runChain(childEnv(f), { sign: true });
  assert.equal(d.main.ok, true, d.main.message);
  assert.deepEqual([d.main.source, d.main.accessKeyId, d.main.secretHash, d.main.sessionTokenHash], ['profile', 'AKIADEFAULT', hash('default-secret'), hash('default-token')]);
  assert.equal(d.main.sameAsExplicit, true);

  const viaEnv = await runChain(childEnv(f, { AWS_PROFILE: 'dev' }));
  assert.deepEqual([viaEnv.main.source, viaEnv.main.accessKeyId, viaEnv.main.secretHash], ['profile', 'AKIACONFIGDEV', hash('config-dev-secret')]);

  // A named profile skips the environment's keys.
  const viaOption = await runChain(childEnv(f, { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' }), { profile: 'dev', sign: true });
  assert.deepEqual([viaOption.main.source, viaOption.main.accessKeyId], ['profile', 'AKIACONFIGDEV']);
  assert.equal(viaOption.main.sameAsExplicit, true);

  const missing = await runChain(childEnv(f), { profile: 'nope' });
  assert.equal(missing.main.ok, false);
  assert.equal(missing.main.code, 'IAMCORE_CONFIG');
  assert.match(missing.main.message, /nope/);
});

test('credential_process', async () => {
  const script = path.join(files.dir, `process-${process.pid}.js`);
  fs.writeFileSync(
    script,
    `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: 'AKIAPROCESS', SecretAccessKey: 'process-secret', SessionToken: 'process-token', Expiration: new Date(Date.now() + 3600e3).toISOString() }));\n`,
  );
  const f = writeFiles(`[default]\ncredential_process = "${process.execPath}" "${script}"\n`);
  const r = await runChain(childEnv(f));
  assert.equal(r.main.ok, true, r.main.message);
  assert.deepEqual([r.main.source, r.main.accessKeyId, r.main.secretHash, r.main.sessionTokenHash], ['process', 'AKIAPROCESS', hash('process-secret'), hash('process-token')]);
  assert.ok(Date.parse(r.main.expiration) > Date.now() + 3000e3);
});

test('web identity through the emulator STS; each worker thread has its own default provider', async () => {
  const tokenFile = path.join(files.dir, 'web-identity-token');
  fs.writeFileSync(tokenFile, 'header.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ.sig');
  const env = childEnv(writeFiles(), {
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/app',
    AWS_ROLE_SESSION_NAME: 'node-test',
    AWS_ENDPOINT_URL_STS: emu.http,
  });
  const r = await runChain(env, { sign: true, worker: true, again: true });
  assert.equal(r.main.ok, true, r.main.message);
  assert.equal(r.main.source, 'web-identity');
  assert.match(r.main.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(Date.parse(r.main.expiration) > Date.now() + 3000e3, 'STS expiration');
  assert.ok(r.main.sessionTokenHash);
  assert.equal(r.main.sameAsExplicit, true);
  // The main thread's second resolution is cached; the worker ran its own chain.
  assert.equal(r.again.accessKeyId, r.main.accessKeyId);
  assert.equal(r.worker.ok, true, r.worker.message);
  assert.equal(r.worker.source, 'web-identity');
  assert.notEqual(r.worker.accessKeyId, r.main.accessKeyId);
  const sts = await emu.requests('sts');
  assert.equal(sts.length, 2, 'one STS call per environment');
  for (const req of sts) {
    assert.equal(req.method, 'POST');
    assert.equal(req.form.Action, 'AssumeRoleWithWebIdentity');
    assert.equal(req.form.RoleArn, 'arn:aws:iam::123456789012:role/app');
    assert.equal(req.form.RoleSessionName, 'node-test');
  }
});

test('web identity refused by STS rejects with IAMCORE_AUTH and the STS error code', async () => {
  const tokenFile = path.join(files.dir, 'bad-token');
  fs.writeFileSync(tokenFile, 'bad-token');
  const r = await runChain(
    childEnv(writeFiles(), { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/app', AWS_ENDPOINT_URL_STS: emu.http }),
  );
  assert.equal(r.main.ok, false);
  assert.equal(r.main.name, 'IamcoreError');
  assert.equal(r.main.code, 'IAMCORE_AUTH');
  assert.equal(r.main.status, 400);
  assert.match(r.main.message, /InvalidIdentityToken/);
});

test('container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + authorization token)', async () => {
  await emu.awsSettings({ container_auth_token: 'container-auth-secret' });
  const r = await runChain(
    childEnv(writeFiles(), {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emu.http}/container-credentials/task-1`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-auth-secret',
    }),
  );
  assert.equal(r.main.ok, true, r.main.message);
  assert.equal(r.main.source, 'container');
  assert.match(r.main.accessKeyId, /^ASIA/);
  assert.ok(r.main.expiration);
  const reqs = await emu.requests('container');
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0].path, '/container-credentials/task-1');
  assert.equal(reqs[0].headers.authorization, 'container-auth-secret');
});

test('IMDSv2 at the emulator (AWS_EC2_METADATA_SERVICE_ENDPOINT)', async () => {
  const r = await runChain(
    childEnv(writeFiles(), { AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: emu.http }),
  );
  assert.equal(r.main.ok, true, r.main.message);
  assert.equal(r.main.source, 'imds');
  assert.match(r.main.accessKeyId, /^ASIA/);
  const reqs = await emu.requests(['imds-token', 'imds-role', 'imds-credentials', 'imds']);
  assert.deepEqual(
    reqs.map((q) => `${q.method} ${q.endpoint}`),
    ['PUT imds-token', 'GET imds-role', 'GET imds-credentials'],
  );
  assert.ok(reqs[1].headers['x-aws-ec2-metadata-token'], 'IMDSv2 token sent');
  assert.equal(reqs[2].path, '/latest/meta-data/iam/security-credentials/iamcore-test-role');
});

test('nothing configured: IAMCORE_CONFIG naming every source', async () => {
  const r = await runChain(childEnv(writeFiles()), { sign: true });
  assert.equal(r.main.ok, false);
  assert.equal(r.main.name, 'IamcoreError');
  assert.equal(r.main.code, 'IAMCORE_CONFIG');
  for (const source of ['environment', 'web identity', 'profile "default"', 'container', 'instance metadata']) {
    assert.ok(r.main.message.includes(source), `the message names ${source}: ${r.main.message}`);
  }
  assert.equal((await emu.requests()).length, 0);
});
