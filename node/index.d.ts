// Type definitions for iamcore (Node binding): IBM Cloud IAM authenticators and
// the AWS part (SigV4, RDS / Aurora DSQL / ElastiCache IAM auth tokens, AWS
// credentials).

/** The `code` of an IamcoreError: one per C iam_status. */
export type IamcoreErrorCode =
  | 'IAMCORE_CONFIG'
  | 'IAMCORE_AUTH'
  | 'IAMCORE_TRANSPORT'
  | 'IAMCORE_TIMEOUT'
  | 'IAMCORE_TLS'
  | 'IAMCORE_PARSE'
  | 'IAMCORE_TOKEN_FILE'
  | 'IAMCORE_NOMEM'
  | 'IAMCORE_INTERNAL';

export declare const ErrorCodes: Readonly<{
  CONFIG: 'IAMCORE_CONFIG';
  AUTH: 'IAMCORE_AUTH';
  TRANSPORT: 'IAMCORE_TRANSPORT';
  TIMEOUT: 'IAMCORE_TIMEOUT';
  TLS: 'IAMCORE_TLS';
  PARSE: 'IAMCORE_PARSE';
  TOKEN_FILE: 'IAMCORE_TOKEN_FILE';
  NOMEM: 'IAMCORE_NOMEM';
  INTERNAL: 'IAMCORE_INTERNAL';
}>;

export declare const IAMCORE_CONFIG: 'IAMCORE_CONFIG';
export declare const IAMCORE_AUTH: 'IAMCORE_AUTH';
export declare const IAMCORE_TRANSPORT: 'IAMCORE_TRANSPORT';
export declare const IAMCORE_TIMEOUT: 'IAMCORE_TIMEOUT';
export declare const IAMCORE_TLS: 'IAMCORE_TLS';
export declare const IAMCORE_PARSE: 'IAMCORE_PARSE';
export declare const IAMCORE_TOKEN_FILE: 'IAMCORE_TOKEN_FILE';
export declare const IAMCORE_NOMEM: 'IAMCORE_NOMEM';
export declare const IAMCORE_INTERNAL: 'IAMCORE_INTERNAL';

/** Version of the iamcore C core. */
export declare const version: string;

/**
 * Every iamcore failure: thrown at construction (code IAMCORE_CONFIG) or the
 * rejection of an async call (authenticate(), getToken(), getAuthToken(),
 * signRequest(), ...: async APIs never throw). Fields without a value are
 * undefined. Never contains an API key, a client secret, an AWS secret key, a
 * session token or a token. For AWS failures, `status`, `errorCode`,
 * `errorMessage` and `requestId` carry the STS (or other endpoint's) answer.
 */
export declare class IamcoreError extends Error {
  constructor(message: string, code?: IamcoreErrorCode);
  name: 'IamcoreError' | string;
  code: IamcoreErrorCode;
  /** HTTP status of the last response; undefined when none was received. */
  status: number | undefined;
  /** IAM `errorCode`, e.g. 'BXNIM0415E'. */
  errorCode: string | undefined;
  /** IAM `errorMessage` as sent. */
  errorMessage: string | undefined;
  /** IAM `errorDetails` (JSON text when not a string). */
  errorDetails: string | undefined;
  /** IAM `context.requestId`. */
  requestId: string | undefined;
  /** `X-Global-Transaction-ID` response header. */
  transactionId: string | undefined;
  /** HTTP attempts made, retries included. */
  attempts: number;
}

