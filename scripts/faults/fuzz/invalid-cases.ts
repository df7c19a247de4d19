/**
 * Phase (b): requests to the write routes that are certainly invalid, each for one reason the gateway must
 * refuse with a 4xx before anything reaches Kafka. Only the top level of a body is changed, since a batch
 * judges its items one by one (a bad item is refused alone, inside a 200).
 */
import { replaceAt, withFirstMember, wrongType } from './json-values.js';
import type { JsonSchema } from './openapi.js';
import { bearer, clientHeaders, sendAs, without, type CaseBuilder, type CaseContext } from './request-parts.js';
import { queryOf, targetOf } from './valid-requests.js';

const bodyOf = (context: CaseContext) => (context.parts.body ?? {}) as Record<string, unknown>;
const fieldsOf = (context: CaseContext) => Object.entries(context.route.body?.properties ?? {});

const missingRequiredField: CaseBuilder = (context) => {
  const required = context.route.body?.required ?? [];
  if (required.length === 0) return unknownField(context);
  const field = context.prng.pick(required);
  return sendAs(context, `required field missing: ${field}`, { body: replaceAt(bodyOf(context), [field], undefined) });
};

const wrongFieldType: CaseBuilder = (context) => {
  const fields = fieldsOf(context);
  if (fields.length === 0) return notAnObject(context);
  const [field, schema] = context.prng.pick(fields);
  return sendAs(context, `field of the wrong type: ${field}`, {
    body: replaceAt(bodyOf(context), [field], wrongType(schema.type, context.prng)),
  });
};

/** Below a minimum or above a maximum of a numeric field. */
const outOfRange: CaseBuilder = (context) => {
  const bounded = fieldsOf(context).filter(([, schema]) => boundary(schema) !== undefined);
  if (bounded.length === 0) return wrongFieldType(context);
  const [field, schema] = context.prng.pick(bounded);
  return sendAs(context, `field out of range: ${field}`, {
    body: replaceAt(bodyOf(context), [field], { value: boundary(schema) }),
  });
};

function boundary(schema: JsonSchema): number | undefined {
  if (schema.exclusiveMinimum !== undefined) return schema.exclusiveMinimum;
  if (schema.minimum !== undefined) return schema.minimum - 1;
  return schema.maximum === undefined ? undefined : schema.maximum + 1;
}

const unknownField: CaseBuilder = (context) => {
  const member = context.prng.pick([
    '"unknownField": 1',
    '"isAdmin": true',
    '"__proto__": {"isAdmin": true}',
    '"constructor": {"prototype": {"x": 1}}',
  ]);
  return sendAs(context, `unknown member: ${member.slice(0, 30)}`, {
    body: withFirstMember(JSON.stringify(bodyOf(context)), member),
  });
};

/** A proper prefix of an object's JSON text is never JSON: its closing brace is the last character. */
const malformedJson: CaseBuilder = (context) => {
  const text = JSON.stringify(bodyOf(context));
  return sendAs(context, 'JSON cut short: a prefix of the valid body', {
    body: text.slice(0, context.prng.int(1, text.length - 1)),
  });
};

const notAnObject: CaseBuilder = (context) => {
  const body = context.prng.pick(['null', '[]', `[${JSON.stringify(bodyOf(context))}]`, '"text"', '7', 'true']);
  return sendAs(context, `body not an object: ${body.slice(0, 20)}`, { body });
};

const badAuthorization: CaseBuilder = (context) => {
  const headers = without(clientHeaders(context), 'authorization');
  const value = context.prng.pick([
    undefined,
    'Bearer',
    `Bearer ${context.apiKey}-not`,
    `Basic ${context.apiKey}`,
    'Bearer someone-elses-key-0123456789',
  ]);
  return sendAs(context, `bad authorization: ${value === undefined ? 'missing' : JSON.stringify(value.slice(0, 20))}`, {
    headers: value === undefined ? headers : [...headers, ['authorization', value]],
  });
};

const notJson: CaseBuilder = (context) => {
  const type = context.prng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']);
  return sendAs(context, `not JSON: ${type}`, { headers: [[`content-type`, type], bearer(context.apiKey)] });
};

/** Every path parameter pattern refuses a space. */
const badPathParam: CaseBuilder = (context) => {
  const { route, parts, prng } = context;
  const names = Object.keys(route.pathParams);
  if (names.length === 0) return malformedJson(context);
  const name = prng.pick(names);
  const value = prng.pick(['has space', 'x'.repeat(129), 'a/b']);
  return sendAs(context, `bad path parameter: ${name} = ${JSON.stringify(value.slice(0, 12))}`, {
    target: targetOf(route, { ...parts.pathParams, [name]: value }, queryOf(parts.query)),
  });
};

const families: readonly CaseBuilder[] = [
  missingRequiredField,
  wrongFieldType,
  outOfRange,
  unknownField,
  malformedJson,
  notAnObject,
  badAuthorization,
  notJson,
  badPathParam,
];

/** One certainly invalid request to the write route of `context`. */
export const invalidCase: CaseBuilder = (context) => context.prng.pick(families)(context);
