'use strict';
// iamcore for Node: IBM Cloud IAM access tokens and AWS SigV4 / RDS / DSQL /
// ElastiCache auth tokens from the iamcore C core (the AWS part is node/aws.js).
//
// The classes mirror IBM's node-sdk-core names (IamAuthenticator,
// ContainerAuthenticator, VpcInstanceAuthenticator, IamAssumeAuthenticator,
// BearerTokenAuthenticator, BasicAuthenticator, NoAuthAuthenticator,
// getAuthenticatorFromEnvironment, authenticate(requestOptions),
// authenticationType()).
// The C core owns the token logic: one request in flight per authenticator,
// refresh at 80 % of the lifetime on a background thread, a failed refresh keeps
// the still-valid token. This file only adds the cheap cached path and promises:
//
//   - while Date.now() < freshUntil (a time the core hands out), authenticate()
//     and getToken() touch neither the addon nor a thread: they set the cached
//     header / return an already-resolved promise;
//   - after that, native peek() (no I/O, no allocation) says whether the cached
//     generation is still the valid one, or current() returns the newer token;
//   - only without a valid token does fetch() run the blocking C call on a
//     thread of its own, and concurrent callers share that one pending promise.
//
// Secrets: the API key, refresh token and client secret are handed to the addon,
// which copies them into the core and zeroes its copies; this object never keeps
// them.
// Tokens live in private (#) fields, invisible to util.inspect and JSON.
//
// Events (tokens fetched, retries, failures, refreshes): setLogHook(fn) and
// NODE_DEBUG=iamcore, in node/log.js.

const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

