import type { z } from 'zod';

/** Each key is the name of an environment variable; each value says how to read it. */
export type ConfigShape = Record<string, z.ZodType>;
export type ParsedConfig<S extends ConfigShape> = { [K in keyof S]: z.output<S[K]> };

/** Thrown at start when any variable is missing or malformed; lists every problem, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * A check across several variables (one variable's reader cannot see the others): "SASL_SSL needs a username",
 * "production refuses a plaintext Redis". It may also settle a variable whose default depends on another.
 */
export interface ConfigRule {
  /** The variables it reads. It runs only when the shape has each of them and each was read without a problem. */
  readonly reads: readonly string[];
  /**
   * `values` holds what the readers (and the rules before this one) made of `reads`; `source` is the raw
   * environment, to tell a variable set from one left to its default. Problems are one line each, in the words of
   * parseConfig's own (`NAME: what is wrong`), and never quote a secret.
   */
  apply(
    values: Readonly<Record<string, unknown>>,
    source: NodeJS.ProcessEnv,
  ): { problems?: string[]; settled?: Record<string, unknown> };
}

// Rules and secrecy travel with a variable's reader, not with a shape: services spread the platform's shape into
// their own (`{ ...platformShape, PORT: ... }`), which copies the readers, so parseConfig finds them there.
const rulesByReader = new WeakMap<z.ZodType, ConfigRule[]>();
const secretReaders = new WeakSet<z.ZodType>();

/** Attaches rules to a variable's reader: parseConfig runs them whenever a shape holds that reader. */
export function withRules<T extends z.ZodType>(reader: T, ...rules: ConfigRule[]): T {
  rulesByReader.set(reader, [...(rulesByReader.get(reader) ?? []), ...rules]);
  return reader;
}

/** Marks a reader's value as a secret: a problem with it never quotes what was given. */
export function asSecret<T extends z.ZodType>(reader: T): T {
  secretReaders.add(reader);
  return reader;
}

/** How a problem quotes a raw value: secrets never, and the password of a URL (a DATABASE_URL's) hidden. */
export function quoted(raw: string | undefined, secret = false): string {
  if (raw === undefined) return 'nothing';
  if (secret) return 'a value, not shown';
  return JSON.stringify(withoutPassword(raw));
}

function withoutPassword(raw: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(raw)) return raw;
  try {
    const url = new URL(raw);
    if (url.password === '') return raw;
    url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, '$1:***@');
  }
}

/**
 * Reads every variable of `shape` from `source` and reports all bad values at once, so an operator fixes a
 * deployment in one pass instead of one restart per typo. Then the rules attached to the shape's readers
 * (withRules) check the variables against each other, and their problems join the same list.
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
      problems.push(`${name}: ${reason} (got ${quoted(raw, secretReaders.has(schema))})`);
    }
  }
  const rules = new Set(Object.values(shape).flatMap((schema) => rulesByReader.get(schema) ?? []));
  for (const rule of rules) {
    if (!rule.reads.every((name) => name in parsed)) continue;
    const outcome = rule.apply(parsed, source);
    problems.push(...(outcome.problems ?? []));
    Object.assign(parsed, outcome.settled);
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
