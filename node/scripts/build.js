#!/usr/bin/env node
'use strict';
// Builds build/Release/iamcore.node with npm's bundled node-gyp against the headers
// of the running Node installation. Downloads nothing: without local headers it
// fails with a message instead of letting node-gyp fetch them.
//
//   node node/scripts/build.js            configure + build (keeps build/ contents
//                                         of the other builds, e.g. build/c)
//   node node/scripts/build.js --debug    a Debug build
//   IAMCORE_WERROR=1 node node/scripts/build.js   warnings are errors (CI)
//   IAMCORE_SANITIZE=address,undefined node node/scripts/build.js --out-dir build/asan/node
//                                         a test build under sanitizers, made in a
//                                         tree of links under that directory
//                                         (its build/Release/iamcore.node), so the
//                                         package's own build/Release stays as it is

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');

function fail(message) {
  process.stderr.write(`iamcore: ${message}\n`);
  process.exit(1);
}

function findNodeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
  candidates.push(path.dirname(path.dirname(process.execPath)));
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return fail(
    `Node headers not found (looked for include/node/node_api.h under ${candidates.join(', ')}). ` +
      'Install the Node development headers (Debian: the nodejs package ships them) ' +
      'or set npm_config_nodedir; the build never downloads them.',
  );
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  candidates.push(
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules',
      'node-gyp', 'bin', 'node-gyp.js'),
  );
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fine
  }
  for (const file of candidates) {
    if (fs.existsSync(file)) return file;
  }
  return fail(`node-gyp not found (tried ${candidates.join(', ')})`);
}

// --out-dir DIR: DIR gets links to what binding.gyp reads, and node-gyp (which always
// builds in ./build) runs there.
function buildRoot() {
  const i = process.argv.indexOf('--out-dir');
  if (i < 0) return root;
  const value = process.argv[i + 1];
  if (!value) fail('--out-dir needs a directory');
  const dir = path.resolve(root, value);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['binding.gyp', 'csrc', 'node']) {
    const link = path.join(dir, name);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.join(root, name), link);
  }
  return dir;
}

const cwd = buildRoot();

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'inherit' });
  if (r.error) fail(`could not run node-gyp: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status === null ? 1 : r.status);
}

const nodedir = findNodeDir();
const gyp = findNodeGyp();
const common = [`--nodedir=${nodedir}`];
if (process.argv.includes('--debug')) common.push('--debug');

// configure + build rather than rebuild: `rebuild` starts with `clean`, which
// deletes the whole build/ directory, including the C core's build/c.
const gypDefines = [];
if (process.env.IAMCORE_WERROR === '1') gypDefines.push('-Diamcore_werror=1');
const sanitize = (process.env.IAMCORE_SANITIZE || '').trim();
if (sanitize) {
  if (!/^[a-z]+(,[a-z]+)*$/.test(sanitize)) {
    fail('IAMCORE_SANITIZE must be a list of sanitizer names, e.g. address,undefined');
  }
  gypDefines.push(`-Diamcore_sanitize=${sanitize}`);
}
run([gyp, 'configure', ...common, ...(gypDefines.length ? ['--', ...gypDefines] : [])]);
run([gyp, 'build', '--jobs=max', ...common]);
