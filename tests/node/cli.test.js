'use strict';
// The npm bin `iamcore` (node/bin/iamcore.js, node/cli.js; guide: docs/cli.md): run as a
// child process against the emulator, compared with the library and with the Python
// command line (`python3 -m iamcore`, which tests/python/test_cli.py covers in depth),
// and the npm package's contents: the bin and the emulator it runs.

const { isolateAwsEnv, childEnv, queryMap } = require('./aws-env.js');

const files = isolateAwsEnv();

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile, spawn } = require('node:child_process');

const iamcore = require('../../node/index.js');
const { main } = require('../../node/cli.js');
const { Emulator } = require('./emulator.js');

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'node', 'bin', 'iamcore.js');
const PYTHON = process.env.PYTHON || 'python3';
const PYTHON_BUILT = fs.readdirSync(path.join(ROOT, 'python', 'iamcore')).some((f) => /^_native.*\.so$/.test(f));
const APIKEY = 'node-cli-Secret-ApiKey-42';
const SECRET = 'S3cr3t-Value-node-7c6b';
const RDS_HOST = 'mydb.c1x2y3z4.eu-central-1.rds.amazonaws.com';
const DSQL_HOST = 'abcdefghijklmnopqrst.dsql.us-east-1.on.aws';
const STATIC = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'tok/en+=' };
const STATIC_ENV = {
  AWS_ACCESS_KEY_ID: STATIC.accessKeyId,
  AWS_SECRET_ACCESS_KEY: STATIC.secretAccessKey,
  AWS_SESSION_TOKEN: STATIC.sessionToken,
};

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

function env(extra = {}) {
  const e = childEnv(files, { HOME: files.dir, IBM_CREDENTIALS_FILE: undefined, VCAP_SERVICES: undefined, ...extra });
  return e;
}

/** Run a command; resolves to { status, stdout, stderr } (never rejects on a non-zero exit). */
function run(file, args, extra = {}, timeout = 30000) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: env(extra), cwd: files.dir, timeout }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ status: err ? err.code : 0, stdout, stderr });
    });
  });
}

const cli = (args, extra, timeout) => run(process.execPath, [BIN, ...args], extra, timeout);
const pyCli = (args, extra) => run(PYTHON, ['-m', 'iamcore', ...args], { PYTHONPATH: path.join(ROOT, 'python'), ...extra });
const needsPython = { skip: PYTHON_BUILT ? false : 'the Python extension is not built in place' };

function oneLineError(result, status, prefix) {
  assert.equal(result.status, status, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^[^\n]*\n$/);
  assert.ok(result.stderr.startsWith(prefix), result.stderr);
  assert.ok(!result.stderr.includes('    at '), 'no stack trace');
}

function claims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

function signedAt(token) {
  const d = queryMap(token)['X-Amz-Date'];
  return new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15)));
}

test('--version and every help text are the Python command line\'s', needsPython, async () => {
  for (const args of [['--version'], ['--help'], ['token', '--help'], ['rds-token', '-h'], ['dsql-token', '--help']]) {
    const [node, py] = await Promise.all([cli(args), pyCli(args)]);
    assert.equal(node.status, 0);
    assert.equal(node.stdout, py.stdout, args.join(' '));
    assert.equal(node.stderr, '');
  }
  const { stdout } = await cli(['--version']);
  assert.equal(stdout, `iamcore ${require('../../package.json').version}\n`);
});

test('usage errors: status 2, one line naming the option, never the value', needsPython, async () => {
  const cases = [
    ['token', '--apikey', SECRET],
    ['token', `--apikey=${SECRET}`],
    ['token', SECRET],
    ['token', '--auth-type', SECRET, '--apikey-env', 'K'],
    ['rds-token', '--hostname', 'h', '--port', SECRET, '--username', 'u'],
    ['dsql-token', '--hostname', 'h', `--admin=${SECRET}`],
  ];
  for (const args of cases) {
    const [node, py] = await Promise.all([cli(args), pyCli(args)]);
    oneLineError(node, 2, 'iamcore: usage error: ');
    assert.ok(!node.stderr.includes(SECRET), 'the value is not repeated');
    assert.equal(node.stderr, py.stderr);
  }
});

