'use strict';
// The `iamcore` command line of the npm package (bin: node/bin/iamcore.js).
//
//   iamcore token --auth-type iam --apikey-env IBMCLOUD_API_KEY
//   iamcore token --service my-service --json
//   iamcore rds-token --hostname HOST --port 5432 --username app_user
//   iamcore dsql-token --hostname HOST --admin
//   iamcore emulator --print-env
//
// The Python command line (python/iamcore/_cli.py) is the same program: same
// commands, options, messages, output and exit codes (tests/python/test_cli.py
// runs both and compares). Change one, change the other. Guide: docs/cli.md.
//
// Secrets come only from environment variables or files: no option takes one as
// its value, and no message repeats an argument's value (only option names).
// The addon is loaded only by the token commands, so --help, --version and
// `emulator` work without it.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const EXIT_OK = 0;
const EXIT_FAILURE = 1; // anything unexpected
const EXIT_USAGE = 2;
// IamcoreError#code -> [exit status, the label of the stderr line]
const ERROR_KINDS = {
  IAMCORE_CONFIG: [3, 'configuration error'],
  IAMCORE_AUTH: [4, 'authentication error'],
  IAMCORE_TRANSPORT: [5, 'transport error'],
  IAMCORE_TIMEOUT: [6, 'timeout'],
  IAMCORE_TLS: [7, 'TLS error'],
  IAMCORE_PARSE: [8, 'parse error'],
  IAMCORE_TOKEN_FILE: [9, 'token file error'],
};

const HELP = `\
usage: iamcore <command> [options]

IBM Cloud IAM access tokens and AWS database auth tokens on the command line.

commands:
  token        print an IBM Cloud IAM access token
  rds-token    print an Amazon RDS / Aurora IAM auth token (as aws rds generate-db-auth-token)
  dsql-token   print an Aurora DSQL auth token
  emulator     run the local IAM and AWS emulator for offline tests (needs Python 3)

options:
  -h, --help   show this help; 'iamcore <command> --help' shows a command's options
  --version    print the version

Secrets are read from environment variables or files, never from options.
Errors are one line on standard error.

exit status:
  0  success
  1  unexpected failure
  2  usage error: unknown option, missing or malformed value
  3  configuration error: missing variable or file, no AWS credentials or region
  4  authentication error: the token service refused the credentials
  5  transport error: no connection, connection broken, proxy failure
  6  timeout
  7  TLS error: certificate not trusted, handshake failed
  8  parse error: the token service's answer could not be understood
  9  token file error: the compute-resource token file is missing, empty or unreadable
`;

const TOKEN_HELP = `\
usage: iamcore token --service NAME [--json]
       iamcore token [--auth-type iam] (--apikey-env VAR | --apikey-file PATH) [options]
       iamcore token [--auth-type container] --profile-name NAME [--cr-token-file PATH] [options]

Print an IBM Cloud IAM access token on standard output.

from the environment configuration of a service (credentials file, environment
variables <SERVICE>_AUTH_TYPE, <SERVICE>_APIKEY, ..., VCAP_SERVICES):
  --service NAME             the service name, e.g. my-service (MY_SERVICE_...)

or from options:
  --auth-type TYPE           iam or container; by default iam with an API key
                             option, container with a profile option
  --apikey-env VAR           read the API key from environment variable VAR
  --apikey-file PATH         read the API key from a file: the key alone, or the
                             apikey.json the IBM Cloud console downloads
  --profile-name NAME        trusted profile name (container)
  --profile-id ID            trusted profile ID (container)
  --profile-crn CRN          trusted profile CRN (container)
  --cr-token-file PATH       compute-resource token file (container); default:
                             the paths Kubernetes and Code Engine mount
  --url URL                  IAM base URL [https://iam.cloud.ibm.com]
  --ca-file PATH             PEM bundle to trust instead of the system's CAs
  --timeout SECONDS          total time of the request, retries included [30]
  --connect-timeout SECONDS  time of one connection attempt [5]
  --max-retries N            retries on connection errors, 429 and 5xx, 0..100 [3]

output:
  --json                     print {"token","expires_at","type"} as one JSON line
  -h, --help                 show this help
`;