/** Options shared by every IBM token grant. */
export interface TokenAuthenticatorOptions {
  /** Token service base URL (default https://iam.cloud.ibm.com); a trailing /identity/token is accepted. */
  url?: string;
  /** With clientSecret: sent as HTTP Basic authorization. */
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  /** Extra headers for the token request. */
  headers?: Record<string, string>;
  /** Do not verify the server's certificate (unsafe). */
  disableSslVerification?: boolean;
  /** PEM bundle to trust instead of the system's CAs. */
  caFile?: string;
  /** Proxy URL; overrides HTTPS_PROXY / NO_PROXY. */
  proxy?: string;
  /** Total time of one token fetch in milliseconds, retries included (default 30000). */
  timeout?: number;
  /** Time for one connection attempt in milliseconds (default 5000). */
  connectTimeout?: number;
  /** Retries after the first attempt on connection errors, 429 and 5xx (default 3; 0: none). */
  maxRetries?: number;
  /**
   * A directory through which the processes of this user on this host share the
   * token (docs/shared-cache.md): one IAM request per refresh period for all of
   * them. Created 0700 if missing; a symbolic link, another user's directory or
   * one writable by group or others is an IAMCORE_CONFIG error. Not given: the
   * IAMCORE_SHARED_CACHE environment variable decides; "": off. Not with refreshToken.
   */
  sharedCache?: string;
}

/** Exactly one of `apikey` and `refreshToken`. */
export type IamAuthenticatorOptions = TokenAuthenticatorOptions &
  (
    | { apikey: string; refreshToken?: undefined }
    | {
        apikey?: undefined;
        /** An IAM refresh token; needs the clientId and clientSecret it was issued to.
         * The newest refresh token IAM returns is kept for the next refresh. */
        refreshToken: string;
        clientId: string;
        clientSecret: string;
      }
  );

export interface ContainerAuthenticatorOptions extends TokenAuthenticatorOptions {
  iamProfileName?: string;
  iamProfileId?: string;
  iamProfileCrn?: string;
  /** Compute-resource token file; default: the platform locations. */
  crTokenFilename?: string;
}

/** Options of the VPC instance authenticator (the metadata service takes no client credentials or scope). */
export interface VpcInstanceAuthenticatorOptions {
  /** At most one of iamProfileCrn / iamProfileId; neither: the instance's default trusted profile. */
  iamProfileCrn?: string;
  iamProfileId?: string;
  /** The instance metadata service (default http://169.254.169.254). */
  url?: string;
  /** Metadata API version YYYY-MM-DD, from 2022-03-01 (the default); from 2025-08-26 on the /identity/v1/ paths are used. */
  vpcImsVersion?: string;
  /** Extra headers for both requests (not Authorization). */
  headers?: Record<string, string>;
  disableSslVerification?: boolean;
  caFile?: string;
  proxy?: string;
  /** Milliseconds, for each of the two requests (default 30000). */
  timeout?: number;
  connectTimeout?: number;
  maxRetries?: number;
  /** As for TokenAuthenticatorOptions. */
  sharedCache?: string;
}

/** Exactly one of iamProfileCrn, iamProfileId, iamProfileName (+ iamAccountId). */
export interface IamAssumeAuthenticatorOptions extends TokenAuthenticatorOptions {
  apikey: string;
  iamProfileCrn?: string;
  iamProfileId?: string;
  iamProfileName?: string;
  /** The account of iamProfileName; required with it, refused without it. */
  iamAccountId?: string;
}

/** The request options authenticate() adds the Authorization header to. */
export interface AuthenticateOptions {
  headers?: Record<string, string | string[] | number | undefined>;
  [key: string]: unknown;
}

declare abstract class TokenAuthenticator {
  /** Sets requestOptions.headers.Authorization = 'Bearer <token>' (creates headers if missing). */
  authenticate(requestOptions: AuthenticateOptions): Promise<void>;
  /** A valid access token. */
  getToken(): Promise<string>;
  /** Drop the cached token: the next call fetches a new one. */
  invalidate(): void;
  authenticationType(): string;
  /** Class name and non-secret options only. */
  toJSON(): Record<string, unknown>;
}

export declare class IamAuthenticator extends TokenAuthenticator {
  constructor(options: IamAuthenticatorOptions);
  authenticationType(): 'iam';
}

