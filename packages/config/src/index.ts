export {
  ConfigError,
  asSecret,
  configOrExit,
  parseConfig,
  withRules,
  type ConfigRule,
  type ConfigShape,
  type ParsedConfig,
} from './parse.js';
export { SQL_IDENTIFIER, assertSqlIdentifier, env } from './fields.js';
export { platformConfig, platformShape, seqWindowShape, type PlatformConfig } from './platform.js';
export {
  KAFKA_SASL_MECHANISMS,
  KAFKA_SECURITY_PROTOCOLS,
  POSTGRES_FOREIGN_TLS_PARAMETERS,
  POSTGRES_SSL_MODES,
  TALLY_ENVIRONMENTS,
  sslModeOfUrl,
  transportShape,
  type PostgresSslMode,
} from './transport.js';
export { given, readCaFile, readText, type ReadText } from './ca-file.js';
export { SecretConfigError, parseConfigWithSecrets, type SecretReader } from './secrets.js';