test('token --apikey-env over HTTP prints the token and nothing else', async () => {
  const r = await cli(['token', '--apikey-env', 'MY_KEY', '--url', emu.http], { MY_KEY: APIKEY });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const sent = await emu.requests('iam');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].form.apikey, APIKEY);
  assert.ok(!r.stdout.includes(APIKEY));
});

test('token over HTTPS with --ca-file, --json', async () => {
  const r = await cli(['token', '--apikey-env', 'K', '--url', emu.https, '--ca-file', emu.caFile, '--json'], { K: APIKEY });
  assert.equal(r.status, 0, r.stderr);
  const value = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(value), ['token', 'expires_at', 'type']);
  assert.equal(value.type, 'iam');
  assert.equal(value.expires_at, new Date(claims(value.token).exp * 1000).toISOString().replace('.000Z', 'Z'));
  assert.equal((await emu.requests('iam'))[0].scheme, 'https');
});

test('container token from a compute-resource token file', async () => {
  const tokenFile = path.join(files.dir, 'cr-token');
  fs.writeFileSync(tokenFile, 'cr-token-value\n');
  const r = await cli(['token', '--profile-id', 'Profile-1', '--cr-token-file', tokenFile, '--url', emu.http, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).type, 'container');
  const { form } = (await emu.requests('iam'))[0];
  assert.equal(form.cr_token, 'cr-token-value');
  assert.equal(form.profile_id, 'Profile-1');
});

test('each failure kind has its exit status and one stderr line without the secret', async () => {
  const cases = [
    { args: ['--apikey-env', 'UNSET'], status: 3, prefix: 'iamcore: configuration error: environment variable UNSET' },
    { key: 'bad-key', status: 4, prefix: 'iamcore: authentication error: ' },
    { url: 'http://127.0.0.1:9', status: 5, prefix: 'iamcore: transport error: ' },
    { queue: { hang: true }, args: ['--timeout', '0.5'], status: 6, prefix: 'iamcore: timeout: ' },
    { url: () => emu.https, status: 7, prefix: 'iamcore: TLS error: ' },
    { queue: { body: '{not json' }, status: 8, prefix: 'iamcore: parse error: ' },
  ];
  for (const c of cases) {
    await emu.reset();
    if (c.queue) await emu.enqueue(c.queue);
    const url = typeof c.url === 'function' ? c.url() : c.url || emu.http;
    const key = c.key || APIKEY;
    const args = c.args && c.args[0] === '--apikey-env' ? c.args : ['--apikey-env', 'K', ...(c.args || [])];
    const r = await cli(['token', ...args, '--url', url, '--max-retries', '0'], { K: key }, 15000);
    oneLineError(r, c.status, c.prefix);
    assert.ok(!r.stderr.includes(key), `no secret in: ${c.prefix}`);
  }
  const r = await cli(['token', '--profile-name', 'p', '--cr-token-file', path.join(files.dir, 'missing'), '--url', emu.http]);
  oneLineError(r, 9, 'iamcore: token file error: ');
});

test('rds-token is what generateDbAuthToken signs at the same time', async () => {
  const r = await cli(['rds-token', '--hostname', RDS_HOST, '--port', '5432', '--username', 'app_user'], STATIC_ENV);
  assert.equal(r.status, 0, r.stderr);
  const token = r.stdout.slice(0, -1);
  assert.equal(r.stdout, `${token}\n`);
  assert.ok(token.startsWith(`${RDS_HOST}:5432/?Action=connect&DBUser=app_user&`));
  const expected = await iamcore.aws.generateDbAuthToken({
    hostname: RDS_HOST, port: 5432, username: 'app_user', credentials: STATIC, timestamp: signedAt(token),
  });
  assert.equal(token, expected);
  assert.ok(!token.includes(STATIC.secretAccessKey));
});