export declare class ContainerAuthenticator extends TokenAuthenticator {
  constructor(options: ContainerAuthenticatorOptions);
  authenticationType(): 'container';
}

export declare class VpcInstanceAuthenticator extends TokenAuthenticator {
  constructor(options?: VpcInstanceAuthenticatorOptions);
  authenticationType(): 'vpc';
}

export declare class IamAssumeAuthenticator extends TokenAuthenticator {
  constructor(options: IamAssumeAuthenticatorOptions);
  authenticationType(): 'iamAssume';
}

/** Sends a ready token: `Authorization: Bearer <bearerToken>` (not refreshed). */
export declare class BearerTokenAuthenticator {
  constructor(options: { bearerToken: string });
  setBearerToken(bearerToken: string): void;
  authenticate(requestOptions: AuthenticateOptions): Promise<void>;
  authenticationType(): 'bearerToken';
  /** Never the token. */
  toJSON(): Record<string, unknown>;
}

/** `Authorization: Basic base64(username:password)`. */
export declare class BasicAuthenticator {
  constructor(options: { username: string; password: string });
  readonly username: string;
  authenticate(requestOptions: AuthenticateOptions): Promise<void>;
  authenticationType(): 'basic';
  /** The username, never the password. */
  toJSON(): Record<string, unknown>;
}

/** No authentication: authenticate() resolves without touching the request. */
export declare class NoAuthAuthenticator {
  constructor();
  authenticate(requestOptions: AuthenticateOptions): Promise<void>;
  authenticationType(): 'noAuth';
  toJSON(): Record<string, unknown>;
}

export type Authenticator =
  | IamAuthenticator
  | ContainerAuthenticator
  | VpcInstanceAuthenticator
  | IamAssumeAuthenticator
  | BearerTokenAuthenticator
  | BasicAuthenticator
  | NoAuthAuthenticator;

/**
 * The authenticator configured for `serviceName` in the credentials file, the
 * environment variables or VCAP_SERVICES (docs/environment.md). Throws an
 * IamcoreError IAMCORE_CONFIG naming the property when the configuration is
 * missing or invalid.
 */
export declare function getAuthenticatorFromEnvironment(serviceName: string): Authenticator;

// ---------------------------------------------------------------- AWS

/** AWS credentials: the AWS SDK v3 `AwsCredentialIdentity` shape. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials' session token; empty or absent: none. */
  readonly sessionToken?: string;
  /** When they stop working. Signing after it fails; presigned URLs and tokens never outlive it. */
  readonly expiration?: Date;
}

/** An async credentials provider: the AWS SDK v3 `AwsCredentialIdentityProvider` shape
 * (e.g. `fromSSO()`, `fromIni()` from @aws-sdk/credential-providers). Called when
 * credentials are needed; a rejection becomes an IamcoreError IAMCORE_AUTH with the
 * original as `cause`. */
export type AwsCredentialIdentityProvider = () => AwsCredentialIdentity | PromiseLike<AwsCredentialIdentity>;

/** Where resolved credentials came from. */
export type AwsCredentialSource = 'explicit' | 'env' | 'profile' | 'process' | 'web-identity' | 'container' | 'imds';

/**
 * How an AWS call gets its credentials. Neither option: the default chain
 * (environment, web identity, the shared config and credentials files with
 * credential_process, the container endpoint, EC2 instance metadata), resolved once
 * and cached per Node environment (each worker thread has its own), refreshed
 * before expiry.
 */
export interface AwsCredentialOptions {
  /** Explicit credentials, or an async function returning them. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A profile of the shared config/credentials files for the chain (skips the environment's keys). */
  profile?: string;
}

/**
 * Credentials resolved by `aws.resolveCredentials()`. `secretAccessKey` and
 * `sessionToken` are getters over private fields: util.inspect, JSON.stringify,
 * Object.keys and spreading never show them. Pass the object itself (not a copy)
 * as `credentials`.
 */
