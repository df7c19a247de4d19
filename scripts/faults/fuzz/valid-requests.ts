/**
 * A valid request for any documented route, built from its schemas: what the mutations start from, so each
 * broken request differs from one the gateway accepts by the mutation alone.
 */
import { DEFAULT_REGIONS } from '@tally/contracts';
import type { ApiRoute, JsonSchema } from './openapi.js';
import type { Prng } from './prng.js';

export interface RequestParts {
  pathParams: Record<string, string>;
  query: Record<string, string>;
  /** The JSON body, for routes that take one. */
  body?: unknown;
}

const hex = (prng: Prng, digits: number) => Array.from({ length: digits }, () => prng.int(0, 15).toString(16)).join('');
/** A fixed day rather than now, so the same seed sends the same bytes whenever it runs. */
const EPOCH_MS = 1_750_000_000_000;

/**
 * Fields whose valid values a schema's type cannot produce (a pattern, a format, a deployment's regions):
 * valid values by name. Every other field is made from its schema.
 */
const FIELD_VALUES: Record<string, (prng: Prng) => unknown> = {
  source: (prng) => `fuzz-${prng.int(0, 9)}`,
  seq: (prng) => prng.int(0, 2 ** 31),
  amount: (prng) => `${prng.int(1, 999)}.${String(prng.int(0, 99)).padStart(2, '0')}`,
  asset: (prng) => prng.pick(['coins', 'points', 'KRW']),
  reason: (prng) => prng.pick(['fuzz', 'a refund', 'welcome bonus']),
  region: (prng) => prng.pick(DEFAULT_REGIONS),
  regions: (prng) =>
    Object.fromEntries(DEFAULT_REGIONS.slice(0, prng.int(1, 4)).map((region) => [region, { weight: prng.int(1, 10) }])),
  name: (prng) => prng.pick(['bookings', 'shares']),
  metric: (prng) => prng.pick(['likes', 'views', 'bookings']),
  id: (prng) => `fuzz-${prng.int(0, 9)}:${prng.int(0, 2 ** 31)}`,
  ticketId: (prng) => `t_${hex(prng, 24)}`,
  token: (prng) => `${hex(prng, 16)}.${hex(prng, 32)}.${hex(prng, 16)}`,
  from: () => EPOCH_MS,
  // within a day: the viewer-aggregator serves at most 1440 minute buckets per read
  to: (prng) => EPOCH_MS + prng.int(1, 24) * 3_600_000,
  at: (prng) => EPOCH_MS + prng.int(0, 86_400_000),
};

/** A valid value of `schema` for the field called `name` (the `index`th item when it is in an array). */
export function validValue(schema: JsonSchema, name: string, prng: Prng, index = 0): unknown {
  const byName = FIELD_VALUES[name];
  if (byName) return byName(prng);
  if (schema.enum) return prng.pick(schema.enum);
  switch (schema.type) {
    case 'integer': {
      const min = schema.minimum ?? 0;
      return prng.int(min, Math.min(schema.maximum ?? min + 1_000_000, min + 1_000_000));
    }
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? 0;
      return min + (Math.min(schema.maximum ?? min + 100, min + 100) - min) * (0.01 + 0.99 * prng.next());
    }
    case 'boolean':
      return prng.chance(0.5);
    case 'array': {
      const count = Math.min(
        prng.int(Math.max(schema.minItems ?? 1, 1), Math.max(schema.minItems ?? 1, 1) + 2),
        schema.maxItems ?? Infinity,
      );
      return Array.from({ length: count }, (_, i) => validValue(schema.items ?? {}, singular(name), prng, i));
    }
    case 'object':
      return validObject(schema, prng);
    default:
      // ids: letters, digits and a dash fit every id pattern; the index keeps array items different
      return `${name}-${index}${prng.int(0, 99)}`;
  }
}

const singular = (name: string) => name.replace(/Ids$/, 'Id').replace(/s$/, '');

/** Every required field and about half of the optional ones. */
export function validObject(schema: JsonSchema, prng: Prng): Record<string, unknown> {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).filter(([field]) => required.has(field) || prng.chance(0.5));
  return Object.fromEntries(fields.map(([field, fieldSchema]) => [field, validValue(fieldSchema, field, prng)]));
}

export function validParts(route: ApiRoute, prng: Prng): RequestParts {
  const pathParams = Object.fromEntries(
    Object.entries(route.pathParams).map(([name, schema]) => [name, String(validValue(schema, name, prng))]),
  );
  const query = Object.fromEntries(
    Object.entries(route.query)
      .filter(([, { required }]) => required || prng.chance(0.5))
      .map(([name, { schema }]) => [name, String(validValue(schema, name, prng))]),
  );
  return { pathParams, query, ...(route.body ? { body: validValue(route.body, 'body', prng) } : {}) };
}

/** The request target: the path with its parameters filled in (encoded unless `raw`), then the query. */
export function targetOf(route: ApiRoute, pathParams: Record<string, string>, query: string, raw = false): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = pathParams[name] ?? '';
    return raw ? value : encodeURIComponent(value);
  });
  return query === '' ? path : `${path}?${query}`;
}

export const queryOf = (query: Record<string, string>) => new URLSearchParams(query).toString();
