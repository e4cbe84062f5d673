'use strict';
// Differential test against the real @aws-sdk/rds-signer (a devDependency): a few
// hundred generated inputs, both signers at the same frozen second.
//
// PROTOCOLS §6: with a lower-case host and a port other than 443 the signatures
// are identical. Otherwise two documented differences remain: iamcore signs the
// host lower-cased and without ":443" (botocore), rds-signer signs it as given
// with the port. And the layout differs: iamcore keeps botocore's parameter
// order, rds-signer sorts every key (X-Amz-Signature before X-Amz-SignedHeaders).
// So for every input the query parameters parse to the same set except
// X-Amz-Signature, and the printed "host:port/" prefix is the same.

const { isolateAwsEnv, queryPairs } = require('./aws-env.js');

isolateAwsEnv();

const { test, mock } = require('node:test');
const assert = require('node:assert/strict');

const { aws } = require('../../node/index.js');

let Signer;
try {
  ({ Signer } = require('@aws-sdk/rds-signer'));
} catch {
  Signer = null;
}
const sdkMissing = Signer === null && '@aws-sdk/rds-signer is not installed (npm install installs the devDependencies)';

const COUNT = 400;
const SEED = Number(process.env.IAMCORE_DIFF_SEED || 20161107);

// mulberry32: a small deterministic PRNG, so a failure can be replayed by seed.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const chars = (alphabet, n) => Array.from({ length: n }, () => pick(alphabet)).join('');
  const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
  const USER = [...ALNUM, ...'@+=/&#% ~-_.!*\'()?:;,$[]', 'ü', 'é', 'ß', 'Ω', 'ж', '日', '本', '😀', '🚀'];
  const B64 = [...ALNUM, '+', '/'];

  let username = chars(USER, int(1, 24));
  if (rand() < 0.3) username = `${chars(ALNUM, int(1, 8))}@${chars(ALNUM, 5)}.example`;
  const labels = Array.from({ length: int(1, 3) }, () => chars([...'abcdefghijklmnopqrstuvwxyz0123456789-'], int(1, 12)).replace(/^-|-$/g, 'x'));
  const region = pick(['us-east-1', 'eu-central-1', 'eu-de-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1']);
  let hostname = `${labels.join('.')}.${chars(ALNUM.slice(0, 36), 12).toLowerCase()}.${region}.rds.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  const upper = rand() < 0.25;
  if (upper) hostname = hostname.replace(/[a-z]/g, (c) => (rand() < 0.4 ? c.toUpperCase() : c));
  const port = pick([5432, 5432, 3306, 3306, 443]);
  const credentials = { accessKeyId: `AKIA${chars(ALNUM.slice(26), 16).toUpperCase()}`, secretAccessKey: chars(B64, 40) };
  const tokenKind = rand();
  if (tokenKind < 0.4) credentials.sessionToken = `${chars(B64, int(20, 300))}==`;
  else if (tokenKind < 0.5) credentials.sessionToken = '';
  // A second between 2015 and 2035.
  const time = Date.UTC(2015, 0, 1) + Math.floor(rand() * 20 * 365 * 86400) * 1000;
  return { hostname, port, username, region, credentials, time };
}

async function sdkToken(input) {
  mock.timers.enable({ apis: ['Date'], now: input.time });
  try {
    const signer = new Signer({
      hostname: input.hostname,
      port: input.port,
      username: input.username,
      region: input.region,
      credentials: input.credentials,
    });
    return await signer.getAuthToken();
  } finally {
    mock.timers.reset();
  }
}

function ourToken(input, hostname = input.hostname) {
  return aws.generateDbAuthToken({
    hostname,
    port: input.port,
    username: input.username,
    region: input.region,
    credentials: input.credentials,
    timestamp: new Date(input.time),
  });
}

const sorted = (pairs) => [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const without = (pairs, name) => pairs.filter(([k]) => k !== name);
const signatureOf = (pairs) => pairs.find(([k]) => k === 'X-Amz-Signature')[1];

test(`iamcore and @aws-sdk/rds-signer agree on ${COUNT} generated inputs (seed ${SEED})`, { skip: sdkMissing }, async (t) => {
  const rand = prng(SEED);
  const figures = { inputs: 0, identicalSignature: 0, sameParametersExceptSignature: 0, lowerCaseHostNot443: 0, upperCaseHost: 0, port443: 0, sessionToken: 0, emptySessionToken: 0, upperCaseHostMatchesLowered: 0 };
  for (let i = 0; i < COUNT; i++) {
    const input = generate(rand);
    const where = `input #${i} (seed ${SEED}, port ${input.port}, host ${input.hostname === input.hostname.toLowerCase() ? 'lower' : 'mixed'}-case)`;
    const [ours, theirs] = await Promise.all([ourToken(input), sdkToken(input)]);
    figures.inputs++;
    if (input.credentials.sessionToken) figures.sessionToken++;
    if (input.credentials.sessionToken === '') figures.emptySessionToken++;

    // The same "host:port/?" prefix (both print the host as given, with the port).
    const prefix = `${input.hostname}:${input.port}/?`;
    assert.ok(ours.startsWith(prefix), `${where}: iamcore prefix`);
    assert.ok(theirs.startsWith(prefix), `${where}: rds-signer prefix`);

    const a = queryPairs(ours);
    const b = queryPairs(theirs);
    // Layouts: botocore's order for iamcore, every key sorted for rds-signer.
    assert.deepEqual(
      a.map(([k]) => k),
      ['Action', 'DBUser', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders',
        ...(input.credentials.sessionToken ? ['X-Amz-Security-Token'] : []), 'X-Amz-Signature'],
      `${where}: iamcore parameter order`,
    );
    assert.deepEqual(b.map(([k]) => k), sorted(b).map(([k]) => k), `${where}: rds-signer sorts its keys`);
    // The same parameters, values decoded (the user name, the session token...).
    assert.deepEqual(sorted(without(a, 'X-Amz-Signature')), sorted(without(b, 'X-Amz-Signature')), `${where}: parameters`);
    assert.equal(a.find(([k]) => k === 'DBUser')[1], input.username, `${where}: DBUser round-trips`);
    figures.sameParametersExceptSignature++;

    const lower = input.hostname === input.hostname.toLowerCase();
    if (!lower) figures.upperCaseHost++;
    if (input.port === 443) figures.port443++;
    if (lower && input.port !== 443) {
      figures.lowerCaseHostNot443++;
      assert.equal(signatureOf(a), signatureOf(b), `${where}: identical signatures`);
      figures.identicalSignature++;
    } else if (input.port !== 443) {
      // iamcore signs the host lower-cased: rds-signer given the lower-cased host
      // signs the same request.
      const theirsLowered = await sdkToken({ ...input, hostname: input.hostname.toLowerCase() });
      assert.equal(signatureOf(a), signatureOf(queryPairs(theirsLowered)), `${where}: same signature as rds-signer on the lower-cased host`);
      figures.upperCaseHostMatchesLowered++;
    }
  }
  t.diagnostic(`differential figures: ${JSON.stringify(figures)}`);
  assert.equal(figures.identicalSignature, figures.lowerCaseHostNot443);
  assert.ok(figures.lowerCaseHostNot443 > COUNT / 2, 'most inputs are in the identical-signature class');
  assert.ok(figures.upperCaseHost > 0 && figures.port443 > 0 && figures.sessionToken > 0 && figures.emptySessionToken > 0);
});

test('the frozen clock works for rds-signer (its token carries the frozen date)', { skip: sdkMissing }, async () => {
  const token = await sdkToken({
    hostname: 'prod-instance.us-east-1.rds.amazonaws.com',
    port: 3306,
    username: 'someusername',
    region: 'us-east-1',
    credentials: { accessKeyId: 'akid', secretAccessKey: 'skid' },
    time: Date.UTC(2016, 10, 7, 17, 39, 33),
  });
  // botocore's published vector: rds-signer gives the same signature.
  assert.ok(token.includes('X-Amz-Date=20161107T173933Z'));
  assert.ok(token.includes('X-Amz-Signature=d1138cdb') && /4c61(&|$)/.test(token));
});
