// Type definitions for iamcore (Node binding).

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
 * rejection of authenticate()/getToken(). Fields without a value are undefined.
 * Never contains an API key, a client secret or a token.
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
}

export interface IamAuthenticatorOptions extends TokenAuthenticatorOptions {
  apikey: string;
}

export interface ContainerAuthenticatorOptions extends TokenAuthenticatorOptions {
  iamProfileName?: string;
  iamProfileId?: string;
  iamProfileCrn?: string;
  /** Compute-resource token file; default: the platform locations. */
  crTokenFilename?: string;
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
