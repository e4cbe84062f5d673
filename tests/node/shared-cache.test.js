'use strict';
// The shared token cache (docs/shared-cache.md) from Node: 8 Node processes against one
// emulator make one IAM request per refresh period, the directory refusals, the option on
// every token class, and the fall-back when the directory goes away. (Python and Node
// processes together: tests/python/test_shared_cache.py.)

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');

const {
  IamAuthenticator,
  ContainerAuthenticator,
  VpcInstanceAuthenticator,
  IamAssumeAuthenticator,
  IamcoreError,
  setLogHook,
} = require('../../node/index.js');
const { Emulator, sleep } = require('./emulator.js');

const WORKER = path.join(__dirname, 'fixtures', 'shared-cache-worker.js');
// Issued so that its refresh (80 % of 3600 s) is due 10 s after it arrives: time enough
// for every process to take it, even under the sanitizers.
const DUE_SOON = { iat_offset: -2870, lifetime: 3600 };
const DUE_AFTER_MS = 10000;

let emu;
let tmp;
before(async () => {
  emu = await Emulator.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-shared-'));
});
after(() => {
  emu.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => emu.reset());

let dirCount = 0;
const freshDir = () => path.join(tmp, `d${++dirCount}`);
const newKey = () => `shared-node-${crypto.randomUUID()}`;

async function ownRequests(apikey) {
  return (await emu.requests('iam')).filter((r) => r.form.apikey === apikey).length;
}

const entries = (dir) => fs.readdirSync(dir).filter((n) => n.endsWith('.token'));

function startWorker(apikey, dir) {
  const child = spawn(process.execPath, [WORKER, emu.http, apikey, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const { value } = await lines.next();
      return value;
    },
    send(line) {
      child.stdin.write(line + '\n');
    },
  };
}

async function ask(workers, command) {
  for (const w of workers) w.send(command);
  const answers = await Promise.all(workers.map((w) => w.next()));
  return answers.map((a) => JSON.parse(a).token);
}

test('8 Node processes make one IAM request per refresh period', { timeout: 90000 }, async () => {
  const apikey = newKey();
  const dir = freshDir();
  await emu.tokenSettings({ delay_ms: 300, ...DUE_SOON });
  const workers = Array.from({ length: 8 }, () => startWorker(apikey, dir));
  try {
    for (const w of workers) assert.equal(await w.next(), 'ready');
    const started = Date.now();
    const first = await ask(workers, 'token');
    assert.equal(new Set(first).size, 1);
    assert.equal(typeof first[0], 'string');
    assert.equal(await ownRequests(apikey), 1);

    await emu.tokenSettings({ delay_ms: 300, iat_offset: 0, lifetime: 3600 });
    assert.ok(Date.now() - started < DUE_AFTER_MS, 'the first round took too long to tell');
    await sleep(Math.max(0, DUE_AFTER_MS + 1000 - (Date.now() - started)));
    const second = await ask(workers, `new ${first[0]}`);
    assert.equal(new Set(second).size, 1);
    assert.notEqual(second[0], first[0]);
    assert.equal(await ownRequests(apikey), 2);
  } finally {
    for (const w of workers) w.child.stdin.end();
    await Promise.all(workers.map((w) => new Promise((resolve) => w.child.once('exit', resolve))));
    await emu.tokenSettings({ delay_ms: 0, iat_offset: 0, lifetime: 3600 });
  }
});

test('the files are private and hold the token, not the key', async () => {
  const apikey = newKey();
  const dir = freshDir();
  const old = process.umask(0);
  let token;
  try {
    token = await new IamAuthenticator({ apikey, url: emu.http, sharedCache: dir }).getToken();
  } finally {
    process.umask(old);
  }
  assert.equal(fs.statSync(dir).mode & 0o7777, 0o700);
  const [name] = entries(dir);
  assert.ok(!name.includes(apikey));
  const file = path.join(dir, name);
  assert.equal(fs.statSync(file).mode & 0o7777, 0o600);
  const content = fs.readFileSync(file, 'utf8');
  assert.ok(content.startsWith('iamcore-shared-token 1\n'));
  assert.ok(content.includes(token) && !content.includes(apikey));
  // Another authenticator of the same credential adopts it.
  assert.equal(await new IamAuthenticator({ apikey, url: emu.http, sharedCache: dir }).getToken(), token);
  assert.equal(await ownRequests(apikey), 1);
});

test('every token class takes sharedCache', async () => {
  const apikey = newKey();
  const dir = freshDir();
  const crFile = path.join(tmp, 'cr-token');
  fs.writeFileSync(crFile, 'cr-token-value\n');
  const auths = [
    new IamAuthenticator({ apikey, url: emu.http, sharedCache: dir }),
    new ContainerAuthenticator({ iamProfileName: 'p', crTokenFilename: crFile, url: emu.http, sharedCache: dir }),
    new VpcInstanceAuthenticator({ url: emu.http, sharedCache: dir }),
    new IamAssumeAuthenticator({ apikey, iamProfileId: 'Profile-1', url: emu.http, sharedCache: dir }),
  ];
  for (const a of auths) assert.ok(await a.getToken());
  assert.equal(entries(dir).length, 4);
  assert.throws(
    () => new IamAuthenticator({ apikey, sharedCache: 3 }),
    (e) => e instanceof IamcoreError && /sharedCache/.test(e.message),
  );
});

function refused(dir, needle) {
  assert.throws(
    () => new IamAuthenticator({ apikey: 'refusal-key-value', url: 'http://127.0.0.1:9', sharedCache: dir }),
    (e) => {
      assert.ok(e instanceof IamcoreError);
      assert.equal(e.code, 'IAMCORE_CONFIG');
      assert.ok(e.message.includes(needle) && e.message.includes(dir), e.message);
      assert.ok(!e.message.includes('refusal-key-value'));
      return true;
    },
  );
}

test('unsafe directories are refused', () => {
  const real = freshDir();
  fs.mkdirSync(real, { mode: 0o700 });
  const link = `${real}-link`;
  fs.symlinkSync(real, link);
  refused(link, 'symbolic link');
  fs.chmodSync(real, 0o770);
  refused(real, 'writable by group or others');
  fs.chmodSync(real, 0o702);
  refused(real, 'writable by group or others');
  fs.chmodSync(real, 0o700);
  const plain = path.join(tmp, 'plain-file');
  fs.writeFileSync(plain, 'x');
  refused(plain, 'not a directory');
  refused(path.join(real, 'no', 'such'), 'parent directory does not exist');
  if (process.geteuid() === 0) {
    fs.chownSync(real, 65534, 65534);
    refused(real, 'not owned by the current user');
    fs.chownSync(real, 0, 0);
  }
  assert.throws(
    () => new IamAuthenticator({ refreshToken: 'rt-value-123', clientId: 'bx', clientSecret: 's', sharedCache: real }),
    (e) => e.code === 'IAMCORE_CONFIG' && /refresh token/.test(e.message),
  );
});

test('IAMCORE_SHARED_CACHE is used when the option is not given; "" turns it off', async () => {
  const apikey = newKey();
  const dir = freshDir();
  process.env.IAMCORE_SHARED_CACHE = dir;
  try {
    const a = new IamAuthenticator({ apikey, url: emu.http });
    const b = new IamAuthenticator({ apikey, url: emu.http });
    assert.equal(await a.getToken(), await b.getToken());
    assert.equal(await ownRequests(apikey), 1);
    await new IamAuthenticator({ apikey, url: emu.http, sharedCache: '' }).getToken();
    assert.equal(await ownRequests(apikey), 2);
  } finally {
    delete process.env.IAMCORE_SHARED_CACHE;
  }
  assert.equal(entries(dir).length, 1);
});

test('a vanished directory falls back to an own fetch, with a warning event', async () => {
  const events = [];
  setLogHook((e) => events.push(e));
  try {
    const apikey = newKey();
    const dir = freshDir();
    const auth = new IamAuthenticator({ apikey, url: emu.http, sharedCache: dir });
    fs.rmSync(dir, { recursive: true });
    assert.ok(await auth.getToken());
    assert.equal(await ownRequests(apikey), 1);
    const deadline = Date.now() + 3000;
    while (!events.some((e) => e.event === 'shared_cache_unusable') && Date.now() < deadline) await sleep(10);
    const ev = events.find((e) => e.event === 'shared_cache_unusable');
    assert.ok(ev, 'a shared_cache_unusable event');
    assert.equal(ev.level, 'warning');
    assert.equal(ev.path, dir);
    assert.ok(!JSON.stringify(ev).includes(apikey));
  } finally {
    setLogHook(null);
  }
});