// A source build (the development tree, or an install whose prebuilt did not load here:
// node/scripts/install.js) comes first; else the prebuilt the npm package ships.
function loadAddon() {
  const built = path.join(__dirname, '..', 'build', 'Release', 'iamcore.node');
  const prebuilt = path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`,
    'iamcore.node');
  const file = fs.existsSync(built) || !fs.existsSync(prebuilt) ? built : prebuilt;
  try {
    return require(file);
  } catch (err) {
    const e = new Error(
      `iamcore: cannot load the native addon ${file} (${err.message}). ` +
        'Build it with `npm install` or `npm run build`.',
    );
    e.code = 'IAMCORE_ADDON';
    e.cause = err;
    throw e;
  }
}

const addon = loadAddon();

/** Error codes of IamcoreError#code, one per C iam_status. */
const ErrorCodes = Object.freeze({
  CONFIG: 'IAMCORE_CONFIG',
  AUTH: 'IAMCORE_AUTH',
  TRANSPORT: 'IAMCORE_TRANSPORT',
  TIMEOUT: 'IAMCORE_TIMEOUT',
  TLS: 'IAMCORE_TLS',
  PARSE: 'IAMCORE_PARSE',
  TOKEN_FILE: 'IAMCORE_TOKEN_FILE',
  NOMEM: 'IAMCORE_NOMEM',
  INTERNAL: 'IAMCORE_INTERNAL',
});

/**
 * Every failure of iamcore, synchronous (construction) or asynchronous (a
 * rejected authenticate()/getToken()). The addon creates these objects and fills
 * the fields from the core's error record; fields without a value are undefined.
 */
class IamcoreError extends Error {
  constructor(message, code = ErrorCodes.INTERNAL) {
    super(message);
    this.code = code;
    this.status = undefined; // HTTP status of the last response
    this.errorCode = undefined; // IAM errorCode, e.g. 'BXNIM0415E'
    this.errorMessage = undefined; // IAM errorMessage
    this.errorDetails = undefined; // IAM errorDetails
    this.requestId = undefined; // IAM context.requestId
    this.transactionId = undefined; // X-Global-Transaction-ID
    this.attempts = 0; // HTTP attempts made, retries included
  }
}
Object.defineProperty(IamcoreError.prototype, 'name', {
  value: 'IamcoreError',
  writable: true,
  configurable: true,
  enumerable: false,
});

addon.setErrorClass(IamcoreError);

const USER_AGENT_EXTRA = `node/${process.version}`;

// Once per process, as Node's own NODE_TLS_REJECT_UNAUTHORIZED=0 warning.
let insecureTlsWarned = false;
function warnInsecureTls(name) {
  if (insecureTlsWarned) return;
  insecureTlsWarned = true;
  process.emitWarning(
    `${name}: TLS certificate verification is disabled (disableSslVerification): the token ` +
      'service is not authenticated, and anyone on the network path can read the credentials and tokens',
    { type: 'InsecureTLSWarning', code: 'IAMCORE_INSECURE_TLS' },
  );
}
const RESOLVED = Promise.resolve();

const COMMON_OPTIONS = [
  'url',
  'clientId',
  'clientSecret',
  'scope',
  'headers',
  'disableSslVerification',
  'caFile',
  'proxy',
  'timeout',
  'connectTimeout',
  'maxRetries',
  'sharedCache',
];
const HTTP_OPTIONS = ['headers', 'disableSslVerification', 'caFile', 'proxy', 'timeout', 'connectTimeout', 'maxRetries', 'sharedCache'];
const IAM_OPTIONS = ['apikey', 'refreshToken', ...COMMON_OPTIONS];
const CONTAINER_OPTIONS = [
  'iamProfileName',
  'iamProfileId',
  'iamProfileCrn',
  'crTokenFilename',
  ...COMMON_OPTIONS,
];
// The metadata service takes no client credentials and no scope.
const VPC_OPTIONS = ['iamProfileCrn', 'iamProfileId', 'url', 'vpcImsVersion', ...HTTP_OPTIONS];
const ASSUME_OPTIONS = ['apikey', 'iamProfileCrn', 'iamProfileId', 'iamProfileName', 'iamAccountId', ...COMMON_OPTIONS];
// Shown by util.inspect / toJSON. Never the API key, the client secret, header
// values or a proxy URL (it may carry user:password).
const PUBLIC_OPTIONS = new Set([
  'url',
  'clientId',
  'scope',
  'disableSslVerification',
  'caFile',
  'timeout',
  'connectTimeout',
  'maxRetries',
  'iamProfileName',
  'iamProfileId',
  'iamProfileCrn',
  'iamAccountId',
  'crTokenFilename',
  'vpcImsVersion',
  'sharedCache',
]);

// Marks the options of an authenticator built by getAuthenticatorFromEnvironment:
// a module-private key, so user options can never take that path.
const PREPARED = Symbol('prepared');

function configError(message) {
  return new IamcoreError(message, ErrorCodes.CONFIG);
}

// An option this class does not take is a mistake (a typo such as `maxRetry`,
// or `iamProfileName` for the VPC authenticator, which would silently use the
// instance's default profile): refuse it, as Python refuses an unknown keyword.
// Options set to undefined are ignored.
function rejectUnknownOptions(options, names, className) {
  for (const name of Object.keys(options)) {
    if (options[name] !== undefined && !names.includes(name)) {
      throw configError(`${className}: unknown option '${name}'`);
    }
  }
}

function setAuthorization(requestOptions, header) {
  if (requestOptions === null || typeof requestOptions !== 'object') {
    throw new TypeError('authenticate(requestOptions): requestOptions must be an object');
  }
  const headers = requestOptions.headers;
  if (headers === undefined || headers === null) {
    requestOptions.headers = { Authorization: header };
  } else {
    headers.Authorization = header;
  }
}

/** A token as the JS side caches it: the string, its header and a resolved promise. */
class CachedToken {
  constructor(token, generation) {
    this.token = token;
    this.generation = generation;
    this.header = `Bearer ${token}`;
    this.promise = Promise.resolve(token);
  }
}

function tokenOf(entry) {
  return entry.token;
}

/**
 * Common part of the IBM token authenticators. Not exported: use
 * IamAuthenticator or ContainerAuthenticator.
 */
class TokenAuthenticator {
  #native;
  #state = new Float64Array(2); // written by native peek()/current(): [freshUntil, generation]
  #entry = null; // CachedToken of generation #gen, or null
  #gen = 0;
  #freshUntil = 0; // ms since the epoch; before it the cached entry is served as is
  #pending = null; // the in-flight fetch, shared by every concurrent caller
  #public;

  constructor(type, options, names) {
    if (options === undefined || options === null) options = {};
    if (typeof options !== 'object') throw configError('options must be an object');
    const prepared = options[PREPARED];
    if (prepared !== undefined) {
      // From the environment: the addon built the core object already.
      this.#native = new addon.Authenticator(type, prepared.handle, this.#state);
      this.#public = Object.freeze({ ...prepared.options });
      if (this.#public.disableSslVerification === true) warnInsecureTls(this.constructor.name);
      return;
    }
    rejectUnknownOptions(options, names, new.target.name);
    const nativeOptions = { userAgentExtra: USER_AGENT_EXTRA };
    const shown = {};
    for (const name of names) {
      const value = options[name];
      if (value === undefined) continue;
      nativeOptions[name] = value;
      if (PUBLIC_OPTIONS.has(name)) shown[name] = value;
      else if (name === 'headers' && value !== null && typeof value === 'object') {
        shown.headers = Object.keys(value); // names only: values may be credentials
      } else if (name === 'proxy') shown.proxy = '<set>';
    }
    // Type and value checks happen in the addon and the core; failures throw an
    // IamcoreError with code IAMCORE_CONFIG. The options object is dropped here.
    this.#native = new addon.Authenticator(type, nativeOptions, this.#state);
    this.#public = Object.freeze(shown);
    if (shown.disableSslVerification === true) warnInsecureTls(this.constructor.name);
  }

  /**
   * Set `requestOptions.headers.Authorization = 'Bearer <token>'` (creating
   * `headers` when missing). Resolves once set; rejects with an IamcoreError
   * when no token can be had. With a cached token it sets the header before
   * returning.
   */
  authenticate(requestOptions) {
    try {
      if (Date.now() < this.#freshUntil) {
        setAuthorization(requestOptions, this.#entry.header);
        return RESOLVED;
      }
      if (this.#fromCache()) {
        setAuthorization(requestOptions, this.#entry.header);
        return RESOLVED;
      }
      return this.#fetch().then((entry) => {
        setAuthorization(requestOptions, entry.header);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A valid access token. Rejects with an IamcoreError when none can be had. */
  getToken() {
    try {
      if (Date.now() < this.#freshUntil) return this.#entry.promise;
      if (this.#fromCache()) return this.#entry.promise;
      return this.#fetch().then(tokenOf);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Drop the cached token: the next call fetches a new one. */
  invalidate() {
    this.#freshUntil = 0;
    this.#gen = 0;
    this.#entry = null;
    this.#native.invalidate();
  }

  // Is the core's cached token valid? Then make #entry hold it and return true.
  // Never blocks; may start the core's background refresh.
  #fromCache() {
    const gen = this.#native.peek();
    if (gen === 0) {
      this.#freshUntil = 0;
      return false;
    }
    if (gen !== this.#gen || this.#entry === null) {
      const token = this.#native.current();
      if (token === null) {
        this.#freshUntil = 0;
        return false;
      }
      this.#setEntry(new CachedToken(token, this.#state[1]));
    }
    this.#freshUntil = this.#state[0];
    return true;
  }

  #setEntry(entry) {
    this.#entry = entry;
    this.#gen = entry.generation;
  }

  // One fetch at a time per authenticator; every concurrent caller gets the same
  // promise, settled with the token or the error.
  #fetch() {
    if (this.#pending !== null) return this.#pending;
    const pending = this.#native.fetch().then(
      (result) => {
        this.#pending = null;
        const entry = new CachedToken(result.token, result.generation);
        this.#setEntry(entry);
        this.#freshUntil = 0; // the next call asks the core how long it stays fresh
        return entry;
      },
      (err) => {
        this.#pending = null;
        throw err;
      },
    );
    this.#pending = pending;
    return pending;
  }

  get [Symbol.toStringTag]() {
    return this.constructor.name;
  }

  toJSON() {
    return { type: this.constructor.name, authenticationType: this.authenticationType(), ...this.#public };
  }

  [util.inspect.custom](depth, options, inspect) {
    if (depth < 0) return `[${this.constructor.name}]`;
    return `${this.constructor.name} ${inspect(this.#public, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
  }
}

/**
 * API-key grant (`urn:ibm:params:oauth:grant-type:apikey`), or the refresh-token
 * grant with `refreshToken` instead of `apikey` (exactly one of the two; a
 * refresh token needs the `clientId` and `clientSecret` it was issued to, and
 * the newest refresh token IAM returns is kept for the next refresh).
 *
 *   new IamAuthenticator({ apikey, url, clientId, clientSecret, scope, headers,
 *                          disableSslVerification, caFile, proxy, timeout })
 *   new IamAuthenticator({ refreshToken, clientId, clientSecret, ... })
 *
 * `timeout` is the total time of one token fetch in milliseconds, retries
 * included (default 30000). Throws an IamcoreError with code IAMCORE_CONFIG
 * when the configuration is invalid.
 */
class IamAuthenticator extends TokenAuthenticator {
  constructor(options) {
    super('iam', options, IAM_OPTIONS);
  }

  authenticationType() {
    return 'iam';
  }
}

/**
 * Trusted profile with a compute-resource token file
 * (`urn:ibm:params:oauth:grant-type:cr-token`).
 *
 *   new ContainerAuthenticator({ iamProfileName, iamProfileId, iamProfileCrn,
 *                                crTokenFilename, url, clientId, clientSecret,
 *                                scope, headers, disableSslVerification, caFile,
 *                                proxy, timeout })
 *
 * The token file is read at every token fetch; a missing or empty file rejects
 * with code IAMCORE_TOKEN_FILE.
 */
class ContainerAuthenticator extends TokenAuthenticator {
  constructor(options) {
    super('container', options, CONTAINER_OPTIONS);
  }

  authenticationType() {
    return 'container';
  }
}

/**
 * A VPC virtual server instance's trusted profile, through the instance metadata
 * service: an instance identity token, exchanged for an IAM access token.
 *
 *   new VpcInstanceAuthenticator({ iamProfileCrn, iamProfileId, url,
 *                                  vpcImsVersion, headers, timeout, ... })
 *
 * At most one of iamProfileCrn / iamProfileId (neither: the instance's default
 * profile). `url` defaults to http://169.254.169.254; `vpcImsVersion` (the
 * metadata API version, YYYY-MM-DD, default 2022-03-01) switches to the
 * /identity/v1/ paths from 2025-08-26 on. `timeout` applies to each of the two
 * requests.
 */
class VpcInstanceAuthenticator extends TokenAuthenticator {
  constructor(options) {
    super('vpc', options, VPC_OPTIONS);
  }

  authenticationType() {
    return 'vpc';
  }
}

/**
 * An API-key token (cached and refreshed like any IAM token), exchanged with the
 * assume grant for a token of a trusted profile.
 *
 *   new IamAssumeAuthenticator({ apikey, iamProfileCrn | iamProfileId |
 *                                iamProfileName + iamAccountId, url, clientId,
 *                                clientSecret, scope, headers, timeout, ... })
 *
 * clientId, clientSecret and scope apply to the API-key request only.
 * invalidate() drops the assumed token; the API-key token stays cached.
 */
class IamAssumeAuthenticator extends TokenAuthenticator {
  constructor(options) {
    super('iamAssume', options, ASSUME_OPTIONS);
  }

  authenticationType() {
    return 'iamAssume';
  }
}

// The simple authenticators, the AWS signers and the Db2 helper are compiled on
// first use (an export read, or getAuthenticatorFromEnvironment): a program that
// needs one IAM authenticator does not pay for them at start-up.
let simpleAuth = null;
function simple() {
  if (simpleAuth === null) {
    simpleAuth = require('./simple-auth.js')({ configError, rejectUnknownOptions, setAuthorization, RESOLVED });
  }
  return simpleAuth;
}

const TOKEN_CLASSES = {
  iam: IamAuthenticator,
  container: ContainerAuthenticator,
  vpc: VpcInstanceAuthenticator,
  iamAssume: IamAssumeAuthenticator,
};

/**
 * The authenticator configured for `serviceName` outside the program, as
 * node-sdk-core's function of the same name: properties `<SERVICE>_<PROPERTY>`
 * from the credentials file ($IBM_CREDENTIALS_FILE, ./ibm-credentials.env,
 * ~/ibm-credentials.env), else the environment variables, else VCAP_SERVICES
 * (the first that has any). A missing $IBM_CREDENTIALS_FILE falls through to
 * the environment. Synchronous; throws an IamcoreError IAMCORE_CONFIG naming
 * the property (never its value) when the configuration is missing or invalid.
 *
 * Reads the process environment as C sees it: in a worker thread, changes made
 * to that worker's process.env are not visible.
 */
function getAuthenticatorFromEnvironment(serviceName) {
  if (typeof serviceName !== 'string') throw configError("option 'serviceName' must be a string");
  const found = addon.loadEnvironment(serviceName, USER_AGENT_EXTRA);
  switch (found.type) {
    case 'bearerToken':
      return new (simple().BearerTokenAuthenticator)({ bearerToken: found.bearerToken });
    case 'basic':
      return new (simple().BasicAuthenticator)({ username: found.username, password: found.password });
    case 'noAuth':
      return new (simple().NoAuthAuthenticator)();
    default:
      return new TOKEN_CLASSES[found.type]({ [PREPARED]: found });
  }
}

let awsApi = null;
function aws() {
  if (awsApi === null) awsApi = Object.freeze(require('./aws.js')({ addon, IamcoreError, ErrorCodes }));
  return awsApi;
}

let db2Api = null;
function db2() {
  if (db2Api === null) db2Api = Object.freeze(require('./db2.js')({ IamcoreError, ErrorCodes }));
  return db2Api;
}

// log.js is loaded by the first setLogHook(), or now when NODE_DEBUG is set (it may
// name iamcore, whose events must then be printed from the start); a process that
// does neither reads no event and does not compile it.
let logApi = null;
function log() {
  if (logApi === null) logApi = require('./log.js')({ addon, IamcoreError, ErrorCodes });
  return logApi;
}
if (process.env.NODE_DEBUG) log();

/** See node/log.js. */
function setLogHook(fn) {
  return log().setLogHook(fn);
}

/** An export computed on first read, then the same object on every read. */
const lazy = (get) => ({ get, enumerable: true, configurable: true });

module.exports = {
  IamAuthenticator,
  ContainerAuthenticator,
  VpcInstanceAuthenticator,
  IamAssumeAuthenticator,
};
Object.defineProperties(module.exports, {
  BearerTokenAuthenticator: lazy(() => simple().BearerTokenAuthenticator),
  BasicAuthenticator: lazy(() => simple().BasicAuthenticator),
  NoAuthAuthenticator: lazy(() => simple().NoAuthAuthenticator),
});
module.exports.getAuthenticatorFromEnvironment = getAuthenticatorFromEnvironment;
Object.defineProperties(module.exports, {
  RdsSigner: lazy(() => aws().RdsSigner),
  DsqlSigner: lazy(() => aws().DsqlSigner),
  aws: lazy(aws),
  db2: lazy(db2),
});
Object.assign(module.exports, {
  setLogHook,
  IamcoreError,
  ErrorCodes,
  IAMCORE_CONFIG: ErrorCodes.CONFIG,
  IAMCORE_AUTH: ErrorCodes.AUTH,
  IAMCORE_TRANSPORT: ErrorCodes.TRANSPORT,
  IAMCORE_TIMEOUT: ErrorCodes.TIMEOUT,
  IAMCORE_TLS: ErrorCodes.TLS,
  IAMCORE_PARSE: ErrorCodes.PARSE,
  IAMCORE_TOKEN_FILE: ErrorCodes.TOKEN_FILE,
  IAMCORE_NOMEM: ErrorCodes.NOMEM,
  IAMCORE_INTERNAL: ErrorCodes.INTERNAL,
  version: addon.version,
});
