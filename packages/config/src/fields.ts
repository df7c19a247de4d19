import { z } from 'zod';
import { asSecret } from './parse.js';

/** A lower-case SQL identifier: a Postgres schema or table name that is safe to put into SQL unquoted. */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const NOT_AN_IDENTIFIER = 'must be a lower-case SQL identifier';

/**
 * Throws unless `name` is a lower-case SQL identifier. Stores put their schema's name into SQL text, so each
 * checks it where it is handed one, whether or not a config reader checked it before.
 */
export function assertSqlIdentifier(name: string, variable = 'DB_SCHEMA'): string {
  if (!SQL_IDENTIFIER.test(name)) throw new Error(`${variable} ${NOT_AN_IDENTIFIER} (got ${JSON.stringify(name)})`);
  return name;
}

/**
 * Readers for the kinds of value our services take from the environment. Each one carries its own error
 * message in words an operator understands, and a default where a safe one exists.
 */
export const env = {
  string: (fallback?: string) => withDefault(z.string({ error: 'is required' }).min(1), fallback),

  integer: (opts: { min?: number; max?: number; fallback?: number } = {}) => {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    const reader = z
      .string({ error: 'is required' })
      .regex(/^-?\d+$/, { error: 'must be a whole number' })
      .transform(Number)
      .refine((n) => n >= min && n <= max, { error: `must be between ${min} and ${max}` });
    return opts.fallback === undefined ? reader : reader.optional().transform((n) => n ?? opts.fallback!);
  },

  port: (fallback?: number) => env.integer({ min: 0, max: 65535, ...(fallback === undefined ? {} : { fallback }) }),

  boolean: (fallback?: boolean) => {
    const reader = z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes');
    return fallback === undefined ? reader : reader.optional().transform((v) => v ?? fallback);
  },

  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback?: T[number]) =>
    withDefault(z.enum(values, { error: `must be one of ${values.join(', ')}` }), fallback),

  url: (protocols: readonly string[], fallback?: string) =>
    withDefault(
      z.string({ error: 'is required' }).refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        },
        { error: `must be a ${protocols.join(' or ')} URL` },
      ),
      fallback,
    ),

  /** A Postgres schema (or table) name, put into SQL unquoted: a lower-case SQL identifier. */
  sqlIdentifier: (fallback?: string) =>
    withDefault(z.string({ error: 'is required' }).regex(SQL_IDENTIFIER, { error: NOT_AN_IDENTIFIER }), fallback),

  /**
   * A value read by `parse`, which throws an Error whose message says what is wrong (all of it, at once): e.g. a
   * JSON catalogue such as ASSETS. The default text, when given, is read by the same parse.
   */
  parsed: <T>(parse: (text: string) => T, fallback?: string) =>
    withDefault(z.string({ error: 'is required' }).min(1), fallback).transform((text, ctx) => {
      try {
        return parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),

  /** A variable that may be left unset (or empty): its reader's value, or undefined. */
  optional: <T extends z.ZodType>(reader: T) => reader.optional(),

  /** A credential, optional: a problem with it never quotes the value (parseConfig says "a value, not shown"). */
  secret: () => asSecret(z.string({ error: 'is required' }).min(1).optional()),

  /** "host:port,host:port", as Kafka clients take their bootstrap servers. */
  brokers: (fallback?: string) =>
    withDefault(
      z
        .string({ error: 'is required' })
        .refine((v) => v.split(',').every((b) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(b.trim())), {
          error: 'must be a comma-separated list of host:port',
        }),
      fallback,
    ).transform((v) => v.split(',').map((b) => b.trim())),
};

function withDefault<T extends z.ZodType<string>>(reader: T, fallback: string | undefined) {
  return fallback === undefined ? reader : reader.optional().transform((v) => v ?? fallback);
}
