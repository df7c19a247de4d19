/**
 * Phase (a): random and mutated requests. Each case takes a valid request for a route and breaks one thing
 * (a body field, the JSON text, a header, the framing, the path, the method, the query) in a random way; any
 * answer is fine except a 5xx or a dropped connection.
 */
import { oddValue, pathsOf, replaceAt, textOf, withFirstMember, type Replacement } from './json-values.js';
import {
  bearer,
  clientHeaders,
  sendAs,
  weighted,
  without,
  type CaseBuilder,
  type CaseContext,
} from './request-parts.js';
import { queryOf, targetOf } from './valid-requests.js';

const pickLength = (context: CaseContext) => context.prng.pick([70 * 1024, 300 * 1024, 1100 * 1024]);
const bodyText = (context: CaseContext) =>
  context.parts.body === undefined ? '{}' : JSON.stringify(context.parts.body);

/** One field of the body (at any depth): removed, or given an odd value. */
const bodyField: CaseBuilder = (context) => {
  const { prng, parts } = context;
  const paths = pathsOf(parts.body);
  if (paths.length === 0) return bodyMember(context);
  const path = prng.pick(paths);
  const change: Replacement | undefined = prng.chance(0.2) ? undefined : oddValue(prng);
  const how = change === undefined ? 'dropped' : textOf(change).slice(0, 40);
  return sendAs(context, `body field: ${path.join('.')} ${how}`, { body: replaceAt(parts.body, path, change) });
};

/** A member added in front: unknown, a prototype-pollution key, or a field twice. */
const bodyMember: CaseBuilder = (context) => {
  const { prng } = context;
  const text = bodyText(context);
  const firstKey = /^\{"([^"]+)":/.exec(text)?.[1] ?? 'seq';
  const member = prng.pick([
    '"__proto__": {"isAdmin": true}',
    '"constructor": {"prototype": {"isAdmin": true}}',
    '"constructor": 1',
    '"prototype": {}',
    '"toString": "x"',
    '"hasOwnProperty": 1',
    `"${firstKey}": ${textOf(oddValue(prng))}`,
    '"unknownField": 1',
    '"": ""',
    `"${'k'.repeat(5000)}": 1`,
  ]);
  return sendAs(context, `body member added: ${member.slice(0, 50)}`, { body: withFirstMember(text, member) });
};

