'use strict';
// A private PostgreSQL server for one test file: tests/python/pg_server.py
// (the same server the Python tests use) run as a child process.
//
//   const server = await PgServer.start();   // in before(); see skipReason
//   test('...', async (t) => { if (server.skip(t)) return; ... });
//   await server.stop();                      // in after()
//
// When PostgreSQL is not installed the tests are skipped, unless
// IAMCORE_REQUIRE_POSTGRES is set (scripts/test.sh sets it): then start()
// rejects. A PostgreSQL that is installed but does not start always rejects.
// The server stops when stop() closes the script's stdin, or when this process
// dies (the script sees end-of-file, and postgres dies with the script).

const path = require('node:path');
const { spawn } = require('node:child_process');

const SCRIPT = path.join(__dirname, '..', 'python', 'pg_server.py');
const START_TIMEOUT_MS = 90000;

function required() {
  const v = process.env.IAMCORE_REQUIRE_POSTGRES;
  return v !== undefined && v !== '' && v !== '0';
}

class PgServer {
  constructor(child, info) {
    this.child = child;
    this.skipReason = info.unavailable ?? null;
    this.host = info.host; // 127.0.0.1
    this.port = info.port;
    this.socketDir = info.socket_dir; // the superuser's way in
    this.superuser = info.superuser;
    this.database = info.database;
    this.iamGroup = info.iam_group; // members log in with a clear-text password
    this.version = info.version;
    this.caFile = info.ca_file; // the test CA of the server's TLS certificate (127.0.0.1, localhost)
  }

  /** Resolves with a running server, or one whose skipReason says why there is none. */
  static start() {
    const python = process.env.PYTHON || 'python3';
    const child = spawn(python, [SCRIPT, '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => fail(new Error(`PostgreSQL did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      function cleanup() {
        clearTimeout(timer);
        child.stdout.removeListener('data', onData);
        child.removeListener('close', onExit);
        child.removeListener('error', fail);
      }
      function fail(err) {
        cleanup();
        child.stdin.end();
        reject(err);
      }
      function onExit(code, signal) {
        fail(new Error(`tests/python/pg_server.py exited without a word (code ${code}, signal ${signal})`));
      }
      function onData(chunk) {
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl < 0) return;
        cleanup();
        let info;
        try {
          info = JSON.parse(buffered.slice(0, nl));
        } catch (err) {
          fail(err);
          return;
        }
        child.stdout.resume();
        if (info.error !== undefined) {
          child.stdin.end();
          reject(new Error(`PostgreSQL is installed but could not be started: ${info.error}`));
        } else if (info.unavailable !== undefined && required()) {
          child.stdin.end();
          reject(new Error(`PostgreSQL is required (IAMCORE_REQUIRE_POSTGRES is set): ${info.unavailable}`));
        } else {
          resolve(new PgServer(child, info));
        }
      }
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', onData);
      child.once('close', onExit); // after stdout is drained
      child.once('error', fail);
    });
  }

  /** Marks the test skipped and returns true when there is no server. */
  skip(t) {
    if (this.skipReason === null) return false;
    t.skip(this.skipReason);
    return true;
  }

  /** Connection options of the superuser (Unix socket, no password). */
  adminOptions() {
    return { host: this.socketDir, port: this.port, user: this.superuser, database: this.database };
  }

  /** Close the script's stdin: it stops PostgreSQL and removes its directory. */
  stop() {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGTERM'), 20000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  }
}

module.exports = { PgServer };
