'use strict';
// Start-up cost: require('iamcore') and constructing an IAM authenticator load
// neither libcurl (the first request does) nor the modules an IAM program does not
// use (the AWS signers, Db2, the simple authenticators: compiled on first read of
// their exports, which then stay the same objects; the log module: by setLogHook, or
// at once under NODE_DEBUG).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Emulator } = require('./emulator.js');

const ROOT = path.join(__dirname, '..', '..');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());

const SCRIPT = `
const fs = require('fs');
const loaded = () => {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const modules = Object.keys(require.cache).map((f) => require('path').basename(f));
  return {
    libcurl: maps.includes('libcurl'),
    aws: modules.includes('aws.js'),
    db2: modules.includes('db2.js'),
    simple: modules.includes('simple-auth.js'),
    log: modules.includes('log.js'),
  };
};
const seen = {};
const iamcore = require(process.argv[1]);
const auth = new iamcore.IamAuthenticator({ apikey: 'test-api-key', url: process.argv[2] });
seen.construct = loaded();
const aws = iamcore.aws;
seen.aws = loaded();
seen.same = aws === iamcore.aws && iamcore.RdsSigner === aws.RdsSigner && iamcore.db2 === iamcore.db2 &&
  typeof iamcore.BearerTokenAuthenticator === 'function' && Object.isFrozen(aws);
seen.all = loaded();
iamcore.setLogHook(null);
seen.log = loaded().log;
auth.getToken().then((token) => {
  seen.token = typeof token === 'string' && token.length > 0;
  seen.first = loaded();
  console.log(JSON.stringify(seen));
});
`;

test('require and construct load no libcurl and no unused modules', () => {
  const out = execFileSync(process.execPath, ['-e', SCRIPT, ROOT, emu.http], {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  const seen = JSON.parse(out);
  assert.deepEqual(seen.construct, { libcurl: false, aws: false, db2: false, simple: false, log: false });
  assert.deepEqual(seen.aws, { libcurl: false, aws: true, db2: false, simple: false, log: false });
  assert.equal(seen.same, true);
  assert.deepEqual(seen.all, { libcurl: false, aws: true, db2: true, simple: true, log: false });
  assert.equal(seen.log, true);
  assert.equal(seen.token, true);
  assert.deepEqual(seen.first, { libcurl: true, aws: true, db2: true, simple: true, log: true });
});

test('under NODE_DEBUG the log module is loaded by require', () => {
  const script = `require(process.argv[1]);
console.log(Object.keys(require.cache).some((f) => f.endsWith('log.js')))`;
  const out = execFileSync(process.execPath, ['-e', script, ROOT], {
    env: { PATH: process.env.PATH, NODE_DEBUG: 'net' },
    encoding: 'utf8',
  });
  assert.equal(out.trim(), 'true');
});