test('dsql-token --admin --json is what generateDsqlAuthToken signs', async () => {
  const r = await cli(['dsql-token', '--hostname', DSQL_HOST, '--admin', '--expires-in', '600', '--json'], STATIC_ENV);
  assert.equal(r.status, 0, r.stderr);
  const value = JSON.parse(r.stdout);
  assert.equal(value.type, 'dsql');
  const when = signedAt(value.token);
  assert.equal(value.expires_at, new Date(when.getTime() + 600000).toISOString().replace('.000Z', 'Z'));
  const expected = await iamcore.aws.generateDsqlAuthToken({
    hostname: DSQL_HOST, admin: true, expiresIn: 600, credentials: STATIC, timestamp: when,
  });
  assert.equal(value.token, expected);
});

test('main() resolves to the exit status and writes to the given streams', async () => {
  const sink = () => {
    const s = { text: '', write: (chunk) => { s.text += chunk; return true; } };
    return s;
  };
  const out = sink();
  const err = sink();
  assert.equal(await main(['token', '--apikey-env', 'UNSET_HERE'], { env: {}, stdout: out, stderr: err }), 3);
  assert.equal(out.text, '');
  assert.match(err.text, /^iamcore: configuration error: environment variable UNSET_HERE/);
  assert.equal(await main(['nope'], { env: {}, stdout: out, stderr: err }), 2);
  assert.equal(await main(['--help'], { env: {}, stdout: out, stderr: err }), 0);
  assert.ok(out.text.startsWith('usage: iamcore <command>'));
});

// ------------------------------------------------------------------ the npm package

function npm(args, cwd = ROOT) {
  return new Promise((resolve, reject) => {
    const npmCli = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
    execFile(npmCli[0], [...npmCli[1], ...args], { cwd, env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`npm ${args.join(' ')}: ${stderr}`));
      resolve(stdout);
    });
  });
}

test('the npm package ships the bin and the emulator, not its tests', async () => {
  const pkg = require('../../package.json');
  assert.deepEqual(pkg.bin, { iamcore: 'node/bin/iamcore.js' });
  const [packed] = JSON.parse(await npm(['pack', '--dry-run', '--json']));
  const names = packed.files.map((f) => f.path);
  for (const name of ['node/bin/iamcore.js', 'node/cli.js', 'tests/emulator/iam_emulator.py',
    'tests/emulator/aws_endpoints.py', 'tests/emulator/vpc_endpoints.py', 'tests/emulator/README.md']) {
    assert.ok(names.includes(name), name);
  }
  assert.deepEqual(names.filter((n) => n.startsWith('tests/') && !n.startsWith('tests/emulator/')), []);
  assert.deepEqual(names.filter((n) => /(^|\/)test_[^/]*\.py$/.test(n)), []);
  const bin = packed.files.find((f) => f.path === 'node/bin/iamcore.js');
  assert.ok(bin.mode & 0o111, 'the bin is executable');
});

test('`iamcore emulator` runs from the packed package', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-pack-'));
  try {
    const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', dir]));
    await new Promise((resolve, reject) => {
      execFile('tar', ['-xzf', path.join(dir, packed.filename), '-C', dir], (err) => (err ? reject(err) : resolve()));
    });
    const child = spawn(process.execPath, [path.join(dir, 'package', 'node', 'bin', 'iamcore.js'), 'emulator', '--exit-on-stdin-eof'], {
      env: env(), cwd: dir, stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('the packed emulator did not start')), 20000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(text.slice(0, text.indexOf('\n')));
        }
      });
    });
    const info = JSON.parse(line);
    assert.deepEqual(Object.keys(info).sort(), ['ca_file', 'http', 'https', 'pid']);
    const auth = new iamcore.IamAuthenticator({ apikey: 'any-key', url: info.https, caFile: info.ca_file, timeout: 5000 });
    assert.equal((await auth.getToken()).split('.').length, 3);
    child.stdin.end();
    assert.equal(await exited, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
