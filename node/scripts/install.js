#!/usr/bin/env node
'use strict';
// The package's install step. The npm tarball ships a prebuilt addon for linux-x64
// (node/prebuilds/linux-x64/: iamcore.node and the libcurl, cJSON and OpenSSL it needs,
// found through its $ORIGIN RUNPATH). When it loads on this machine there is nothing to
// build; otherwise (another platform, a glibc older than the one it was built for, musl)
// the addon is built from the shipped sources with node/scripts/build.js, which needs a C
// compiler, the -dev packages and the Node headers. Node-API is ABI-stable, so one prebuilt
// serves every Node version the package supports.
//
//   npm install --build-from-source    skip the prebuilt (npm_config_build_from_source)
//
// node/index.js loads build/Release/iamcore.node when a source build made one, else the
// prebuilt.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const prebuilt = path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`,
  'iamcore.node');

function say(message) {
  process.stderr.write(`iamcore: ${message}\n`);
}

function fromSourceWanted() {
  const value = process.env.npm_config_build_from_source;
  return value !== undefined && value !== '' && value !== 'false';
}

function prebuiltLoads() {
  if (!fs.existsSync(prebuilt)) return false;
  try {
    require(prebuilt);
    return true;
  } catch (err) {
    say(`the prebuilt addon does not load here (${err.message.split('\n')[0]}); building from source`);
    return false;
  }
}

if (fromSourceWanted()) {
  say('building the addon from source (--build-from-source)');
} else if (prebuiltLoads()) {
  process.exit(0);
}
const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js'), ...process.argv.slice(2)],
  { stdio: 'inherit' });
if (build.error) {
  say(`could not run the build: ${build.error.message}`);
  process.exit(1);
}
process.exit(build.status === null ? 1 : build.status);
