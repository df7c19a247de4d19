import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * Reads a .lua file and splices in every `--@include <path>` line (relative to the file, or a package path
 * such as `@tally/idempotency/lua/seq-window.lua`), so shared building blocks are written once and every
 * script stays one atomic EVALSHA.
 */
export function readLuaScript(file: string, seen = new Set<string>()): string {
  const path = resolve(file);
  if (seen.has(path)) return '';
  seen.add(path);
  const require = createRequire(path);
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => {
      const include = /^--@include\s+(\S+)\s*$/.exec(line.trim());
      if (!include) return line;
      const target = include[1]!;
      const included = target.startsWith('.') ? resolve(dirname(path), target) : require.resolve(target);
      return readLuaScript(included, seen);
    })
    .join('\n');
}

export interface ScriptDefinition {
  file: string;
  keys: number;
}

/**
 * Registers each script as a custom ioredis command (EVALSHA with a fallback to EVAL when Redis lost its
 * script cache, e.g. after a restart), the way BullMQ loads its scripts.
 */
export function defineScripts<N extends string>(redis: Redis, scripts: Record<N, ScriptDefinition>): void {
  for (const [name, { file, keys }] of Object.entries(scripts) as [N, ScriptDefinition][]) {
    redis.defineCommand(name, { numberOfKeys: keys, lua: readLuaScript(file) });
  }
}

export type ScriptRunner = (...args: (string | number | Buffer)[]) => Promise<unknown>;

export function script(redis: Redis, name: string): ScriptRunner {
  const command = (redis as unknown as Record<string, ScriptRunner | undefined>)[name];
  if (!command) throw new Error(`Redis script ${name} was not defined; call defineScripts first`);
  return command.bind(redis);
}
