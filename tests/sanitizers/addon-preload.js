'use strict';
// Preloaded (NODE_OPTIONS=--require=...) by scripts/test-asan.sh: every
// require of the package's addon, build/Release/iamcore.node, loads the
// sanitizer build named by IAMCORE_TEST_ADDON instead, in the test processes,
// their worker threads and the node processes they start.

const Module = require('node:module');
const path = require('node:path');

const replacement = process.env.IAMCORE_TEST_ADDON;
if (replacement) {
  const addon = path.join(__dirname, '..', '..', 'build', 'Release', 'iamcore.node');
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveTestAddon(request, ...rest) {
    const file = resolve.call(this, request, ...rest);
    return file === addon ? replacement : file;
  };
}
