import { Ajv, type Options, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { STRING_FORMATS } from '../../domain/string-formats.js';

/**
 * Bodies are validated strictly: no type coercion ("5" is not a seq), unknown fields refused rather than
 * silently dropped, every problem reported. Query strings and path parameters arrive as text, so there
 * numbers may be coerced. `verbose` keeps the offending value beside each error, so a bad amount or write id
 * is answered with what is wrong with it (see STRING_FORMATS), not just its format's name. The documented answers
 * of the reads are checked with the same options (read-answers.test.ts).
 */
export const bodyOptions: Options = {
  allErrors: true,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: true,
  verbose: true,
  // a list of tagged shapes (a group's members, by type) is judged by the shape its tag names, one error set each
  discriminator: true,
};
const textOptions: Options = { ...bodyOptions, coerceTypes: true, useDefaults: true };

export interface Validation {
  /** Fastify's validator compiler for every route. */
  compiler: FastifySchemaCompiler<object>;
  /** Compiles a body schema with the same rules, for what a handler validates itself (batch items). */
  compileBody: <T>(schema: object) => ValidateFunction<T>;
}

/** An Ajv that knows the API's string formats (decimal amounts, write ids), judged by the domain's rules. */
function withFormats(ajv: Ajv): Ajv {
  for (const [name, problem] of Object.entries(STRING_FORMATS))
    ajv.addFormat(name, { type: 'string', validate: (value) => problem(value) === undefined });
  return ajv;
}

export function createValidation(): Validation {
  const body = withFormats(new Ajv(bodyOptions));
  const text = withFormats(new Ajv(textOptions));
  return {
    compiler: ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema),
    compileBody: <T>(schema: object) => body.compile<T>(schema),
  };
}
