'use strict';
// Preloaded into every Node process of the test run (scripts/test.sh sets
// NODE_OPTIONS=--require=...) with IAMCORE_SECRET_SCAN_DIR set: every IamcoreError
// the addon creates is kept, and when the process or worker exits, everything it
// shows (util.inspect with hidden properties, JSON, String, the stack and each
// field) is written to a file in that directory. scripts/test.sh then scans those
// files and the run's console output for the run's secrets
// (tests/python/secret_scan.py). Errors built in JavaScript carry fixed messages.

const dir = process.env.IAMCORE_SECRET_SCAN_DIR;
if (dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const util = require('node:util');
  const Module = require('node:module');
  const { threadId } = require('node:worker_threads');

  const kept = [];

  // A subclass with the same name: instanceof, name and inspect are unchanged.
  function tracking(cls) {
    const name = cls.name;
    return {
      [name]: class extends cls {
        constructor(...args) {
          super(...args);
          kept.push(this);
        }
      },
    }[name];
  }

  const load = Module._load;
  Module._load = function loadAndTrack(request, ...rest) {
    const exports = load.call(this, request, ...rest);
    if (request.endsWith('iamcore.node') && exports && typeof exports.setErrorClass === 'function'
        && !exports.setErrorClass.tracking) {
      const set = exports.setErrorClass;
      const wrapped = (cls) => set.call(exports, typeof cls === 'function' ? tracking(cls) : cls);
      wrapped.tracking = true;
      exports.setErrorClass = wrapped;
    }
    return exports;
  };

  function render(err) {
    const parts = [
      util.inspect(err, { showHidden: true, depth: 6, getters: true }),
      String(err),
      String(err.stack),
    ];
    try {
      parts.push(JSON.stringify(err));
    } catch {
      // not serialisable: nothing to show
    }
    for (const key of Object.getOwnPropertyNames(err)) parts.push(`${key}=${String(err[key])}`);
    return parts.join('\n');
  }

  process.on('exit', () => {
    if (kept.length === 0) return;
    const file = path.join(dir, `node-errors-${process.pid}-${threadId}.txt`);
    try {
      fs.writeFileSync(file, kept.map(render).join('\n\n') + '\n');
    } catch {
      // the directory is gone (the run is over): nothing to report to
    }
  });
}
