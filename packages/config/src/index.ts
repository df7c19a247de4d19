export { ConfigError, configOrExit, parseConfig, type ConfigShape, type ParsedConfig } from './parse.js';
export { env } from './fields.js';
export { platformConfig, platformShape, seqWindowShape, type PlatformConfig } from './platform.js';