export declare class AwsCredentials implements AwsCredentialIdentity {
  private constructor();
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
  readonly source: AwsCredentialSource;
  /** Absent for long-term keys. */
  readonly expiration?: Date;
  /** accessKeyId, source and expiration only. */
  toJSON(): { accessKeyId: string; source: AwsCredentialSource; expiration?: string };
}

/** Something with the `forEach(value, name)` of a fetch `Headers` or a `Map`. */
export interface HeadersLike {
  forEach(callback: (value: string, name: string) => void): void;
  get(name: string): string | null | undefined;
}

/** Request headers: an object (an array value is a repeated header; undefined/null are
 * skipped), a `Headers` or `Map`, or a list of [name, value] pairs (order kept). A Host
 * header is taken from the URL unless given. */
export type AwsRequestHeaders =
  | Record<string, string | number | boolean | readonly string[] | undefined | null>
  | HeadersLike
  | ReadonlyArray<readonly [string, string]>;

export type AwsRequestBody = string | ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

interface SigV4Options extends AwsCredentialOptions {
  /** Default 'GET'. Used as given. */
  method?: string;
  /** An http(s) URL: its host (and non-default port) is the Host header, its path and query are signed. */
  url: string;
  headers?: AwsRequestHeaders;
  body?: AwsRequestBody;
  /** Signing name, e.g. 's3', 'execute-api', 'es'. */
  service: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region. */
  region?: string;
  /** Signing time (a Date, or milliseconds since the epoch); default: now. */
  timestamp?: Date | number;
  /** Remove '.', '..' and empty path segments (default true; false for S3). */
  normalizePath?: boolean;
  /** Percent-encode the path once more as AWS does (default true; false for S3). */
  doubleEncodePath?: boolean;
  /** Payload hash to sign instead of the body's SHA-256, e.g. 'UNSIGNED-PAYLOAD'. */
  payloadHash?: string;
  /** Send the session token but leave it out of the signature (AWS IoT). */
  omitSessionToken?: boolean;
}

export interface SignRequestOptions extends SigV4Options {
  /** Also add and sign x-amz-content-sha256 (S3 needs it). */
  signBody?: boolean;
}

export interface PresignUrlOptions extends SigV4Options {
  /** X-Amz-Expires in seconds, 1..604800 (default 900); capped at the credentials' remaining lifetime. */
  expires?: number;
}

/** The headers signRequest() adds, in the order to append them. */
export interface SignedHeaders {
  'X-Amz-Security-Token'?: string;
  'X-Amz-Date': string;
  'x-amz-content-sha256'?: string;
  Authorization: string;
}

interface DbTokenOptions extends AwsCredentialOptions {
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else the one the host name carries. */
  region?: string;
  /** Token lifetime in seconds (default 900); capped at the credentials' remaining lifetime. */
  expiresIn?: number;
  /** Signing time (a Date, or milliseconds since the epoch); default: now. */
  timestamp?: Date | number;
}

export interface GenerateDbAuthTokenOptions extends DbTokenOptions {
  hostname: string;
  port: number;
  username: string;
}

export interface GenerateDsqlAuthTokenOptions extends DbTokenOptions {
  hostname: string;
  /** Action=DbConnectAdmin (the admin role) instead of DbConnect. */
  admin?: boolean;
}

export interface GenerateElastiCacheAuthTokenOptions extends DbTokenOptions {
  /** The replication group or serverless cache name (not an endpoint). */
  cacheName: string;
  /** The ElastiCache user ID (also the AUTH user name). */
  userId: string;
  /** A serverless cache (adds ResourceType=ServerlessCache). */
  serverless?: boolean;
}

