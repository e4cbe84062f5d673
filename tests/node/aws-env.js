'use strict';
// The AWS environment of a test process, isolated: no AWS_* variable from the
// caller, empty config and credentials files, instance metadata off. Every AWS
// test file calls isolateAwsEnv() at load time, before iamcore's credential chain
// first runs (the C core reads the process environment with getenv: Node's
// process.env writes reach it on Linux). No test ever reaches 169.254.x or a real
// AWS endpoint: IMDS is disabled and its endpoint (like STS's) points at a closed
// loopback port until a test points it at the emulator; the container variables
// are unset.

const fs = require('node:fs');

// A loopback port nothing listens on (9, "discard"): a connection is refused at once.
const DEAD_ENDPOINT = 'http://127.0.0.1:9';
const os = require('node:os');
const path = require('node:path');

function withoutAws(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('AWS_')) out[k] = v;
  return out;
}

/** Isolate process.env; returns the temp directory and the two (empty) files. */
function isolateAwsEnv() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iamcore-aws-test-'));
  const config = path.join(dir, 'config');
  const credentials = path.join(dir, 'credentials');
  fs.writeFileSync(config, '');
  fs.writeFileSync(credentials, '');
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = DEAD_ENDPOINT;
  process.env.AWS_ENDPOINT_URL_STS = DEAD_ENDPOINT;
  process.env.AWS_CONFIG_FILE = config;
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, config, credentials };
}

/** An environment for a child process: the parent's without AWS_*, IMDS off, the
 * given files, plus `extra` (a value of undefined removes the variable). */
function childEnv(files, extra = {}) {
  const env = withoutAws(process.env);
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.AWS_EC2_METADATA_SERVICE_ENDPOINT = DEAD_ENDPOINT;
  env.AWS_ENDPOINT_URL_STS = DEAD_ENDPOINT;
  env.AWS_CONFIG_FILE = files.config;
  env.AWS_SHARED_CREDENTIALS_FILE = files.credentials;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Parse a token or presigned URL's query into [name, value] pairs (decoded). */
function queryPairs(tokenOrUrl) {
  const q = tokenOrUrl.slice(tokenOrUrl.indexOf('?') + 1);
  return q.split('&').map((kv) => {
    const i = kv.indexOf('=');
    return [decodeURIComponent(kv.slice(0, i)), decodeURIComponent(kv.slice(i + 1))];
  });
}

function queryMap(tokenOrUrl) {
  return Object.fromEntries(queryPairs(tokenOrUrl));
}

module.exports = { DEAD_ENDPOINT, isolateAwsEnv, childEnv, queryPairs, queryMap };
