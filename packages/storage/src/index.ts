export { createRedis, redisOptions, redisTls, type Redis, type RedisTransportSettings } from './redis.js';
export { defineScripts, script, type ScriptDefinition, type ScriptRunner } from './lua.js';
export {
  createPool,
  inTransaction,
  migrate,
  postgresConnection,
  type MigrationOptions,
  type Pool,
  type PoolClient,
  type PostgresConnection,
  type PostgresTransportSettings,
} from './postgres.js';
export { PartitionReadiness } from './partition-readiness.js';
