'use strict';
// Loopback servers that fail below HTTP, for the fault matrix (faults.test.js); the
// twin of tests/python/fault_servers.py. The emulator covers failures inside an HTTP
// exchange; these cover a listener that accepts and never answers, one that hangs
// up at once, and HTTPS listeners whose certificate is wrong in one precise way
// (self-signed, another host name, expired) next to a right one, made at test time
// with the openssl CLI. Everything listens on 127.0.0.1 only.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');

// A private openssl config so the result does not depend on the system's openssl.cnf.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = iamcore fault test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[localhost_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[wrong_host_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong-host.invalid
`;

/** What every fake HTTPS server answers: an opaque token with a lifetime. */
const TOKEN_ANSWER = { access_token: 'fault-tls-token', token_type: 'Bearer', expires_in: 3600 };

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A throw-away CA (`ca`, a PEM path) and server certificates, each { cert, key } (PEM
 * paths): `good` (the CA's, for localhost and 127.0.0.1), `selfSigned` (same names, no
 * CA), `wrongHost` (the CA's, for wrong-host.invalid only), `expired` (the CA's, for
 * localhost and 127.0.0.1, expired a day ago).
 */
function makeCertificates(dir) {
  const p = (name) => path.join(dir, name);
  const cnf = p('openssl.cnf');
  fs.writeFileSync(cnf, OPENSSL_CONFIG);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const out = { ca: p('ca.pem') };
  openssl('req', '-x509', '-config', cnf, '-extensions', 'ca_ext', ...ec, '-keyout', p('ca.key'), '-out', out.ca,
    '-days', '2', '-subj', '/CN=iamcore fault test CA');
  out.selfSigned = { cert: p('self-signed.pem'), key: p('self-signed.key') };
  openssl('req', '-x509', '-config', cnf, '-extensions', 'localhost_ext', ...ec, '-keyout', out.selfSigned.key,
    '-out', out.selfSigned.cert, '-days', '2', '-subj', '/CN=localhost');
  // Issued by the CA: -days -1 ends validity a day ago.
  for (const [name, ext, days] of [['good', 'localhost_ext', '2'], ['wrongHost', 'wrong_host_ext', '2'], ['expired', 'localhost_ext', '-1']]) {
    const c = { cert: p(`${name}.pem`), key: p(`${name}.key`) };
    openssl('req', '-new', '-config', cnf, ...ec, '-keyout', c.key, '-out', p(`${name}.csr`), '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', out.ca, '-CAkey', p('ca.key'), '-CAcreateserial',
      '-out', c.cert, '-days', days, '-extfile', cnf, '-extensions', ext);
    out[name] = c;
  }
  return out;
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/**
 * A TCP server on 127.0.0.1; `onConnection(socket)` decides what happens. Resolves to
 * { url, accepted (count, a getter), close() } — close() also destroys open sockets.
 */
async function rawServer(onConnection) {
  const sockets = new Set();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Accepts every connection, then never reads or writes. */
const silentServer = () => rawServer((socket) => socket.pause());

/** Accepts every connection and closes it at once: an empty reply. */
const closingServer = () => rawServer((socket) => socket.destroy());

/**
 * An HTTPS token service on 127.0.0.1 presenting `certificate` ({ cert, key } paths)
 * that answers every POST with TOKEN_ANSWER. Resolves to { url, requests (a getter),
 * close() }.
 */
async function tlsTokenServer(certificate) {
  let requests = 0;
  const server = https.createServer(
    { cert: fs.readFileSync(certificate.cert), key: fs.readFileSync(certificate.key) },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        const body = JSON.stringify(TOKEN_ANSWER);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      });
    },
  );
  server.on('tlsClientError', () => {}); // refused handshakes are the point
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort() {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

module.exports = { TOKEN_ANSWER, makeCertificates, silentServer, closingServer, tlsTokenServer, closedPort };