/** @aws-sdk/rds-signer's SignerConfig plus the AWS wrappers' options. */
export interface RdsSignerOptions extends AwsCredentialOptions {
  /** The endpoint connected to. */
  hostname: string;
  port: number;
  /** The database user. */
  username: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else the one the (signing) host name carries. */
  region?: string;
  /** The RDS host name to sign for when connecting through a tunnel, a proxy or custom DNS (the wrappers' iam_host). */
  signingHostname?: string;
  /** How long a token is reused, in seconds: 1..900, default 870 (the wrappers' iam_expiration). */
  expiration?: number;
}

/**
 * RDS / Aurora IAM auth tokens, cached: a drop-in for @aws-sdk/rds-signer's Signer.
 * Throws IamcoreError IAMCORE_CONFIG for bad options.
 */
export declare class RdsSigner {
  constructor(options: RdsSignerOptions);
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  /** The region tokens are signed for. */
  readonly region: string;
  /** The token (the password): the cached one while valid, else a new one. */
  getAuthToken(): Promise<string>;
  /** Drop the cached token (e.g. after a failed login): the next call signs anew. */
  invalidate(): void;
  /** Non-secret options only. */
  toJSON(): Record<string, unknown>;
}

/** @aws-sdk/dsql-signer's DsqlSignerConfig. */
export interface DsqlSignerOptions extends AwsCredentialOptions {
  /** The cluster endpoint, e.g. '<id>.dsql.us-east-1.on.aws'. */
  hostname: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else the host name's. */
  region?: string;
  /** Token lifetime in seconds (default 900). */
  expiresIn?: number;
}

/** Aurora DSQL auth tokens: a drop-in for @aws-sdk/dsql-signer's DsqlSigner. */
export declare class DsqlSigner {
  constructor(options: DsqlSignerOptions);
  readonly hostname: string;
  readonly region: string;
  /** A token for a custom database role (Action=DbConnect). */
  getDbConnectAuthToken(): Promise<string>;
  /** A token for the admin role (Action=DbConnectAdmin). */
  getDbConnectAdminAuthToken(): Promise<string>;
  toJSON(): Record<string, unknown>;
}

/** The AWS functions. Every function returns a promise and never throws. */
export declare const aws: Readonly<{
  /** SigV4 header signing: resolves to the headers to add. */
  signRequest(options: SignRequestOptions): Promise<SignedHeaders>;
  /** SigV4 query signing: resolves to the presigned URL. */
  presignUrl(options: PresignUrlOptions): Promise<string>;
  /** One RDS token, not cached; takes a `timestamp` (RdsSigner does not). */
  generateDbAuthToken(options: GenerateDbAuthTokenOptions): Promise<string>;
  /** One Aurora DSQL token (DsqlSigner's one-shot form, with `timestamp`). */
  generateDsqlAuthToken(options: GenerateDsqlAuthTokenOptions): Promise<string>;
  /** An ElastiCache (Valkey / Redis OSS) IAM auth token: the AUTH password. */
  generateElastiCacheAuthToken(options: GenerateElastiCacheAuthTokenOptions): Promise<string>;
  /** The credentials the chain (or `profile`'s chain) gives now; rejects IAMCORE_CONFIG naming every source tried when none has any. */
  resolveCredentials(options?: AwsCredentialOptions): Promise<AwsCredentials>;
  /** Forget the cached credentials of the default chain (or of `profile`'s). */
  invalidateCredentials(options?: { profile?: string }): void;
  /**
   * The region to sign for: `region`, else AWS_REGION, AWS_DEFAULT_REGION, the
   * profile's region, else the one an RDS / Aurora DSQL `hostname` carries.
   * Synchronous; throws IamcoreError IAMCORE_CONFIG when none is found.
   */
  resolveRegion(options?: { region?: string; profile?: string; hostname?: string }): string;
  RdsSigner: typeof RdsSigner;
  DsqlSigner: typeof DsqlSigner;
  AwsCredentials: typeof AwsCredentials;
}>;

// ---------------------------------------------------------------- Db2

