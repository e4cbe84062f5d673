// ESM entry point: the same objects as the CommonJS module (one addon instance).
import iamcore from './index.js';

export const {
  IamAuthenticator,
  ContainerAuthenticator,
  VpcInstanceAuthenticator,
  IamAssumeAuthenticator,
  BearerTokenAuthenticator,
  BasicAuthenticator,
  NoAuthAuthenticator,
  getAuthenticatorFromEnvironment,
  RdsSigner,
  DsqlSigner,
  aws,
  db2,
  setLogHook,
  IamcoreError,
  ErrorCodes,
  IAMCORE_CONFIG,
  IAMCORE_AUTH,
  IAMCORE_TRANSPORT,
  IAMCORE_TIMEOUT,
  IAMCORE_TLS,
  IAMCORE_PARSE,
  IAMCORE_TOKEN_FILE,
  IAMCORE_NOMEM,
  IAMCORE_INTERNAL,
  version,
} = iamcore;

export default iamcore;