const RDS_HELP = `\
usage: iamcore rds-token --hostname HOST --port PORT --username USER [--region REGION]
                         [--profile NAME] [--json]

Print an Amazon RDS / Aurora IAM auth token, the database password, as
'aws rds generate-db-auth-token' does. AWS credentials come from the usual chain:
environment, web identity, shared config and credentials files (credential_process
included), container endpoint, EC2 instance metadata.

  --hostname HOST    the DB endpoint, without scheme or port
  --port PORT        the DB port, 1..65535
  --username USER    the database user
  --region REGION    default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region,
                     else the region in an RDS host name
  --profile NAME     the AWS profile for credentials and region (environment
                     credentials are then not used)
  --json             print {"token","expires_at","type"} as one JSON line
  -h, --help         show this help
`;

const DSQL_HELP = `\
usage: iamcore dsql-token --hostname HOST [--region REGION] [--admin] [--expires-in SECONDS]
                          [--profile NAME] [--json]

Print an Aurora DSQL auth token, the database password, as
'aws dsql generate-db-connect-auth-token' (or, with --admin,
generate-db-connect-admin-auth-token) does. AWS credentials as for rds-token.

  --hostname HOST        the cluster endpoint, e.g. <id>.dsql.us-east-1.on.aws
  --region REGION        default: AWS_REGION, AWS_DEFAULT_REGION, the profile's
                         region, else the region in the host name
  --admin                a token for the admin role (DbConnectAdmin)
  --expires-in SECONDS   token lifetime, 1..604800 [900]
  --profile NAME         the AWS profile for credentials and region
  --json                 print {"token","expires_at","type"} as one JSON line
  -h, --help             show this help
`;

// Per command: option name -> [key, check]. Order matters: conflicts name the first
// offending option in this order. Checks: text (non-empty), flag, and those of check().
const TOKEN_OPTIONS = {
  '--service': ['service', 'text'],
  '--auth-type': ['authType', 'authType'],
  '--apikey-env': ['apikeyEnv', 'text'],
  '--apikey-file': ['apikeyFile', 'text'],
  '--profile-name': ['profileName', 'text'],
  '--profile-id': ['profileId', 'text'],
  '--profile-crn': ['profileCrn', 'text'],
  '--cr-token-file': ['crTokenFile', 'text'],
  '--url': ['url', 'text'],
  '--ca-file': ['caFile', 'text'],
  '--timeout': ['timeout', 'seconds'],
  '--connect-timeout': ['connectTimeout', 'seconds'],
  '--max-retries': ['maxRetries', 'retries'],
  '--json': ['json', 'flag'],
};
const RDS_OPTIONS = {
  '--hostname': ['hostname', 'text'],
  '--port': ['port', 'port'],
  '--username': ['username', 'text'],
  '--region': ['region', 'text'],
  '--profile': ['profile', 'text'],
  '--json': ['json', 'flag'],
};
const DSQL_OPTIONS = {
  '--hostname': ['hostname', 'text'],
  '--region': ['region', 'text'],
  '--admin': ['admin', 'flag'],
  '--expires-in': ['expiresIn', 'expires'],
  '--profile': ['profile', 'text'],
  '--json': ['json', 'flag'],
};
const APIKEY_OPTIONS = ['--apikey-env', '--apikey-file'];
const CONTAINER_OPTIONS = ['--profile-name', '--profile-id', '--profile-crn', '--cr-token-file'];
const PROFILE_OPTIONS = CONTAINER_OPTIONS.slice(0, 3);
// Options that look like a secret's: refused with a pointer to the right ones.
const SECRET_OPTIONS = ['--apikey', '--api-key'];