/** The JSON text itself broken: cut short, not JSON, not an object, nested deep, padded huge, badly encoded. */
const brokenJson: CaseBuilder = (context) => {
  const { prng } = context;
  const text = bodyText(context);
  const cut = prng.int(0, Math.max(0, text.length - 1));
  const variants: [string, () => string | Buffer][] = [
    ['cut short', () => text.slice(0, cut)],
    [
      'a byte changed',
      () => text.slice(0, cut) + prng.pick(['"', '{', '}', ',', ':', '\\', '\u0000', 'x', ']']) + text.slice(cut + 1),
    ],
    ['empty', () => ''],
    ['only spaces', () => '   \n'],
    ['null', () => 'null'],
    ['a number', () => '42'],
    ['a string', () => '"body"'],
    ['an empty array', () => '[]'],
    ['the body in an array', () => `[${text}]`],
    ['an empty object', () => '{}'],
    ['with a byte-order mark', () => `\ufeff${text}`],
    ['with trailing garbage', () => `${text}}`],
    ['twice', () => `${text}${text}`],
    ['single quotes', () => text.replace(/"/g, "'")],
    ['a trailing comma', () => text.replace(/}$/, ',}')],
    ['a comment', () => `/* hi */${text}`],
    ['nested 50000 deep', () => '['.repeat(50_000) + ']'.repeat(50_000)],
    ['objects nested 20000 deep', () => '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
    ['__proto__ nested deep', () => `{"x":${'{"a":'.repeat(5000)}{"__proto__":{"p":1}}${'}'.repeat(5000)}}`],
    ['padded past the limit', () => withFirstMember(text, `"pad":"${'x'.repeat(pickLength(context))}"`)],
    ['a huge number', () => withFirstMember(text, `"n":${'9'.repeat(60_000)}`)],
    [
      'invalid UTF-8',
      () =>
        Buffer.concat([
          Buffer.from(text.slice(0, cut)),
          Buffer.from([prng.pick([0xff, 0xc0, 0xe2, 0xf0]), 0xaf]),
          Buffer.from(text.slice(cut)),
        ]),
    ],
    ['UTF-16', () => Buffer.from(text, 'utf16le')],
    ['a NUL byte', () => text.slice(0, cut) + '\u0000' + text.slice(cut)],
  ];
  const [what, make] = prng.pick(variants);
  return sendAs(context, `body text: ${what}`, { body: make() });
};

const contentType: CaseBuilder = (context) => {
  const { prng } = context;
  const value = prng.pick([
    undefined,
    '',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/json;',
    'application/json; charset=',
    'application/json;;;=;',
    'application/jsonp',
    'application/json-patch+json',
    'application/vnd.api+json',
    'application/*',
    '*/*',
    'application/json, text/plain',
    `application/json; x=${'y'.repeat(8000)}`,
    'application/json\u00e9',
  ]);
  const headers = without(clientHeaders(context), 'content-type');
  const body = context.parts.body === undefined ? bodyText(context) : undefined;
  return sendAs(context, `content-type: ${value === undefined ? 'missing' : JSON.stringify(value.slice(0, 50))}`, {
    headers: value === undefined ? headers : [...headers, ['content-type', value]],
    ...(body === undefined ? {} : { body }),
  });
};

/** How the body's length is said: a lie, said twice, chunked (well or badly), or not at all. */
const framing: CaseBuilder = (context) => {
  const { prng } = context;
  const text = bodyText(context);
  const length = Buffer.byteLength(text);
  const headers = clientHeaders(context);
  const framed = (what: string, extra: [string, string][], body: string, halfClose = false) =>
    sendAs(context, `framing: ${what}`, { headers: [...headers, ...extra], body, asFramed: true, halfClose });
  const chunked = `${length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  const variants: (() => ReturnType<CaseBuilder>)[] = [
    () =>
      framed(
        'content-length shorter than the body',
        [['content-length', String(prng.int(0, Math.max(0, length - 1)))]],
        text,
      ),
    () =>
      framed(
        'content-length longer than the body, then closed',
        [['content-length', String(length + prng.int(1, 100))]],
        text,
        true,
      ),
    () => framed('no content-length', [], text),
    // each is refused or read as the body's true length (padded): one read as a longer length would make the
    // gateway wait, rightly, for bytes that never come
    () =>
      framed(
        'content-length not a number',
        [['content-length', prng.pick(['abc', '-1', '1e3', '', ` ${length} `, '+5', '0x10', '99999999999999999999'])]],
        text,
      ),
    () =>
      framed(
        'content-length twice, different',
        [
          ['content-length', String(length)],
          ['content-length', String(length + 1)],
        ],
        text,
      ),
    () =>
      framed(
        'content-length twice, the same',
        [
          ['content-length', String(length)],
          ['content-length', String(length)],
        ],
        text,
      ),
    () => framed('chunked', [['transfer-encoding', 'chunked']], chunked),
    () => framed('chunked with a bad chunk size', [['transfer-encoding', 'chunked']], `zz\r\n${text}\r\n0\r\n\r\n`),
    () =>
      framed(
        'chunked, cut short',
        [['transfer-encoding', 'chunked']],
        chunked.slice(0, prng.int(0, chunked.length - 6)),
        true,
      ),
    () =>
      framed(
        'chunked and a content-length',
        [
          ['transfer-encoding', 'chunked'],
          ['content-length', String(length)],
        ],
        chunked,
      ),
    () => framed('transfer-encoding gzip', [['transfer-encoding', 'gzip, chunked']], chunked),
    () =>
      framed(
        'transfer-encoding unknown',
        [['transfer-encoding', prng.pick(['identity', 'chunked, chunked', 'xchunked', ' chunked'])]],
        text,
      ),
    () =>
      framed(
        'content-encoding gzip, body not gzipped',
        [
          ['content-encoding', 'gzip'],
          ['content-length', String(length)],
        ],
        text,
      ),
    () =>
      framed(
        'expect 100-continue',
        [
          ['expect', '100-continue'],
          ['content-length', String(length)],
        ],
        text,
      ),
    () =>
      framed(
        'expect something else',
        [
          ['expect', 'the-unexpected'],
          ['content-length', String(length)],
        ],
        text,
      ),
  ];
  return prng.pick(variants)();
};

const authorization: CaseBuilder = (context) => {
  const { prng, apiKey } = context;
  const value = prng.pick([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    `Bearer  ${apiKey}`,
    `bearer ${apiKey}`,
    `BEARER ${apiKey}`,
    `Basic ${Buffer.from(`user:${apiKey}`).toString('base64')}`,
    `Bearer ${apiKey} extra`,
    `Bearer ${apiKey}x`,
    `Bearer ${apiKey.toUpperCase()}`,
    `Bearer\t${apiKey}`,
    `Bearer${apiKey}`,
    `Token ${apiKey}`,
    `Bearer ${'k'.repeat(10_000)}`,
    'Bearer \u00e9\u00e8\u00ff',
    'Bearer null',
    'Bearer undefined',
  ]);
  const headers = without(clientHeaders(context), 'authorization');
  if (value === undefined) return sendAs(context, 'authorization: missing', { headers });
  const twice = prng.chance(0.15);
  const extra: [string, string][] = twice ? [bearer(apiKey), ['authorization', value]] : [['authorization', value]];
  return sendAs(context, `authorization: ${twice ? 'twice, then ' : ''}${JSON.stringify(value.slice(0, 40))}`, {
    headers: [...headers, ...extra],
  });
};

const headers: CaseBuilder = (context) => {
  const { prng } = context;
  const base = clientHeaders(context);
  const variants: [string, [string, string][]][] = [
    ['a 20 KB header', [['x-big', 'a'.repeat(20_000)]]],
    ['3000 headers', Array.from({ length: 3000 }, (_, i): [string, string] => [`x-h${i}`, 'v'])],
    ['a header name with a space', [['x bad', 'v']]],
    ['a NUL in a header value', [['x-nul', 'a\u0000b']]],
    ['a folded header', [['x-fold', 'a\r\n  b']]],
    ['bytes above 0x7f in a header', [['x-latin', '\u00e9\u00ff']]],
    ['host twice', [['host', 'evil.example']]],
    [
      'an upgrade to websocket',
      [
        ['connection', 'upgrade'],
        ['upgrade', 'websocket'],
      ],
    ],
    [
      'an upgrade to h2c',
      [
        ['connection', 'upgrade, http2-settings'],
        ['upgrade', 'h2c'],
        ['http2-settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
      ],
    ],
    ['x-forwarded-for junk', [['x-forwarded-for', '1.2.3.4, <script>, ::ffff:999.1.1.1']]],
    ['an accept nobody serves', [['accept', 'application/xml']]],
    ['accept-encoding gzip', [['accept-encoding', 'gzip, br, deflate']]],
    ['a range', [['range', 'bytes=0-1,5-2']]],
    ['if-none-match', [['if-none-match', '*']]],
  ];
  const [what, extra] = prng.pick(variants);
  return sendAs(context, `headers: ${what}`, { headers: [...base, ...extra] });
};

/** One path parameter replaced by traversal, encoded slashes, very long or odd text (sent raw, not encoded). */
const pathParam: CaseBuilder = (context) => {
  const { prng, route, parts } = context;
  const names = Object.keys(route.pathParams);
  if (names.length === 0) return unknownPath(context);
  const name = prng.pick(names);
  const value = prng.pick([
    '..',
    '../..',
    '%2e%2e',
    '%2F',
    'a%2Fb',
    '%252F',
    '..%2F..%2F..%2Fetc%2Fpasswd',
    '%00',
    'a%00b',
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    'x'.repeat(129),
    'x'.repeat(385),
    'x'.repeat(5000),
    '%F0%9F%98%80',
    '',
    '%20',
    '+',
    ';jsessionid=1',
    '%3F',
    '%23',
    '.',
    '__proto__',
    'constructor',
    'a\\b',
    't_' + '0'.repeat(24),
    '%u0041',
  ]);
  const target = targetOf(route, { ...parts.pathParams, [name]: value }, queryOf(parts.query), true);
  return sendAs(context, `path parameter: ${name} = ${JSON.stringify(value.slice(0, 40))}`, { target });
};

const unknownPath: CaseBuilder = (context) => {
  const { prng, route, parts } = context;
  const path = targetOf(route, parts.pathParams, '');
  const target = prng.pick([
    '/',
    '/v1',
    '/v1/',
    '/v2' + path.slice(3),
    path + '/',
    '/' + path,
    path.toUpperCase(),
    path.replace(/\/[^/]+$/, '//'),
    path + '/..',
    path + '/../../docs/json',
    '/docs/static/../../package.json',
    '/docs/static/%2e%2e/%2e%2e/package.json',
    '/docs/%2e%2e/%2e%2e/etc/passwd',
    '/docs/static/index.html',
    '/docs/json?x=1',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/' + 'a/'.repeat(3000),
    '*',
    `http://evil.example${path}`,
    'v1/no-leading-slash',
    '/v1/items/a b/counts',
    '/metrics?name[]=x',
    '/healthz/',
    '/readyz?verbose=1',
  ]);
  return sendAs(context, `unknown path: ${JSON.stringify(target.slice(0, 60))}`, { target });
};

