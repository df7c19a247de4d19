import { ConfigError, parseConfig, type ConfigShape, type ParsedConfig } from './parse.js';
import { platformShape } from './platform.js';

/**
 * A secret's value is unusable: every problem, one line each, none quoting the value. Thrown by a secret's
 * own reader (API keys, signing keys, ...), which parseConfig cannot be, since its messages quote what they got.
 */
export class SecretConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'SecretConfigError';
  }
}

/** Reads one secret variable's raw value, knowing TALLY_ENV (production refuses development defaults). */
export type SecretReader<T> = (raw: string | undefined, environment: string) => T;

/**
 * parseConfig, and then each secret read by its own reader once TALLY_ENV is known: the problems of both reported
 * at once, a secret's named by its variable. `earlier` are problems the caller found itself (e.g. a retired variable).
 */
export function parseConfigWithSecrets<S extends ConfigShape, R extends Record<string, unknown>>(
  shape: S,
  source: NodeJS.ProcessEnv,
  secrets: { [K in keyof R]: [variable: string, read: SecretReader<R[K]>] },
  earlier: readonly string[] = [],
): ParsedConfig<S> & R {
  const problems = [...earlier];
  let parsed: ParsedConfig<S> | undefined;
  try {
    parsed = parseConfig(shape, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const environment = platformShape.TALLY_ENV.safeParse(source.TALLY_ENV || undefined);
  const read: Partial<R> = {};
  if (environment.success) {
    for (const [name, [variable, reader]] of Object.entries(secrets) as [keyof R, [string, SecretReader<unknown>]][]) {
      try {
        read[name] = reader(source[variable], environment.data) as R[keyof R];
      } catch (error) {
        if (!(error instanceof SecretConfigError)) throw error;
        problems.push(...error.problems.map((problem) => `${variable}: ${problem}`));
      }
    }
  }
  if (problems.length > 0 || !parsed) throw new ConfigError(problems);
  return { ...parsed, ...(read as R) };
}