const WHOLE = /^[0-9]{1,7}$/;
const SECONDS = /^[0-9]{1,5}(\.[0-9]{1,3})?$/;
const BLANKS = /^[ \t\r\n]+|[ \t\r\n]+$/g; // stripped around an API key read from a file
const OPTION_NAME = /^--?[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

class UsageError extends Error {}

function errorWithCode(message, code) {
  const { IamcoreError } = loadIamcore();
  return new IamcoreError(message, code);
}

function configError(message) {
  return errorWithCode(message, 'IAMCORE_CONFIG');
}

let iamcore = null;
function loadIamcore() {
  if (iamcore === null) iamcore = require('./index.js');
  return iamcore;
}

function whole(name, text, low, high) {
  if (WHOLE.test(text) && Number(text) >= low && Number(text) <= high) return Number(text);
  throw new UsageError(`${name} must be a whole number from ${low} to ${high}`);
}

/** The option's value, checked; never quoted in a message. */
function checkValue(name, check, text) {
  if (text === '') throw new UsageError(`option ${name} must not be empty`);
  switch (check) {
    case 'text':
      return text;
    case 'authType':
      if (text.toLowerCase() !== 'iam' && text.toLowerCase() !== 'container') {
        throw new UsageError(`${name} must be iam or container`);
      }
      return text.toLowerCase();
    case 'seconds':
      if (SECONDS.test(text) && Number(text) >= 0.001 && Number(text) <= 86400) return Number(text);
      throw new UsageError(`${name} must be a number of seconds from 0.001 to 86400`);
    case 'retries':
      return whole(name, text, 0, 100);
    case 'port':
      return whole(name, text, 1, 65535);
    case 'expires':
      return whole(name, text, 1, 604800);
    default:
      throw new Error(`unknown check ${check}`);
  }
}

/** An unknown option's name for a message: the part before '=', if it looks like one. */
function optionShown(arg) {
  const name = arg.split('=', 1)[0];
  return OPTION_NAME.test(name) ? ` ${name}` : '';
}

/** `--name value`, `--name=value` and flags -> {key: value}; throws UsageError. */
function parseOptions(args, spec) {
  const values = {};
  let i = 0;
  while (i < args.length) {
    const arg = args[i];
    i += 1;
    if (!arg.startsWith('-')) throw new UsageError('unexpected argument (options start with --)');
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    let value = eq < 0 ? undefined : arg.slice(eq + 1);
    if (!Object.prototype.hasOwnProperty.call(spec, name)) {
      if (SECRET_OPTIONS.includes(name)) {
        throw new UsageError(
          `option ${name} does not exist: secrets are never option values; ` +
            'use --apikey-env VAR or --apikey-file PATH',
        );
      }
      throw new UsageError(`unknown option${optionShown(arg)}`);
    }
    const [key, check] = spec[name];
    if (Object.prototype.hasOwnProperty.call(values, key)) {
      throw new UsageError(`option ${name} given twice`);
    }
    if (check === 'flag') {
      if (value !== undefined) throw new UsageError(`option ${name} takes no value`);
      values[key] = true;
      continue;
    }
    if (value === undefined) {
      if (i >= args.length || args[i].startsWith('--')) throw new UsageError(`option ${name} needs a value`);
      value = args[i];
      i += 1;
    }
    values[key] = checkValue(name, check, value);
  }
  return values;
}

function given(options, spec, names) {
  return names.filter((name) => Object.prototype.hasOwnProperty.call(options, spec[name][0]));
}

/** Check the token options' combination; return 'service', 'iam' or 'container'. */
function tokenKind(options) {
  const spec = TOKEN_OPTIONS;
  if (options.service !== undefined) {
    const others = given(options, spec, Object.keys(spec)).filter((n) => n !== '--service' && n !== '--json');
    if (others.length) {
      throw new UsageError(
        '--service takes everything from the environment configuration; ' +
          `it cannot be combined with ${others[0]}`,
      );
    }
    return 'service';
  }
  const apikey = given(options, spec, APIKEY_OPTIONS);
  const container = given(options, spec, CONTAINER_OPTIONS);
  if (apikey.length > 1) throw new UsageError('give only one of --apikey-env and --apikey-file');
  let kind = options.authType;
  if (kind === undefined) {
    if (apikey.length && container.length) {
      throw new UsageError(`${apikey[0]} (iam) and ${container[0]} (container) exclude each other`);
    }
    if (!apikey.length && !container.length) {
      throw new UsageError(
        'token needs --service NAME, an API key (--apikey-env VAR or ' +
          '--apikey-file PATH) or a trusted profile (--profile-name, ' +
          '--profile-id or --profile-crn)',
      );
    }
    kind = apikey.length ? 'iam' : 'container';
  }
  if (kind === 'iam') {
    if (container.length) throw new UsageError(`${container[0]} is for --auth-type container`);
    if (!apikey.length) throw new UsageError('--auth-type iam needs --apikey-env VAR or --apikey-file PATH');
  } else {
    if (apikey.length) throw new UsageError(`${apikey[0]} is for --auth-type iam`);
    if (!given(options, spec, PROFILE_OPTIONS).length) {
      throw new UsageError('--auth-type container needs --profile-name, --profile-id or --profile-crn');
    }
  }
  return kind;
}

function requireOptions(options, spec, names) {
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(options, spec[name][0])) {
      throw new UsageError(`missing option ${name}`);
    }
  }
}

// ----------------------------------------------------------------------- secrets

