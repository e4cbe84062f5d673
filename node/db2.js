'use strict';
// Db2 on Cloud connection strings that log in with IBM Cloud IAM (the
// GSSPLUGIN security plugin of the Db2 client), for ibm_db and other drivers
// that take a CLI connection string:
//
//   DATABASE=<db>;HOSTNAME=<host>;PORT=<port>;PROTOCOL=TCPIP;Security=SSL;
//   Authentication=GSSPLUGIN;ACCESSTOKEN=<IAM access token>      (or APIKEY=<key>)
//
// With an authenticator the string carries an access token (a trusted profile
// reaches Db2 without any API key); with `apikey` the Db2 client exchanges the
// key itself. Python's iamcore.db2.connection_string builds the same text.
//
// Values are checked, never quoted: a ';' would start another keyword (a
// value could change Authentication), '{' '}' quote in CLI strings, control
// characters have no place there, and no value but a file path has white
// space. Messages name the option, never its value. Python's rules are the same.

module.exports = function makeDb2({ IamcoreError, ErrorCodes }) {
  const WHAT = 'db2.connectionString';
  const OPTIONS = new Set(['database', 'hostname', 'port', 'authenticator', 'apikey', 'sslServerCertificate']);
  const UNSAFE = /[\s;{}\x00-\x1f\x7f]/;
  // A file path may hold spaces, but not at its ends (the CLI parser trims them).
  const UNSAFE_PATH = /[;{}\x00-\x1f\x7f]|^\s|\s$/;
  const HOSTNAME = /^[A-Za-z0-9._:[\]-]{1,255}$/;
  const BEARER = /^Bearer (\S+)$/;

  function configError(message) {
    return new IamcoreError(`${WHAT}: ${message}`, ErrorCodes.CONFIG);
  }

  function value(name, v, unsafe = UNSAFE) {
    if (typeof v !== 'string' || v === '') throw configError(`'${name}' must be a non-empty string`);
    if (unsafe.test(v)) {
      throw configError(
        unsafe === UNSAFE
          ? `'${name}' must not contain ';', '{', '}', white space or control characters`
          : `'${name}' must not contain ';', '{', '}', control characters or surrounding white space`,
      );
    }
    return v;
  }

  // A number, or a string of digits (as read from the environment).
  function port(v) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,5}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw configError("'port' must be an integer from 1 to 65535");
    return n;
  }

  function check(options) {
    if (options === null || typeof options !== 'object') {
      throw configError('options must be an object { database, hostname, port, authenticator | apikey }');
    }
    for (const name of Object.keys(options)) {
      if (!OPTIONS.has(name)) throw configError(`unknown option '${name}'`);
    }
    const hasAuth = options.authenticator !== undefined && options.authenticator !== null;
    const hasKey = options.apikey !== undefined && options.apikey !== null;
    if (hasAuth === hasKey) throw configError("give exactly one of 'authenticator' and 'apikey'");
    const auth = options.authenticator;
    if (hasAuth && (typeof auth !== 'object' || (typeof auth.getToken !== 'function' && typeof auth.authenticate !== 'function'))) {
      throw configError("'authenticator' must have getToken() (iamcore) or authenticate(requestOptions) (ibm-cloud-sdk-core)");
    }
    const hostname = value('hostname', options.hostname);
    if (!HOSTNAME.test(hostname)) throw configError("'hostname' must be a host name or an IP address");
    const cert = options.sslServerCertificate;
    return {
      prefix:
        `DATABASE=${value('database', options.database)};HOSTNAME=${hostname};` +
        `PORT=${port(options.port)};PROTOCOL=TCPIP;Security=SSL;Authentication=GSSPLUGIN;` +
        (cert === undefined || cert === null ? '' : `SSLServerCertificate=${value('sslServerCertificate', cert, UNSAFE_PATH)};`),
      authenticator: hasAuth ? auth : null,
      apikey: hasKey ? value('apikey', options.apikey) : null,
    };
  }

  // iamcore authenticators have getToken(); ibm-cloud-sdk-core's only
  // authenticate(), whose Bearer header holds the token.
  async function accessToken(authenticator) {
    let token;
    if (typeof authenticator.getToken === 'function') {
      token = await authenticator.getToken();
    } else {
      const request = { headers: {} };
      await authenticator.authenticate(request);
      const header = request.headers && (request.headers.Authorization ?? request.headers.authorization);
      const m = typeof header === 'string' ? BEARER.exec(header) : null;
      if (m === null) throw configError("the authenticator did not set an 'Authorization: Bearer' header");
      token = m[1];
    }
    if (typeof token !== 'string' || token === '' || UNSAFE.test(token)) {
      throw new IamcoreError(`${WHAT}: the access token cannot be put in a connection string`, ErrorCodes.PARSE);
    }
    return token;
  }

  /**
   * The connection string, as a promise. Rejects with an IamcoreError: code
   * IAMCORE_CONFIG for a bad option (the message names it), or the
   * authenticator's own error when it has no token.
   */
  async function connectionString(options) {
    const o = check(options);
    if (o.apikey !== null) return `${o.prefix}APIKEY=${o.apikey}`;
    return `${o.prefix}ACCESSTOKEN=${await accessToken(o.authenticator)}`;
  }

  return { connectionString };
};
