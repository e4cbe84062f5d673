#!/usr/bin/env node
'use strict';
// The npm package's `iamcore` command (node/cli.js; guide: docs/cli.md).

const { main } = require('../cli.js');

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err) => {
    // Expected failures are one line from main(); this is a defect: keep its stack.
    process.stderr.write(`iamcore: unexpected failure: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
