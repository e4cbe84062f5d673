// The authenticators added after the first two are ESM exports too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import * as esm from 'iamcore';

const require = createRequire(import.meta.url);

test('every authenticator and getAuthenticatorFromEnvironment are named ESM exports', () => {
  const cjs = require('iamcore');
  for (const name of [
    'VpcInstanceAuthenticator',
    'IamAssumeAuthenticator',
    'BearerTokenAuthenticator',
    'BasicAuthenticator',
    'NoAuthAuthenticator',
    'getAuthenticatorFromEnvironment',
  ]) {
    assert.equal(typeof esm[name], 'function', name);
    assert.equal(esm[name], cjs[name], name);
  }
});
