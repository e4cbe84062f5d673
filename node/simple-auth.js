'use strict';
// The authenticators that need no token service, in plain JS: a ready bearer
// token, HTTP Basic, and none. Same shape as the token authenticators
// (authenticate(requestOptions) returning a promise, authenticationType()) and
// node-sdk-core's classes of the same names. The bearer token and the password
// live only in private (#) fields, inside the ready header: util.inspect,
// JSON.stringify and Object.keys never show them. Errors name the option, never
// its value.

const util = require('node:util');

module.exports = function simpleAuth({ configError, rejectUnknownOptions, setAuthorization, RESOLVED }) {
  function optionsObject(options, names, className) {
    if (options === null || typeof options !== 'object') throw configError('options must be an object');
    rejectUnknownOptions(options, names, className);
    return options;
  }

  function text(value, name) {
    if (value === undefined || value === null || value === '') throw configError(`option '${name}' is required`);
    if (typeof value !== 'string') throw configError(`option '${name}' must be a string`);
    if (value.includes('\0')) throw configError(`option '${name}' must not contain NUL characters`);
    return value;
  }

  // As node-sdk-core: a value pasted with its JSON quotes or braces.
  function noBadEdges(value, name) {
    if ('{}"'.includes(value[0]) || '{}"'.includes(value[value.length - 1])) {
      throw configError(`option '${name}' must not start or end with a curly bracket or a quote`);
    }
  }

  function apply(requestOptions, header) {
    try {
      if (header !== null) setAuthorization(requestOptions, header);
      else if (requestOptions === null || typeof requestOptions !== 'object') {
        throw new TypeError('authenticate(requestOptions): requestOptions must be an object');
      }
      return RESOLVED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  function inspectWith(self, shown, depth, options, inspect) {
    if (depth < 0) return `[${self.constructor.name}]`;
    return `${self.constructor.name} ${inspect(shown, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
  }

  /**
   * Sends a token you already have: `Authorization: Bearer <bearerToken>`. It is
   * neither refreshed nor checked for expiry; replace it with setBearerToken().
   *
   *   new BearerTokenAuthenticator({ bearerToken })
   */
  class BearerTokenAuthenticator {
    #header;

    constructor(options) {
      this.setBearerToken(optionsObject(options, ['bearerToken'], new.target.name).bearerToken);
    }

    /** Send `bearerToken` from now on (same checks as the constructor). */
    setBearerToken(bearerToken) {
      const token = text(bearerToken, 'bearerToken');
      if (/[\r\n]/.test(token)) throw configError("option 'bearerToken' must not contain a line break");
      this.#header = `Bearer ${token}`;
    }

    /** Sets requestOptions.headers.Authorization; resolves once set. */
    authenticate(requestOptions) {
      return apply(requestOptions, this.#header);
    }

    authenticationType() {
      return 'bearerToken';
    }

    toJSON() {
      return { type: 'BearerTokenAuthenticator', authenticationType: 'bearerToken' };
    }

    [util.inspect.custom](depth, options, inspect) {
      return inspectWith(this, {}, depth, options, inspect);
    }
  }

  /**
   * HTTP Basic authorization: `Authorization: Basic base64(username:password)`.
   *
   *   new BasicAuthenticator({ username, password })
   *
   * Both required; neither may start or end with `{`, `}` or `"`; the username
   * must not contain `:`.
   */
  class BasicAuthenticator {
    #header;
    #username;

    constructor(options) {
      const { username, password } = optionsObject(options, ['username', 'password'], new.target.name);
      text(username, 'username');
      text(password, 'password');
      noBadEdges(username, 'username');
      noBadEdges(password, 'password');
      if (username.includes(':')) {
        throw configError("option 'username' must not contain a colon (':' separates it from the password)");
      }
      this.#username = username;
      this.#header = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    }

    get username() {
      return this.#username;
    }

    /** Sets requestOptions.headers.Authorization; resolves once set. */
    authenticate(requestOptions) {
      return apply(requestOptions, this.#header);
    }

    authenticationType() {
      return 'basic';
    }

    toJSON() {
      return { type: 'BasicAuthenticator', authenticationType: 'basic', username: this.#username };
    }

    [util.inspect.custom](depth, options, inspect) {
      return inspectWith(this, { username: this.#username }, depth, options, inspect);
    }
  }

  /** No authentication: authenticate() leaves the request as it is. */
  class NoAuthAuthenticator {
    authenticate(requestOptions) {
      return apply(requestOptions, null);
    }

    authenticationType() {
      return 'noAuth';
    }

    toJSON() {
      return { type: 'NoAuthAuthenticator', authenticationType: 'noAuth' };
    }
  }

  return { BearerTokenAuthenticator, BasicAuthenticator, NoAuthAuthenticator };
};