function apikeyFromEnv(name, env) {
  const value = env[name];
  if (value === undefined || value === '') {
    throw configError(`environment variable ${name} (--apikey-env) is not set or is empty`);
  }
  return value;
}

function stripBlanks(text) {
  return text.replace(BLANKS, '');
}

/** The key alone, or IBM's apikey.json ({"apikey": ...}); surrounding white space dropped. */
function apikeyFromFile(file) {
  let data;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      data = buffer.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw configError(`cannot read the API key file ${file} (${err.code || 'error'})`);
  }
  let text;
  try {
    text = stripBlanks(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw configError(`the API key file ${file} is not UTF-8 text`);
  } finally {
    data.fill(0);
  }
  if (text.startsWith('{')) {
    let value = null;
    try {
      value = JSON.parse(text);
    } catch {
      value = null;
    }
    const key = value !== null && typeof value === 'object' && !Array.isArray(value) ? value.apikey : undefined;
    if (typeof key !== 'string' || stripBlanks(key) === '') {
      throw configError(`the API key file ${file} is JSON without an "apikey" string`);
    }
    text = stripBlanks(key);
  }
  if (text === '') throw configError(`the API key file ${file} is empty`);
  return text;
}

// ----------------------------------------------------------------------- output

/** Epoch seconds -> 2026-01-01T12:00:00Z, or null when out of range. */
function rfc3339(epoch) {
  if (typeof epoch !== 'number' || !Number.isFinite(epoch)) return null;
  if (!(epoch >= 0 && epoch < 253402300800)) return null; // year 10000
  return new Date(Math.trunc(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `exp` claim of a JWT-shaped token, or null (opaque token, no claim). */
function jwtExpiry(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  return claims !== null && typeof claims === 'object' ? rfc3339(claims.exp) : null;
}

/** X-Amz-Date + X-Amz-Expires of a presigned token, or null. */
function presignedExpiry(token) {
  const q = token.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : token.slice(q + 1));
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') || '');
  const expires = query.get('X-Amz-Expires') || '';
  if (date === null || !WHOLE.test(expires)) return null;
  const [, y, mo, d, h, mi, s] = date.map(Number);
  const signed = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  return Number.isNaN(signed) ? null : rfc3339(signed + Number(expires));
}

function emit(out, token, expiresAt, type, asJson) {
  out.write(asJson ? `${JSON.stringify({ token, expires_at: expiresAt, type })}\n` : `${token}\n`);
}

// ----------------------------------------------------------------------- commands

function seconds(value) {
  return value === undefined ? undefined : Math.round(value * 1000);
}

async function cmdToken(options, env, out) {
  const lib = loadIamcore();
  const kind = tokenKind(options);
  let auth;
  if (kind === 'service') {
    const name = options.service;
    auth = lib.getAuthenticatorFromEnvironment(name);
    if (typeof auth.getToken !== 'function') {
      throw configError(
        `service ${name} is configured for the ${auth.authenticationType()} authenticator, which has no access token`,
      );
    }
  } else {
    const common = {
      url: options.url,
      caFile: options.caFile,
      timeout: seconds(options.timeout),
      connectTimeout: seconds(options.connectTimeout),
      maxRetries: options.maxRetries,
    };
    if (kind === 'iam') {
      const apikey =
        options.apikeyEnv !== undefined ? apikeyFromEnv(options.apikeyEnv, env) : apikeyFromFile(options.apikeyFile);
      auth = new lib.IamAuthenticator({ apikey, ...common });
    } else {
      auth = new lib.ContainerAuthenticator({
        iamProfileName: options.profileName,
        iamProfileId: options.profileId,
        iamProfileCrn: options.profileCrn,
        crTokenFilename: options.crTokenFile,
        ...common,
      });
    }
  }
  const token = await auth.getToken();
  emit(out, token, jwtExpiry(token), auth.authenticationType(), options.json === true);
}

function checkRdsToken(options) {
  requireOptions(options, RDS_OPTIONS, ['--hostname', '--port', '--username']);
}

async function cmdRdsToken(options, env, out) {
  const { aws } = loadIamcore();
  const token = await aws.generateDbAuthToken({
    hostname: options.hostname,
    port: options.port,
    username: options.username,
    region: options.region,
    profile: options.profile,
  });
  emit(out, token, presignedExpiry(token), 'rds', options.json === true);
}

function checkDsqlToken(options) {
  requireOptions(options, DSQL_OPTIONS, ['--hostname']);
}

async function cmdDsqlToken(options, env, out) {
  const { aws } = loadIamcore();
  const token = await aws.generateDsqlAuthToken({
    hostname: options.hostname,
    region: options.region,
    admin: options.admin === true,
    expiresIn: options.expiresIn,
    profile: options.profile,
  });
  emit(out, token, presignedExpiry(token), 'dsql', options.json === true);
}

// `iamcore emulator`: the emulator shipped in this package (tests/emulator), run by
// Python 3 ($PYTHON, else python3 on PATH) with the Python command line's prog name.
const EMULATOR_DIR = path.join(__dirname, '..', 'tests', 'emulator');
const EMULATOR_BOOT =
  'import sys\n' +
  'if sys.version_info < (3, 8): sys.exit("iamcore emulator: needs Python 3.8 or newer")\n' +
  'sys.path.insert(0, sys.argv.pop(1))\n' +
  'import iam_emulator\n' +
  'sys.exit(iam_emulator.main(prog="iamcore emulator"))\n';
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 };

function cmdEmulator(args, env, err) {
  const python = env.PYTHON || 'python3';
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', EMULATOR_BOOT, EMULATOR_DIR, ...args], { stdio: 'inherit', env });
    // The emulator stops on SIGINT / SIGTERM: pass them on and wait for it.
    const forward = (signal) => child.kill(signal);
    const signals = Object.keys(SIGNAL_EXIT);
    for (const signal of signals) process.on(signal, forward);
    const done = (code) => {
      for (const signal of signals) process.removeListener(signal, forward);
      resolve(code);
    };
    child.once('error', (e) => {
      err.write(
        `iamcore: configuration error: the emulator needs Python 3 (${python}: ${e.code || 'error'}); ` +
          'set PYTHON to its path\n',
      );
      done(3);
    });
    child.once('exit', (code, signal) => done(code !== null ? code : SIGNAL_EXIT[signal] || EXIT_FAILURE));
  });
}

