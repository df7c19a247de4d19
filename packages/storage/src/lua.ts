import { readFileSync } from 'node:fs';
import type { Redis } from './redis.js';

export interface ScriptDefinition {
  file: string;
  keys: number;
}

/**
 * Registers each script as a custom ioredis command (EVALSHA with a fallback to EVAL when Redis lost its
 * script cache, e.g. after a restart), the way BullMQ loads its scripts. Each script is one self-contained
 * file, so what runs in Redis is exactly what the file says.
 */
export function defineScripts<N extends string>(redis: Redis, scripts: Record<N, ScriptDefinition>): void {
  for (const [name, { file, keys }] of Object.entries(scripts) as [N, ScriptDefinition][]) {
    redis.defineCommand(name, { numberOfKeys: keys, lua: readFileSync(file, 'utf8') });
  }
}

export type ScriptRunner = (...args: (string | number | Buffer)[]) => Promise<unknown>;

export function script(redis: Redis, name: string): ScriptRunner {
  const command = (redis as unknown as Record<string, ScriptRunner | undefined>)[name];
  if (!command) throw new Error(`Redis script ${name} was not defined; call defineScripts first`);
  return command.bind(redis);
}
