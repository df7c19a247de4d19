export { createRedis, type Redis } from './redis.js';
export { defineScripts, readLuaScript, script, type ScriptDefinition, type ScriptRunner } from './lua.js';
export { createPool, inTransaction, migrate, type MigrationOptions, type Pool, type PoolClient } from './postgres.js';
export { PartitionReadiness } from './partition-readiness.js';
