// The package loads as ESM by its name (package.json "exports").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import iamcore, { IamAuthenticator, ContainerAuthenticator, IamcoreError, ErrorCodes, version } from 'iamcore';

const require = createRequire(import.meta.url);
const { Emulator } = require('./emulator.js');

let emu;
before(async () => {
  emu = await Emulator.start();
});
after(() => emu.stop());

test('named and default ESM exports are the CommonJS objects', () => {
  const cjs = require('iamcore');
  assert.equal(IamAuthenticator, cjs.IamAuthenticator);
  assert.equal(ContainerAuthenticator, cjs.ContainerAuthenticator);
  assert.equal(IamcoreError, cjs.IamcoreError);
  assert.equal(iamcore, cjs);
  assert.equal(ErrorCodes.TOKEN_FILE, 'IAMCORE_TOKEN_FILE');
  assert.match(version, /^\d+\.\d+\.\d+/);
});

test('an ESM caller gets a token', async () => {
  const auth = new IamAuthenticator({ apikey: 'esm-key', url: emu.http });
  const options = {};
  await auth.authenticate(options);
  assert.match(options.headers.Authorization, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
});