// command -> [options, help, check of the options' combination, run]
const COMMANDS = {
  token: [TOKEN_OPTIONS, TOKEN_HELP, tokenKind, cmdToken],
  'rds-token': [RDS_OPTIONS, RDS_HELP, checkRdsToken, cmdRdsToken],
  'dsql-token': [DSQL_OPTIONS, DSQL_HELP, checkDsqlToken, cmdDsqlToken],
};

function oneLine(text) {
  return String(text).split(/\s+/).filter(Boolean).join(' ');
}

function packageVersion() {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
}

/** Run the command line; resolves to the exit status. */
async function main(argv = process.argv.slice(2), io = {}) {
  const env = io.env || process.env;
  const out = io.stdout || process.stdout;
  const err = io.stderr || process.stderr;
  const command = argv.length ? argv[0] : undefined;
  const known = Object.prototype.hasOwnProperty.call(COMMANDS, command);
  try {
    if (command === '-h' || command === '--help') {
      out.write(HELP);
      return EXIT_OK;
    }
    if (command === '--version') {
      out.write(`iamcore ${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (command === 'emulator') return await cmdEmulator(argv.slice(1), env, err);
    if (command === undefined) throw new UsageError('no command given (token, rds-token, dsql-token or emulator)');
    if (!known) {
      if (command.startsWith('-')) throw new UsageError(`unknown option${optionShown(command)}`);
      throw new UsageError('unknown command (token, rds-token, dsql-token or emulator)');
    }
    const [spec, text, check, run] = COMMANDS[command];
    const args = argv.slice(1);
    if (args.includes('-h') || args.includes('--help')) {
      out.write(text);
      return EXIT_OK;
    }
    const options = parseOptions(args, spec);
    check(options);
    await run(options, env, out);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof UsageError) {
      const where = known ? `iamcore ${command} --help` : 'iamcore --help';
      err.write(`iamcore: usage error: ${oneLine(e.message)}; see '${where}'\n`);
      return EXIT_USAGE;
    }
    if (e !== null && typeof e === 'object' && typeof e.code === 'string' && e.code.startsWith('IAMCORE_')) {
      const [status, label] = ERROR_KINDS[e.code] || [EXIT_FAILURE, 'error'];
      err.write(`iamcore: ${label}: ${oneLine(e.message)}\n`);
      return status;
    }
    throw e;
  }
}

module.exports = { main, HELP, EXIT_OK, EXIT_USAGE };
