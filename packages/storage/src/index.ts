export {
  awaitReplicas,
  createRedis,
  deleteKeys,
  flushAll,
  isRedisCluster,
  onPrimaryChange,
  redisOptions,
  redisPrimaries,
  redisTls,
  scanKeys,
  type Redis,
  type RedisTransportSettings,
} from './redis.js';
export { defineScripts, script, type ScriptDefinition, type ScriptRunner } from './lua.js';
export {
  beginStatement,
  createPool,
  inTransaction,
  migrate,
  postgresConnection,
  type IsolationLevel,
  type MigrationOptions,
  type MigrationSet,
  type Pool,
  type PoolClient,
  type PostgresConnection,
  type PostgresTransportSettings,
  type TransactionOptions,
} from './postgres.js';
export { PartitionReadiness } from './partition-readiness.js';