const wrongMethod: CaseBuilder = (context) => {
  const { prng, route } = context;
  const others = [
    'GET',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'OPTIONS',
    'HEAD',
    'TRACE',
    'CONNECT',
    'PROPFIND',
    'SEARCH',
    'QUERY',
    'FOO',
    'get',
  ].filter((m) => m !== route.method);
  const method = prng.pick(others);
  return sendAs(context, `method: ${method}`, { method });
};

const oddQuery: CaseBuilder = (context) => {
  const { prng, route, parts } = context;
  const odd = prng.pick([
    'a=1',
    '__proto__[x]=1',
    '__proto__=1',
    'constructor[prototype][x]=1',
    'limit=1e3',
    'limit=-1',
    'limit=0',
    'limit=1.5',
    'limit=NaN',
    'limit=99999999999999999999',
    'limit=',
    'limit',
    'limit=1&limit=2',
    'wait=maybe',
    'wait=1',
    'wait=TRUE',
    'wait=true&wait=false',
    'window=1H',
    'window=',
    'from=abc',
    'from[]=1',
    'from=1&to=0',
    'granularity=second',
    `x=${'y'.repeat(10_000)}`,
    Array.from({ length: 3000 }, (_, i) => `p${i}=1`).join('&'),
    '%ZZ=1',
    '=&=&',
    '&&&',
    ';',
    'a=%00',
    'a=%F0%9F%98%80',
    'a=%',
  ]);
  const valid = queryOf(parts.query);
  const query = prng.chance(0.5) && valid !== '' ? `${valid}&${odd}` : odd;
  return sendAs(context, `query: ${JSON.stringify(odd.slice(0, 40))}`, {
    target: targetOf(route, parts.pathParams, query),
  });
};

const unchanged: CaseBuilder = (context) => sendAs(context, 'valid: unchanged');

const withBody: readonly [number, CaseBuilder][] = [
  [26, bodyField],
  [8, bodyMember],
  [14, brokenJson],
  [7, contentType],
  [8, framing],
  [8, authorization],
  [4, headers],
  [9, pathParam],
  [4, unknownPath],
  [5, wrongMethod],
  [5, oddQuery],
  [2, unchanged],
];

/** Routes without a body (reads) are broken in their path, query, method and headers instead. */
const withoutBody: readonly [number, CaseBuilder][] = [
  [6, contentType],
  [6, framing],
  [6, authorization],
  [6, headers],
  [22, pathParam],
  [10, unknownPath],
  [12, wrongMethod],
  [24, oddQuery],
  [8, unchanged],
];

/** One random broken request for the route of `context`. */
export const randomCase: CaseBuilder = (context) =>
  weighted(context.prng, context.route.body ? withBody : withoutBody)(context);
