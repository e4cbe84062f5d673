'use strict';
// iamcore for Node, AWS part: SigV4 request signing and presigning, the RDS /
// Aurora DSQL / ElastiCache IAM auth tokens, and AWS credentials (explicit, a
// provider function, or the C core's default chain).
//
// The C core does the work: the credential chain and its cache (refreshed before
// expiry, single-flight), the RDS token cache (iam_rds_auth), SigV4, region
// resolution and every value check. This file only shapes options, calls the
// addon, and keeps the same fast path as the IBM authenticators for
// RdsSigner.getAuthToken(): a valid cached token is returned without a thread
// hop or a native call until the core says a refresh is due.
//
// Credentials: an explicit object is read into C for one signature (one-shot
// functions) or handed to a native CredentialProvider (signers), so no object of
// this file keeps a secret in a JS field. resolveCredentials() has to hand the
// secret back: it is in private fields behind getters, invisible to
// util.inspect, JSON.stringify and Object.keys.
//
// Async APIs never throw: every failure, a bad option included, rejects their
// promise with an IamcoreError. Constructors throw IamcoreError IAMCORE_CONFIG.

const util = require('node:util');

module.exports = function createAws({ addon, IamcoreError, ErrorCodes }) {
  const configError = (message) => new IamcoreError(message, ErrorCodes.CONFIG);

  // ------------------------------------------------------------ option helpers

  function optionsObject(options, what) {
    if (options === undefined || options === null) return {};
    if (typeof options !== 'object') throw configError(`${what}: options must be an object`);
    return options;
  }

  // A Date (or milliseconds since the epoch, as Date.now()) -> epoch seconds.
  function epochSeconds(value, name) {
    if (value === undefined || value === null) return undefined;
    const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : NaN;
    if (!Number.isFinite(ms) || ms < 1000) {
      throw configError(`option '${name}' must be a valid Date (or milliseconds since the epoch) after 1970`);
    }
    return Math.floor(ms / 1000);
  }

  // AwsCredentialIdentity -> what the addon reads. Never puts a value in a message.
  function nativeCredentials(c) {
    if (c === null || typeof c !== 'object') {
      throw configError('credentials must be an object { accessKeyId, secretAccessKey, sessionToken?, expiration? } or an async function returning one');
    }
    const { accessKeyId, secretAccessKey, sessionToken } = c;
    if (typeof accessKeyId !== 'string' || accessKeyId === '' || typeof secretAccessKey !== 'string' || secretAccessKey === '') {
      throw configError('credentials need an accessKeyId and a secretAccessKey (non-empty strings)');
    }
    if (sessionToken !== undefined && sessionToken !== null && typeof sessionToken !== 'string') {
      throw configError("credentials' sessionToken must be a string");
    }
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken: sessionToken || undefined,
      expiration: epochSeconds(c.expiration, 'credentials.expiration'),
    };
  }

  // Call a credentials provider function (the AWS SDK's AwsCredentialIdentityProvider
  // shape) and read its answer. Its failure becomes an IamcoreError IAMCORE_AUTH
  // with the original as `cause`.
  function callProvider(fn) {
    return new Promise((resolve) => resolve(fn())).then(
      (c) => nativeCredentials(c),
      (err) => {
        const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        const e = new IamcoreError(`the credentials provider failed: ${what.slice(0, 300)}`, ErrorCodes.AUTH);
        e.cause = err;
        throw e;
      },
    );
  }

  // Named profiles share one native provider (and so one credential cache) per
  // environment; undefined stands for the default chain, kept by the addon.
  const profileProviders = new Map();
  function checkProfile(profile) {
    if (profile === undefined || profile === null) return;
    if (typeof profile !== 'string' || profile === '') throw configError("option 'profile' must be a non-empty string");
  }
  function providerFor(profile) {
    checkProfile(profile);
    if (profile === undefined || profile === null) return undefined;
    let p = profileProviders.get(profile);
    if (p === undefined) {
      p = new addon.CredentialProvider({ profile });
      profileProviders.set(profile, p);
    }
    return p;
  }

  function checkCredentialsOption(credentials) {
    if (credentials === undefined || credentials === null) return;
    if (typeof credentials !== 'function' && typeof credentials !== 'object') {
      throw configError('credentials must be an object { accessKeyId, secretAccessKey, sessionToken?, expiration? } or an async function returning one');
    }
  }

  // Run the addon's signing operation with the credentials the options ask for.
  function sign(kind, nativeOptions, options) {
    const { credentials } = options;
    checkCredentialsOption(credentials);
    checkProfile(options.profile);
    if (credentials === undefined || credentials === null) {
      return addon.awsSign(kind, nativeOptions, undefined, providerFor(options.profile));
    }
    if (typeof credentials === 'function') {
      return callProvider(credentials).then((c) => addon.awsSign(kind, nativeOptions, c));
    }
    return addon.awsSign(kind, nativeOptions, nativeCredentials(credentials));
  }

  // An async API: its body's exceptions become rejections.
  function promising(fn) {
    return function (options) {
      try {
        return fn(options);
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }

  // Headers as a flat [name, value, ...] list: from a plain object (array values
  // are repeated headers, undefined/null skipped), a Headers or Map, or a list of
  // [name, value] pairs (order kept).
  function headerList(headers) {
    if (headers === undefined || headers === null) return undefined;
    const out = [];
    const add = (name, value) => {
      if (typeof name !== 'string') throw configError("option 'headers' must have string names");
      if (value === undefined || value === null) return;
      if (Array.isArray(value)) {
        for (const v of value) add(name, v);
        return;
      }
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') value = String(value);
      if (typeof value !== 'string') throw configError(`option 'headers': the value of '${name}' must be a string`);
      out.push(name, value);
    };
    if (Array.isArray(headers)) {
      for (const pair of headers) {
        if (!Array.isArray(pair) || pair.length !== 2) throw configError("option 'headers': a list must hold [name, value] pairs");
        add(pair[0], pair[1]);
      }
    } else if (typeof headers === 'object' && typeof headers.forEach === 'function' && typeof headers.get === 'function') {
      headers.forEach((value, name) => add(name, value));
    } else if (typeof headers === 'object') {
      for (const name of Object.keys(headers)) add(name, headers[name]);
    } else {
      throw configError("option 'headers' must be an object, a Headers or a list of [name, value] pairs");
    }
    return out;
  }

  function bodyBytes(body) {
    if (body === undefined || body === null) return undefined;
    if (typeof body === 'string') return Buffer.from(body, 'utf8');
    if (body instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && body instanceof SharedArrayBuffer)) {
      return new Uint8Array(body);
    }
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    throw configError("option 'body' must be a string, Buffer, TypedArray, DataView or ArrayBuffer");
  }

  function requestOptions(o) {
    return {
      method: o.method === undefined ? 'GET' : o.method,
      url: o.url,
      headers: headerList(o.headers),
      body: bodyBytes(o.body),
      service: o.service,
      // Not given: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region.
      region: o.region === undefined || o.region === null ? regionFor(o, undefined) : o.region,
      timestamp: epochSeconds(o.timestamp, 'timestamp'),
      normalizePath: o.normalizePath,
      doubleEncodePath: o.doubleEncodePath,
      signBody: o.signBody,
      payloadHash: o.payloadHash,
      omitSessionToken: o.omitSessionToken,
    };
  }

  // The region of a database token: explicit, else AWS_REGION, AWS_DEFAULT_REGION,
  // the profile's, else the one the host name carries (iam_aws_region_resolve).
  function regionFor(o, hostname) {
    // A region given is used as it is (the signer checks its characters): one
    // native call less on every token.
    if (typeof o.region === 'string' && o.region !== '') return o.region;
    return addon.resolveRegion(o.region === null ? undefined : o.region, o.profile === null ? undefined : o.profile, hostname);
  }

  // ------------------------------------------------------------ one-shot functions

  /**
   * Sign an HTTP request with an Authorization header (SigV4). Resolves to the
   * headers to add: X-Amz-Date, Authorization, X-Amz-Security-Token when the
   * credentials have a session token, x-amz-content-sha256 with signBody.
   */
  const signRequest = promising((options) => {
    const o = optionsObject(options, 'signRequest');
    return sign('headers', requestOptions(o), o);
  });

  /** Presign a URL (SigV4 query signing). Resolves to the URL string. */
  const presignUrl = promising((options) => {
    const o = optionsObject(options, 'presignUrl');
    const nativeOptions = requestOptions(o);
    nativeOptions.expires = o.expires;
    return sign('presign', nativeOptions, o);
  });

  /**
   * One RDS IAM auth token, not cached (use RdsSigner for connections). Unlike
   * RdsSigner it takes a `timestamp`, so it can sign at a fixed time.
   */
  const generateDbAuthToken = promising((options) => {
    const o = optionsObject(options, 'generateDbAuthToken');
    const hostname = o.hostname;
    const c = o.credentials;
    const expiresIn = o.expiresIn;
    if (c !== null && typeof c === 'object' && (o.profile === undefined || o.profile === null) &&
        (expiresIn === undefined || (Number.isInteger(expiresIn) && expiresIn >= 1))) {
      // Explicit credentials: sign right here, from plain arguments (the native
      // side answers undefined for anything unusual, and the general path below
      // then reports it).
      const token = addon.rdsTokenNow(
        hostname,
        o.port,
        o.username,
        regionFor(o, typeof hostname === 'string' ? hostname : undefined),
        o.expiresIn,
        epochSeconds(o.timestamp, 'timestamp'),
        c.accessKeyId,
        c.secretAccessKey,
        c.sessionToken,
        c.expiration === undefined || c.expiration === null
          ? undefined
          : epochSeconds(c.expiration, 'credentials.expiration'),
      );
      if (token !== undefined) return Promise.resolve(token);
    }
    return sign(
      'rds',
      {
        hostname,
        port: o.port,
        username: o.username,
        region: regionFor(o, typeof hostname === 'string' ? hostname : undefined),
        expires: o.expiresIn,
        timestamp: epochSeconds(o.timestamp, 'timestamp'),
      },
      o,
    );
  });

  /** One Aurora DSQL auth token (DsqlSigner's one-shot form). */
  const generateDsqlAuthToken = promising((options) => {
    const o = optionsObject(options, 'generateDsqlAuthToken');
    const hostname = o.hostname;
    return sign(
      'dsql',
      {
        hostname,
        admin: o.admin === undefined ? false : o.admin,
        region: regionFor(o, typeof hostname === 'string' ? hostname : undefined),
        expires: o.expiresIn,
        timestamp: epochSeconds(o.timestamp, 'timestamp'),
      },
      o,
    );
  });

  /** An ElastiCache (Valkey / Redis OSS) IAM auth token: the AUTH password. */
  const generateElastiCacheAuthToken = promising((options) => {
    const o = optionsObject(options, 'generateElastiCacheAuthToken');
    return sign(
      'elasticache',
      {
        cacheName: o.cacheName,
        userId: o.userId,
        serverless: o.serverless === undefined ? false : o.serverless,
        region: regionFor(o, undefined),
        expires: o.expiresIn,
        timestamp: epochSeconds(o.timestamp, 'timestamp'),
      },
      o,
    );
  });

  /**
   * The region to sign for: `region` if given, else AWS_REGION,
   * AWS_DEFAULT_REGION, the profile's `region`, else the one an RDS or Aurora
   * DSQL `hostname` carries. Synchronous (it may read the config file); throws
   * IAMCORE_CONFIG when none is found or it is malformed.
   */
  function resolveRegion(options) {
    const o = optionsObject(options, 'resolveRegion');
    checkProfile(o.profile);
    return addon.resolveRegion(
      o.region === null ? undefined : o.region,
      o.profile === null ? undefined : o.profile,
      o.hostname === null ? undefined : o.hostname,
    );
  }

  // ------------------------------------------------------------ credentials

  /**
   * Resolved AWS credentials. accessKeyId, source and expiration are plain
   * properties; secretAccessKey and sessionToken are getters over private fields:
   * util.inspect, JSON.stringify, Object.keys and spreading never show them.
   * Pass the object itself (not a copy) as `credentials`.
   */
  class AwsCredentials {
    #secretAccessKey;
    #sessionToken;

    constructor(fields) {
      this.accessKeyId = fields.accessKeyId;
      this.#secretAccessKey = fields.secretAccessKey;
      this.#sessionToken = fields.sessionToken;
      /** 'explicit', 'env', 'profile', 'process', 'web-identity', 'container' or 'imds'. */
      this.source = fields.source;
      /** When they stop working (a Date); absent for long-term keys. */
      if (fields.expiration !== undefined) this.expiration = new Date(fields.expiration * 1000);
    }

    get secretAccessKey() {
      return this.#secretAccessKey;
    }

    get sessionToken() {
      return this.#sessionToken;
    }

    get [Symbol.toStringTag]() {
      return 'AwsCredentials';
    }

    toJSON() {
      const out = { accessKeyId: this.accessKeyId, source: this.source };
      if (this.expiration !== undefined) out.expiration = this.expiration.toISOString();
      return out;
    }

    [util.inspect.custom](depth, options, inspect) {
      const shown = { accessKeyId: this.accessKeyId, source: this.source };
      if (this.expiration !== undefined) shown.expiration = this.expiration;
      if (this.#sessionToken !== undefined) shown.sessionToken = '<hidden>';
      shown.secretAccessKey = '<hidden>';
      if (depth < 0) return '[AwsCredentials]';
      return `AwsCredentials ${inspect(shown, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
    }
  }

  /**
   * The credentials the default chain (or `profile`'s chain) gives now, from the
   * same cache the signers use. Rejects IAMCORE_CONFIG naming every source tried
   * when none has credentials.
   */
  const resolveCredentials = promising((options) => {
    const o = optionsObject(options, 'resolveCredentials');
    checkCredentialsOption(o.credentials);
    if (typeof o.credentials === 'function') {
      return callProvider(o.credentials).then((c) => new AwsCredentials({ ...c, source: 'explicit' }));
    }
    if (o.credentials !== undefined && o.credentials !== null) {
      return Promise.resolve(new AwsCredentials({ ...nativeCredentials(o.credentials), source: 'explicit' }));
    }
    return addon.resolveCredentials(providerFor(o.profile)).then((fields) => new AwsCredentials(fields));
  });

  /** Forget the cached credentials of the default chain (or of `profile`'s). */
  function invalidateCredentials(options) {
    const o = optionsObject(options, 'invalidateCredentials');
    const p = providerFor(o.profile);
    addon.invalidateCredentials(p);
  }

  // A signer's credentials: a native provider for explicit ones (the secret goes
  // straight into C), the shared per-profile / default provider, or a function.
  function signerCredentials(o) {
    const { credentials } = o;
    checkCredentialsOption(credentials);
    checkProfile(o.profile);
    if (typeof credentials === 'function') return { fn: credentials, provider: providerFor(o.profile) };
    if (credentials !== undefined && credentials !== null) {
      return { fn: null, provider: new addon.CredentialProvider({ credentials: nativeCredentials(credentials) }) };
    }
    return { fn: null, provider: providerFor(o.profile) };
  }

  function showOptions(target, name, value) {
    if (value !== undefined && value !== null) target[name] = value;
  }

  // ------------------------------------------------------------ RdsSigner

  /**
   * RDS / Aurora IAM database authentication tokens, cached: the options of
   * @aws-sdk/rds-signer's Signer plus signingHostname and expiration.
   *
   *   new RdsSigner({ hostname, port, username, region?, credentials?, profile?,
   *                   signingHostname?, expiration? })
   *
   * getAuthToken() returns the cached token (no thread hop, no native call while
   * it is fresh); a new one is signed `expiration` seconds (default 870) after
   * the last, in the background from 80 % of that, and never outlives the
   * credentials that signed it.
   */
  class RdsSigner {
    #native;
    #state = new Float64Array(2); // written by native peek()/current(): [freshUntil, generation]
    #token = null;
    #promise = null; // Promise.resolve(#token)
    #gen = 0;
    #freshUntil = 0;
    #pending = null;
    #credentialsFn = null; // credentials given as a function
    #nativeOptions;
    #public;

    constructor(options) {
      const o = optionsObject(options, 'RdsSigner');
      const nativeOptions = {
        hostname: o.hostname,
        port: o.port,
        username: o.username,
        region: o.region,
        signingHostname: o.signingHostname,
        expiration: o.expiration,
        profile: o.profile,
      };
      const { fn, provider } = signerCredentials(o);
      // Checks every option and resolves the region; no network I/O.
      this.#native = new addon.RdsAuth(nativeOptions, provider, this.#state);
      this.#credentialsFn = fn;
      this.#nativeOptions = { ...nativeOptions, region: this.#native.region() };
      if (fn !== null) this.#native = null; // signs only once the function has answered
      const shown = {};
      showOptions(shown, 'hostname', o.hostname);
      showOptions(shown, 'port', o.port);
      showOptions(shown, 'username', o.username);
      shown.region = this.#nativeOptions.region;
      showOptions(shown, 'signingHostname', o.signingHostname);
      showOptions(shown, 'expiration', o.expiration);
      showOptions(shown, 'profile', o.profile);
      this.#public = Object.freeze(shown);
    }

    get hostname() {
      return this.#public.hostname;
    }

    get port() {
      return this.#public.port;
    }

    get username() {
      return this.#public.username;
    }

    /** The region tokens are signed for (given or resolved). */
    get region() {
      return this.#public.region;
    }

    /** A valid token, the password to send. Rejects with an IamcoreError. */
    getAuthToken() {
      try {
        if (Date.now() < this.#freshUntil) return this.#promise;
        if (this.#fromCache()) return this.#promise;
        return this.#fetch();
      } catch (err) {
        return Promise.reject(err);
      }
    }

    /** Drop the cached token (e.g. after a failed login): the next call signs anew. */
    invalidate() {
      this.#freshUntil = 0;
      this.#gen = 0;
      this.#token = null;
      this.#promise = null;
      if (this.#native !== null) this.#native.invalidate();
    }

    #fromCache() {
      if (this.#native === null) return false;
      const gen = this.#native.peek();
      if (gen === 0) {
        this.#freshUntil = 0;
        return false;
      }
      if (gen !== this.#gen || this.#token === null) {
        const token = this.#native.current();
        if (token === null) {
          this.#freshUntil = 0;
          return false;
        }
        this.#set(token, this.#state[1]);
      }
      this.#freshUntil = this.#state[0];
      return true;
    }

    #set(token, generation) {
      this.#token = token;
      this.#gen = generation;
      this.#promise = Promise.resolve(token);
    }

    // One fetch at a time; every concurrent caller shares it.
    #fetch() {
      if (this.#pending !== null) return this.#pending;
      let native;
      if (this.#credentialsFn === null) {
        native = Promise.resolve(this.#native);
      } else {
        // Ask the function for credentials; sign with them until the token made
        // with them runs out, then ask again.
        native = callProvider(this.#credentialsFn).then((c) => {
          const provider = new addon.CredentialProvider({ credentials: c });
          this.#native = new addon.RdsAuth(this.#nativeOptions, provider, this.#state);
          this.#gen = 0;
          return this.#native;
        });
      }
      const pending = native
        .then((n) => n.fetch())
        .then(
          (result) => {
            this.#pending = null;
            this.#set(result.token, result.generation);
            this.#freshUntil = 0; // the next call asks the core how long it stays fresh
            return result.token;
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
      return 'RdsSigner';
    }

    toJSON() {
      return { type: 'RdsSigner', ...this.#public };
    }

    [util.inspect.custom](depth, options, inspect) {
      if (depth < 0) return '[RdsSigner]';
      return `RdsSigner ${inspect(this.#public, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
    }
  }

  // ------------------------------------------------------------ DsqlSigner

  /**
   * Aurora DSQL auth tokens, as @aws-sdk/dsql-signer's DsqlSigner:
   *
   *   new DsqlSigner({ hostname, region?, expiresIn?, credentials?, profile? })
   *   getDbConnectAuthToken()       Action=DbConnect       (a custom database role)
   *   getDbConnectAdminAuthToken()  Action=DbConnectAdmin  (the admin role)
   *
   * Each call signs a new token (no cache, as the SDK); the credentials come
   * from the cached provider.
   */
  class DsqlSigner {
    #credentialsFn;
    #provider;
    #public;

    constructor(options) {
      const o = optionsObject(options, 'DsqlSigner');
      if (typeof o.hostname !== 'string' || o.hostname === '') throw configError("option 'hostname' is required");
      if (o.expiresIn !== undefined && o.expiresIn !== null && !(Number.isInteger(o.expiresIn) && o.expiresIn > 0)) {
        throw configError("option 'expiresIn' must be a whole number of seconds");
      }
      const region = regionFor(o, o.hostname);
      const { fn, provider } = signerCredentials(o);
      this.#credentialsFn = fn;
      this.#provider = provider;
      const shown = { hostname: o.hostname, region };
      showOptions(shown, 'expiresIn', o.expiresIn);
      showOptions(shown, 'profile', o.profile);
      this.#public = Object.freeze(shown);
    }

    get hostname() {
      return this.#public.hostname;
    }

    get region() {
      return this.#public.region;
    }

    #sign(admin) {
      try {
        const nativeOptions = {
          hostname: this.#public.hostname,
          admin,
          region: this.#public.region,
          expires: this.#public.expiresIn,
        };
        if (this.#credentialsFn !== null) {
          return callProvider(this.#credentialsFn).then((c) => addon.awsSign('dsql', nativeOptions, c));
        }
        return addon.awsSign('dsql', nativeOptions, undefined, this.#provider);
      } catch (err) {
        return Promise.reject(err);
      }
    }

    /** A token for a custom database role (Action=DbConnect). */
    getDbConnectAuthToken() {
      return this.#sign(false);
    }

    /** A token for the admin role (Action=DbConnectAdmin). */
    getDbConnectAdminAuthToken() {
      return this.#sign(true);
    }

    get [Symbol.toStringTag]() {
      return 'DsqlSigner';
    }

    toJSON() {
      return { type: 'DsqlSigner', ...this.#public };
    }

    [util.inspect.custom](depth, options, inspect) {
      if (depth < 0) return '[DsqlSigner]';
      return `DsqlSigner ${inspect(this.#public, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
    }
  }

  return {
    RdsSigner,
    DsqlSigner,
    AwsCredentials,
    signRequest,
    presignUrl,
    generateDbAuthToken,
    generateDsqlAuthToken,
    generateElastiCacheAuthToken,
    resolveCredentials,
    invalidateCredentials,
    resolveRegion,
  };
};
