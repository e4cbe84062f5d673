'use strict';
// The addon loads in several worker threads at once (per-environment state only).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const { IamAuthenticator } = require('../../node/index.js');
const { Emulator } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());

function runWorker(apikey) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'fixtures', 'worker.js'), {
      workerData: { apikey, url: emu.http },
    });
    let message;
    worker.once('message', (m) => {
      message = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with code ${code}`));
      else if (!message) reject(new Error('worker sent no message'));
      else resolve(message);
    });
  });
}

test('two workers each create an authenticator and get a token', async () => {
  await emu.reset();
  const main = new IamAuthenticator({ apikey: 'main-key', url: emu.http });
  const [a, b, tokenMain] = await Promise.all([runWorker('worker-key-a'), runWorker('worker-key-b'), main.getToken()]);
  for (const m of [a, b]) {
    assert.equal(m.ok, true, `worker failed: ${m.code}`);
    assert.equal(typeof m.token, 'string');
    assert.ok(m.header === `Bearer ${m.token}`, 'authenticate() header');
    assert.equal(m.configCode, 'IAMCORE_CONFIG', 'IamcoreError class registered per worker');
  }
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.token, tokenMain);
  const reqs = await emu.requests();
  assert.equal(reqs.length, 3);
  // The main thread's authenticator still works after the workers are gone.
  assert.equal(await main.getToken(), tokenMain);
});

test('workers can be started again after others exited', async () => {
  const m = await runWorker('worker-key-c');
  assert.equal(m.ok, true);
});
