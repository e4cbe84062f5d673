'use strict';
// Concurrent first calls, Node: CALLERS authenticate() calls at once (Promise.all) on
// an authenticator that has no token yet, against an emulator that answers after
// DELAY_MS.
//
// Started by bench/run.py in a clean environment:
//
//   node bench/first_calls.js IMPL REPO URL ROUNDS     IMPL: iamcore | peer (ibm-cloud-sdk-core)
//
// Each round resets the emulator, sets its token delay, builds a new IAM
// authenticator, makes the calls and times until every promise has settled (every
// request must carry a Bearer header), then reads how many token requests the
// emulator received. One warm-up round first (not reported). Prints one JSON line:
//   {"wall_ms": [...], "requests": [...]}   one value per round

const http = require('http');
const path = require('path');

const CALLERS = 100;
const DELAY_MS = 50;

const [impl, repo, url, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg);

function control(method, name, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request(`${url}/_emulator/${name}`, {
      method,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

function authenticator() {
  if (impl === 'iamcore') {
    const { IamAuthenticator } = require(repo);
    return new IamAuthenticator({ apikey: 'bench-key', url, timeout: 10000 });
  }
  const { IamAuthenticator } = require(path.join(repo, 'node_modules', 'ibm-cloud-sdk-core'));
  return new IamAuthenticator({ apikey: 'bench-key', url });
}

async function oneRound() {
  await control('POST', 'reset', {});
  await control('POST', 'token-settings', { delay_ms: DELAY_MS });
  const auth = authenticator();
  const requests = Array.from({ length: CALLERS }, () => ({ headers: {} }));
  const start = process.hrtime.bigint();
  await Promise.all(requests.map((r) => auth.authenticate(r)));
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (!requests.every((r) => String(r.headers.Authorization).startsWith('Bearer '))) {
    throw new Error('authenticate() did not set the Authorization header');
  }
  const { count } = await control('GET', 'requests');
  return [wallMs, count];
}

(async () => {
  if (impl !== 'iamcore' && impl !== 'peer') throw new Error('IMPL is iamcore or peer');
  await oneRound(); // warm-up
  const walls = [];
  const counts = [];
  for (let i = 0; i < rounds; i++) {
    const [wallMs, count] = await oneRound();
    walls.push(wallMs);
    counts.push(count);
  }
  await control('POST', 'reset', {});
  console.log(JSON.stringify({ wall_ms: walls, requests: counts }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
