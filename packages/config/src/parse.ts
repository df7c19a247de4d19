import type { z } from 'zod';

/** Each key is the name of an environment variable; each value says how to read it. */
export type ConfigShape = Record<string, z.ZodType>;
export type ParsedConfig<S extends ConfigShape> = { [K in keyof S]: z.output<S[K]> };

/** Thrown at start when any variable is missing or malformed; lists every problem, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads every variable of `shape` from `source` and reports all bad values at once, so an operator fixes a
 * deployment in one pass instead of one restart per typo.
 */
export function parseConfig<S extends ConfigShape>(shape: S, source: NodeJS.ProcessEnv = process.env): ParsedConfig<S> {
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(shape)) {
    const raw = source[name];
    const result = schema.safeParse(raw === '' ? undefined : raw);
    if (result.success) {
      parsed[name] = result.data;
    } else {
      const reason = result.error.issues.map((issue) => issue.message).join('; ');
      problems.push(`${name}: ${reason} (got ${raw === undefined ? 'nothing' : JSON.stringify(raw)})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed as ParsedConfig<S>;
}

/**
 * For a service's main: parses its configuration or, when any value is bad, prints one line per problem and
 * exits with status 1 — no stack trace, since the operator fixes the deployment, not the code.
 */
export function configOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${service}: ${error.message}`);
    process.exit(1);
  }
}
