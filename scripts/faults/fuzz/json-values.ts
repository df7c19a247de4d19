/**
 * Values and JSON texts that sit at or past the edge of what a schema allows, and the means to put one into a
 * valid body: by path, as a JSON value or as raw text (NaN, -0, 1e999, a key twice) that JSON.stringify
 * cannot produce.
 */
import type { Prng } from './prng.js';

/** A JSON value, or raw text spliced in as is. */
export type Replacement = { value: unknown } | { raw: string };

const nested = (depth: number, open: string, close: string, inner = '1') =>
  open.repeat(depth) + inner + close.repeat(depth);

/** Values of every JSON type that break a typical field: wrong types, edges of ranges, odd strings. */
const ODD_VALUES: readonly (() => Replacement)[] = [
  () => ({ value: null }),
  () => ({ value: true }),
  () => ({ value: false }),
  () => ({ value: 0 }),
  () => ({ value: -1 }),
  () => ({ value: 1.5 }),
  () => ({ value: 2 ** 53 }),
  () => ({ value: 2 ** 53 - 1 }),
  () => ({ value: 2 ** 64 }),
  () => ({ value: 1e308 }),
  () => ({ value: -1e308 }),
  () => ({ value: 5e-324 }),
  () => ({ value: '' }),
  () => ({ value: ' ' }),
  () => ({ value: 'NaN' }),
  () => ({ value: 'Infinity' }),
  () => ({ value: '-Infinity' }),
  () => ({ value: 'null' }),
  () => ({ value: 'undefined' }),
  () => ({ value: '0x10' }),
  () => ({ value: '1e3' }),
  () => ({ value: '-1.00' }),
  () => ({ value: '0.00' }),
  () => ({ value: '12.345' }),
  () => ({ value: '1,5' }),
  () => ({ value: '٣٤' }),
  () => ({ value: '😀🏳️‍🌈' }),
  () => ({ value: 'a\u0000b' }),
  () => ({ value: '\ud800' }),
  () => ({ value: '\u202eevil' }),
  () => ({ value: 'a\nb\r\nc' }),
  () => ({ value: '\u200b' }),
  () => ({ value: 'é'.normalize('NFD') }),
  () => ({ value: '../../etc/passwd' }),
  () => ({ value: "' OR 1=1 --" }),
  () => ({ value: '{{7*7}}${7*7}' }),
  () => ({ value: 'x'.repeat(129) }),
  () => ({ value: 'x'.repeat(1000) }),
  () => ({ value: '😀'.repeat(200) }),
  () => ({ value: [] }),
  () => ({ value: ['a'] }),
  () => ({ value: {} }),
  () => ({ value: { a: 1 } }),
  () => ({ raw: 'NaN' }),
  () => ({ raw: 'Infinity' }),
  () => ({ raw: '-0' }),
  () => ({ raw: '1e999' }),
  () => ({ raw: '-1e999' }),
  () => ({ raw: '007' }),
  () => ({ raw: '1.0' }),
  () => ({ raw: '1E2' }),
  () => ({ raw: '123456789012345678901234567890' }),
  () => ({ raw: '0.1e-400' }),
  () => ({ raw: 'undefined' }),
  () => ({ raw: "'single'" }),
  () => ({ raw: '"\\ud83d"' }),
  () => ({ raw: '"\\u0000"' }),
  () => ({ raw: '{"__proto__": {"polluted": true}}' }),
  () => ({ raw: '{"constructor": {"prototype": {"polluted": true}}}' }),
  () => ({ raw: nested(5000, '[', ']') }),
  () => ({ raw: nested(3000, '{"a":', '}') }),
];

/** The JSON text a replacement puts in a body. */
export const textOf = (replacement: Replacement): string =>
  'value' in replacement ? (JSON.stringify(replacement.value) ?? 'null') : replacement.raw;

/** An odd value of any type for a field. */
export const oddValue = (prng: Prng): Replacement => prng.pick(ODD_VALUES)();

/** A value of another JSON type than `type`: certainly wrong for a field of that type. */
export function wrongType(type: string | undefined, prng: Prng): Replacement {
  switch (type) {
    case 'integer':
    case 'number':
      return prng.pick<Replacement>([{ value: '7' }, { value: true }, { value: [7] }, { value: null }]);
    case 'string':
      return prng.pick<Replacement>([
        { value: 7 },
        { value: false },
        { value: ['a'] },
        { value: { a: 'b' } },
        { value: null },
      ]);
    case 'boolean':
      return prng.pick<Replacement>([{ value: 'true' }, { value: 1 }, { value: null }]);
    case 'array':
      return prng.pick<Replacement>([{ value: {} }, { value: 'a,b' }, { value: null }]);
    default:
      return prng.pick<Replacement>([{ value: [] }, { value: 'x' }, { value: 1 }, { value: null }]);
  }
}

export type JsonPath = (string | number)[];

/** The paths of every field and array item in `value`, down to `depth` levels. */
export function pathsOf(value: unknown, depth = 3, prefix: JsonPath = []): JsonPath[] {
  if (depth === 0 || typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  return entries.flatMap(([key, inner]) => [[...prefix, key], ...pathsOf(inner, depth - 1, [...prefix, key])]);
}

const SPLICE = '@@fuzz-raw@@';

/** `body` as JSON text with the value at `path` replaced (or removed, with `undefined`). */
export function replaceAt(body: unknown, path: JsonPath, replacement: Replacement | undefined): string {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete parent[last];
    return JSON.stringify(copy);
  }
  parent[last] = SPLICE;
  return JSON.stringify(copy).replace(`"${SPLICE}"`, () => textOf(replacement));
}

/** An object's JSON text with `raw` (e.g. `"key": value`) as its first member: a key twice, a key JSON.stringify would not write. */
export function withFirstMember(objectText: string, raw: string): string {
  if (!objectText.startsWith('{')) return objectText;
  return objectText === '{}' ? `{${raw}}` : `{${raw},${objectText.slice(1)}`;
}