/** Anything with iamcore's getToken() or ibm-cloud-sdk-core's authenticate(). */
export type Db2Authenticator =
  | { getToken(): Promise<string> }
  | { authenticate(requestOptions: AuthenticateOptions): Promise<void> };

/** Exactly one of `authenticator` (ACCESSTOKEN=) and `apikey` (APIKEY=). */
export type Db2ConnectionOptions = {
  /** e.g. 'BLUDB'. */
  database: string;
  hostname: string;
  /** The SSL port, e.g. 50001 or 30xxx; a string of digits is accepted. */
  port: number | string;
  /** Path of the server's CA certificate (SSLServerCertificate=), for clients that do not trust it. */
  sslServerCertificate?: string;
} & ({ authenticator: Db2Authenticator; apikey?: never } | { apikey: string; authenticator?: never });

/** Db2 on Cloud with IAM (the Db2 client's GSSPLUGIN). */
export declare const db2: Readonly<{
  /**
   * 'DATABASE=…;HOSTNAME=…;PORT=…;PROTOCOL=TCPIP;Security=SSL;Authentication=GSSPLUGIN;'
   * + 'ACCESSTOKEN=<token>' (authenticator) or 'APIKEY=<key>'. Never throws:
   * rejects IAMCORE_CONFIG naming a bad option (values with ';', '{', '}',
   * white space or control characters are refused; a certificate path may hold
   * spaces, not at its ends), or with the
   * authenticator's error.
   */
  connectionString(options: Db2ConnectionOptions): Promise<string>;
}>;
/** The level of an iamcore event. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** The name of an iamcore event (docs/logging.md). */
export type LogEventName =
  | 'token_fetched'
  | 'credentials_fetched'
  | 'rds_token_generated'
  | 'refresh_scheduled'
  | 'refresh_started'
  | 'retry'
  | 'failure';

/**
 * One event of the iamcore core, as a plain object. The fields present depend on
 * the event (docs/logging.md); none ever holds a secret, and URLs have no query
 * string.
 */
export interface LogEvent {
  level: LogLevel;
  event: LogEventName;
  /** When it happened, ms since the epoch. */
  time: number;
  /** 'iam', 'container', 'aws' (credentials) or 'rds'. */
  authType?: string;
  /** The last request's URL: scheme, host, port and path only. */
  url?: string;
  /** HTTP status of the last response. */
  status?: number;
  /** HTTP attempts, retries included. */
  attempts?: number;
  /** retry: the number of the attempt that failed (1 = the first). */
  attempt?: number;
  /** retry: "HTTP 503", "HTTP 429, Retry-After 2 s" or the connection error. */
  reason?: string;
  /** retry: the wait before the next attempt. */
  delayMs?: number;
  /** Epoch seconds. */
  expiresAt?: number;
  /** refresh_scheduled: epoch seconds from which the next refresh is due. */
  refreshAt?: number;
  durationMs?: number;
  /** Fetched by a background refresh, not by a caller. */
  background?: boolean;
  /** failure: the error's name: 'auth', 'transport', 'timeout', 'tls', 'parse', ... */
  error?: string;
  /** failure: the service's error code, e.g. 'BXNIM0415E'. */
  errorCode?: string;
  /** failure: the error message (as IamcoreError#message). */
  message?: string;
  /** failure: a valid cached token is still served. */
  tokenValid?: boolean;
  [field: string]: string | number | boolean | undefined;
}

/**
 * Receive every iamcore event of the process on this thread (main thread or
 * worker): `hook(event)`, called asynchronously on this thread's event loop; it
 * never keeps the process alive. `null` removes it. `NODE_DEBUG=iamcore` prints
 * the events without a hook. A hook that throws is reported with
 * process.emitWarning. Throws IamcoreError IAMCORE_CONFIG for a non-function.
 */
export declare function setLogHook(hook: ((event: LogEvent) => void) | null): void;
