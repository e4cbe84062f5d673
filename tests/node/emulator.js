'use strict';
// Starts tests/emulator/iam_emulator.py for one test file and drives its control API.
//
//   const emu = await Emulator.start();   // in before()
//   await emu.reset(); await emu.enqueue({ status: 500 }, { token: true });
//   await emu.tokenSettings({ delay_ms: 300 }); const reqs = await emu.requests();
//   await emu.stop();                       // in after()
//
// AWS endpoints (tests/emulator/README.md, "AWS endpoints"):
//   await emu.awsSettings({ delay_ms: 200, credential_lifetime: 300 });
//   await emu.enqueue({ endpoint: 'sts', error: { Code: 'InvalidIdentityToken' } });
//   const sts = await emu.requests('sts');  // or ['imds-token', 'imds-credentials']
//
// The emulator is started with --exit-on-stdin-eof: it also goes away if this
// process dies without calling stop().

const path = require('node:path');
const { spawn } = require('node:child_process');

const SCRIPT = path.join(__dirname, '..', 'emulator', 'iam_emulator.py');
const START_TIMEOUT_MS = 15000;

class Emulator {
  constructor(child, info) {
    this.child = child;
    this.http = info.http; // e.g. http://127.0.0.1:41235
    this.https = info.https;
    this.caFile = info.ca_file;
    this.pid = info.pid;
  }

  static start() {
    const python = process.env.PYTHON || 'python3';
    const child = spawn(python, [SCRIPT, '--exit-on-stdin-eof'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        fail(new Error(`the IAM emulator did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      function cleanup() {
        clearTimeout(timer);
        child.stdout.removeListener('data', onData);
        child.removeListener('exit', onExit);
        child.removeListener('error', fail);
      }
      function fail(err) {
        cleanup();
        child.stdin.end();
        reject(err);
      }
      function onExit(code, signal) {
        fail(new Error(`the IAM emulator exited during start-up (code ${code}, signal ${signal})`));
      }
      function onData(chunk) {
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl < 0) return;
        cleanup();
        try {
          const info = JSON.parse(buffered.slice(0, nl));
          child.stdout.resume(); // drain anything else
          resolve(new Emulator(child, info));
        } catch (err) {
          child.stdin.end();
          reject(err);
        }
      }
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', onData);
      child.once('exit', onExit);
      child.once('error', fail);
    });
  }

  async #control(method, name, body) {
    const res = await fetch(`${this.http}/_emulator/${name}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const value = await res.json();
    if (!res.ok) throw new Error(`emulator ${name}: HTTP ${res.status} ${JSON.stringify(value)}`);
    return value;
  }

  /** Forget requests, empty the queue, default token settings. */
  reset() {
    return this.#control('POST', 'reset', {});
  }

  /** Queue responses for the next token requests; `endpoint: 'sts'` (etc.) targets an AWS endpoint. */
  enqueue(...responses) {
    return this.#control('POST', 'enqueue', { responses });
  }

  /** Merge AWS settings (credential_lifetime, access_key_id, container_auth_token,
   * imds_role, imds_v1_allowed, imds_token_status, delay_ms); returns them. */
  awsSettings(changes) {
    return changes === undefined ? this.#control('GET', 'aws-settings') : this.#control('POST', 'aws-settings', changes);
  }

  /** Merge token settings: lifetime, iat_offset, delay_ms, expires_in, expiration, jwt. */
  tokenSettings(changes) {
    return this.#control('POST', 'token-settings', changes);
  }

  /** The requests received so far, oldest first; `endpoint` (a name or a list of
   * names: 'iam', 'sts', 'container', 'imds-token', ...) keeps only those. */
  async requests(endpoint) {
    const names = endpoint === undefined ? [] : [].concat(endpoint);
    const query = names.length ? `?endpoint=${names.map(encodeURIComponent).join(',')}` : '';
    return (await this.#control('GET', `requests${query}`)).requests;
  }

  /** Resolves once the emulator has received at least `count` requests (of `endpoint`). */
  async waitForRequests(count, timeoutMs = 5000, endpoint = undefined) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reqs = await this.requests(endpoint);
      if (reqs.length >= count) return reqs;
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} token requests within ${timeoutMs} ms, got ${reqs.length}`);
      }
      await sleep(25);
    }
  }

  /** Close stdin (the emulator exits on EOF); SIGTERM if it is still there after 5 s. */
  stop() {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Settle a promise into { ok, value | error, ms } without throwing. */
async function settle(promise) {
  const t0 = performance.now();
  try {
    const value = await promise;
    return { ok: true, value, ms: performance.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - t0 };
  }
}

module.exports = { Emulator, sleep, settle };
