#!/usr/bin/env node
'use strict';
// The npm package's `iamcore` command (node/cli.js; guide: docs/cli.md).

const { main } = require('../cli.js');

// The reader of standard output went away (`iamcore ... | head -c0`): status 1 and
// nothing to say, as the Python command line.
let brokenPipe = false;
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  brokenPipe = true;
  process.exitCode = 1;
});

main().then(
  (status) => {
    process.exitCode = brokenPipe ? 1 : status;
  },
  (err) => {
    // Expected failures are one line from main(); this is a defect: keep its stack.
    process.stderr.write(`iamcore: unexpected failure: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
