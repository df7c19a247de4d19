import { Ajv, type Options, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Bodies are validated strictly: no type coercion ("5" is not a seq), unknown fields refused rather than
 * silently dropped, every problem reported. Query strings and path parameters arrive as text, so there
 * numbers may be coerced.
 */
const bodyOptions: Options = { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: true };
const textOptions: Options = { ...bodyOptions, coerceTypes: true, useDefaults: true };

export interface Validation {
  /** Fastify's validator compiler for every route. */
  compiler: FastifySchemaCompiler<object>;
  /** Compiles a body schema with the same rules, for what a handler validates itself (batch items). */
  compileBody: <T>(schema: object) => ValidateFunction<T>;
}

export function createValidation(): Validation {
  const body = new Ajv(bodyOptions);
  const text = new Ajv(textOptions);
  return {
    compiler: ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema),
    compileBody: <T>(schema: object) => body.compile<T>(schema),
  };
}
