/**
 * Access to every private route without the right credentials. The routes come from the gateway's own OpenAPI
 * document (every operation with `security`, so a private route added later is attacked without a change here),
 * plus the console's event stream, which the document hides. Each is tried, with real ids (the other tenant's
 * wallet and transactions, an admitted ticket of the other tenant's queue):
 *   without a key, with a garbage key, with malformed Authorization headers, with the key where no key goes (the
 *   query, other headers), with a ticket secret where a key goes, with a key that lacks the scope (the operator's
 *   console:read on everything else, the writer's write scopes on reads), with the tenant key on the other
 *   tenant's users and queues, as HEAD and with a percent-encoded id; tickets also with another ticket's secret,
 *   with the ticket's own secret under another queue, with a secret of the other tenant's queue; the console
 *   also showing a wallet to keys that may not read it.
 * Any answer but 401, 403 or 429 is a leak (a 404, a 400 or a 202 show the request got past the check). Then the
 * controls: the full key, the ticket's own secret and the tenant key on its own tenant must read.
 */
import type { ApiRoute } from '../fuzz/openapi.js';
import { routeName } from '../fuzz/openapi.js';
import { Prng } from '../fuzz/prng.js';
import { validValue } from '../fuzz/valid-requests.js';
import type { SuiteKeys } from './credentials.js';
import { call, forEachConcurrently, type Call } from './http.js';
import type { AbuseData } from './setup.js';
import { refusalVerdict, type AbuseTally } from './tally.js';

/** The console's event stream: private (console:read), hidden from the document. */
export const CONSOLE_EVENTS: ApiRoute = {
  method: 'GET',
  path: '/console/events',
  pathParams: {},
  query: {},
  needsKey: true,
  securitySchemes: ['bearerAuth'],
};

const CONCURRENCY = 8;

interface Target {
  route: ApiRoute;
  /** The request with every id filled in, without credentials. */
  call: Call;
  /** A read: a leak of it shows private data. */
  read: boolean;
  /** It names a user or queue, so a key limited to other users or queues must be refused. */
  tenantBound: boolean;
}

const bearer = (secret: string) => `Bearer ${secret}`;

/** Every documented route with `security`, and the console's stream if the document does not list it. */
export function privateRoutes(routes: readonly ApiRoute[]): ApiRoute[] {
  const secured = routes.filter((r) => r.securitySchemes.length > 0);
  return secured.some((r) => r.path === CONSOLE_EVENTS.path) ? secured : [...secured, CONSOLE_EVENTS];
}

/** The route as a request naming the other tenant's data (`data.wallet`, `data.queue`): what every attack aims at. */
function targetOf(route: ApiRoute, data: AbuseData, prng: Prng): Target {
  const read = route.method === 'GET';
  // a write that got through must not end the tickets the other checks read: it names a waiting one
  const ids: Record<string, string> = {
    userId: data.wallet.userId,
    id: data.wallet.transactionIds[0]!,
    holdId: data.wallet.holdId,
    queueId: data.queue.queueId,
    ticketId: read ? data.queue.admitted[0]!.ticketId : data.queue.tickets.at(-1)!.ticketId,
  };
  let tenantBound = false;
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === 'userId' || name === 'queueId') tenantBound = true;
    return encodeURIComponent(ids[name] ?? String(validValue(route.pathParams[name] ?? {}, name, prng)));
  });
  const query = new URLSearchParams();
  for (const [name, { schema, required }] of Object.entries(route.query))
    if (required) query.set(name, String(validValue(schema, name, prng)));
  let body: unknown;
  if (route.body) {
    body = validValue(route.body, 'body', prng);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const fields = body as Record<string, unknown>;
      if ('userIds' in fields) {
        fields.userIds = [data.wallet.userId];
        tenantBound = true;
      }
    }
  }
  const target = query.size > 0 ? `${path}?${query}` : path;
  return { route, read, tenantBound, call: { method: route.method, target, ...(body !== undefined ? { body } : {}) } };
}

/** How one attack varies the request; undefined when it does not apply to the route. */
type Variant = (target: Target) => Call[] | undefined;

interface Attack {
  name: string;
  what: string;
  expected: 401 | 403;
  variant: Variant;
}

const isTicketRead = (t: Target) => t.read && t.route.securitySchemes.includes('ticketSecret');
const isConsole = (t: Target) => t.route.path === CONSOLE_EVENTS.path;
const withAuth = (t: Target, authorization: string | undefined, change: Partial<Call> = {}): Call => ({
  ...t.call,
  ...(authorization !== undefined ? { authorization } : {}),
  ...change,
});
const addQuery = (target: string, name: string, value: string) =>
  `${target}${target.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;

function attacks(keys: SuiteKeys, data: AbuseData, garbage: string): Attack[] {
  const anySecret = data.tenantQueue.tickets[0]!.ticketSecret;
  return [
    { name: 'no key', what: 'no Authorization header', expected: 401, variant: (t) => [withAuth(t, undefined)] },
    {
      name: 'garbage key',
      what: 'a well-formed key nobody configured',
      expected: 401,
      variant: (t) => [withAuth(t, bearer(garbage))],
    },
    {
      name: 'malformed Authorization',
      what: 'Basic credentials; "Bearer" alone; the full key without a scheme, under another scheme, one character longer and shorter, with a second word',
      expected: 401,
      variant: (t) => [
        withAuth(t, `Basic ${Buffer.from(`${keys.full}:`).toString('base64')}`),
        withAuth(t, 'Bearer'),
        withAuth(t, keys.full),
        withAuth(t, `Token ${keys.full}`),
        withAuth(t, bearer(`${keys.full}x`)),
        withAuth(t, bearer(keys.full.slice(0, -1))),
        withAuth(t, `Bearer ${keys.full} ${keys.full}`),
      ],
    },
    {
      name: 'key where no key goes',
      what: 'the full key in the query string (key, api_key, access_token), in X-Api-Key, in a cookie; no Authorization header',
      expected: 401,
      variant: (t) => [
        ...['key', 'api_key', 'access_token'].map((name) =>
          withAuth(t, undefined, { target: addQuery(t.call.target, name, keys.full) }),
        ),
        withAuth(t, undefined, { headers: { 'x-api-key': keys.full } }),
        withAuth(t, undefined, { headers: { cookie: `key=${keys.full}; api_key=${keys.full}` } }),
      ],
    },
    {
      name: 'ticket secret as a key',
      what: 'a real ticketSecret (of the tenant’s queue) as the bearer key of every route but the ticket read',
      expected: 401,
      variant: (t) => (isTicketRead(t) ? undefined : [withAuth(t, bearer(anySecret))]),
    },
    {
      name: 'key lacking the scope: operator',
      what: 'the operator key (console:read only) on every route but the console',
      expected: 403,
      variant: (t) => (isConsole(t) ? undefined : [withAuth(t, bearer(keys.operator))]),
    },
    {
      name: 'key lacking the scope: writer',
      what: 'the writer key (every write scope, no read scope) on every private read',
      expected: 403,
      variant: (t) => (t.read ? [withAuth(t, bearer(keys.writer))] : undefined),
    },
    {
      name: "another tenant's data",
      what: 'the tenant key (every scope, users and queues tenant-b:*) on the other tenant’s users and queues; on the console showing the other tenant’s wallet',
      expected: 403,
      variant: (t) =>
        isConsole(t)
          ? [withAuth(t, bearer(keys.tenant), { target: addQuery(t.call.target, 'wallet', data.wallet.userId) })]
          : t.tenantBound
            ? [withAuth(t, bearer(keys.tenant))]
            : undefined,
    },
    {
      name: 'HEAD without a key',
      what: 'HEAD of every private read, no key',
      expected: 401,
      variant: (t) => (t.read ? [withAuth(t, undefined, { method: 'HEAD' })] : undefined),
    },
    {
      name: 'percent-encoded ids without a key',
      what: 'every letter of the path’s ids percent-encoded, no key',
      expected: 401,
      variant: (t) =>
        t.tenantBound ? [withAuth(t, undefined, { target: encodeIds(t.call.target, data) })] : undefined,
    },
    {
      name: "another ticket's secret",
      what: 'the ticket read with the secret of another ticket of the same queue, of a ticket of another tenant’s queue, and a forged secret',
      expected: 403,
      variant: (t) =>
        isTicketRead(t)
          ? [
              withAuth(t, bearer(data.queue.tickets.at(-1)!.ticketSecret)),
              withAuth(t, bearer(data.tenantQueue.admitted[0]!.ticketSecret)),
              withAuth(t, bearer(`ts_${'A'.repeat(43)}`)),
            ]
          : undefined,
    },
    {
      name: 'ticket secret under another queue',
      what: 'a ticket’s own secret and id, read under the other tenant’s queue',
      expected: 403,
      variant: (t) => {
        if (!isTicketRead(t)) return undefined;
        const ticket = data.queue.admitted[0]!;
        return [
          withAuth(t, bearer(ticket.ticketSecret), {
            target: `/v1/queues/${encodeURIComponent(data.tenantQueue.queueId)}/tickets/${ticket.ticketId}`,
          }),
        ];
      },
    },
    {
      name: 'console showing a wallet without wallets:read',
      what: 'the console stream with ?wallet= (the other tenant’s user) and the operator key (console:read, no wallets:read)',
      expected: 403,
      variant: (t) =>
        isConsole(t)
          ? [withAuth(t, bearer(keys.operator), { target: addQuery(t.call.target, 'wallet', data.wallet.userId) })]
          : undefined,
    },
  ];
}

/** The ids in a path with every character percent-encoded (%74%65...): the same route, spelled otherwise. */
function encodeIds(target: string, data: AbuseData): string {
  let encoded = target;
  for (const id of [data.wallet.userId, data.queue.queueId, data.tenantWallet.userId, data.tenantQueue.queueId]) {
    const spelled = [...Buffer.from(id, 'utf8')]
      .map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`)
      .join('');
    encoded = encoded.split(encodeURIComponent(id)).join(spelled);
  }
  return encoded;
}

const describeCall = (c: Call, label: string) =>
  `${c.method} ${c.target} [${label}]${c.body !== undefined ? ` body ${JSON.stringify(c.body).slice(0, 120)}` : ''}`;

/** Runs every attack on every private route, then the controls. */
export async function attackAccess(
  gatewayUrl: string,
  routes: readonly ApiRoute[],
  keys: SuiteKeys,
  data: AbuseData,
  tally: AbuseTally,
  seed: number,
): Promise<{ routes: string[] }> {
  const prng = new Prng(seed);
  const targets = privateRoutes(routes).map((route) => targetOf(route, data, prng));
  const garbage = `faults-garbage-${Buffer.from(Array.from({ length: 24 }, () => prng.int(0, 255))).toString('base64url')}`;

  for (const attack of attacks(keys, data, garbage)) {
    const counter = tally.category('access', attack.name, attack.what, String(attack.expected));
    const calls = targets.flatMap((t) => (attack.variant(t) ?? []).map((c) => ({ t, c })));
    await forEachConcurrently(calls, CONCURRENCY, async ({ t, c }) => {
      const outcome = await call(gatewayUrl, c);
      counter.record(
        describeCall(c, attack.name),
        outcome.status,
        refusalVerdict(outcome.status, [attack.expected]),
        outcome.text,
        t.read,
      );
    });
  }
  await controls(gatewayUrl, targets, keys, data, tally);
  return { routes: targets.map((t) => routeName(t.route)) };
}

/**
 * The right credentials must read: the full key every private read (the wallet, its transactions, the admitted
 * ticket, the console showing the wallet), the ticket's own secret its ticket, the tenant key its own tenant's
 * wallet and ticket, the operator key the console. Without these the refusals above would prove nothing.
 */
async function controls(
  gatewayUrl: string,
  targets: Target[],
  keys: SuiteKeys,
  data: AbuseData,
  tally: AbuseTally,
): Promise<void> {
  const counter = tally.category(
    'access',
    'controls: the right credentials read',
    'the full key on every private read; the ticket’s own secret; the tenant key on its own tenant; the operator key on the console',
    '200',
  );
  const ownTenant = (c: Call) => ({
    ...c,
    target: c.target
      .split(encodeURIComponent(data.wallet.userId))
      .join(encodeURIComponent(data.tenantWallet.userId))
      .split(encodeURIComponent(data.wallet.transactionIds[0]!))
      .join(encodeURIComponent(data.tenantWallet.transactionIds[0]!))
      .split(encodeURIComponent(data.wallet.holdId))
      .join(encodeURIComponent(data.tenantWallet.holdId))
      .split(encodeURIComponent(data.queue.queueId))
      .join(encodeURIComponent(data.tenantQueue.queueId))
      .split(data.queue.admitted[0]!.ticketId)
      .join(data.tenantQueue.admitted[0]!.ticketId),
  });
  const calls: { c: Call; label: string }[] = [];
  for (const t of targets.filter((t) => t.read)) {
    calls.push({ c: withAuth(t, bearer(keys.full)), label: 'full key' });
    if (isTicketRead(t))
      calls.push({ c: withAuth(t, bearer(data.queue.admitted[0]!.ticketSecret)), label: 'the ticket’s own secret' });
    if (isConsole(t)) {
      calls.push({ c: withAuth(t, bearer(keys.operator)), label: 'operator key' });
      calls.push({
        c: withAuth(t, bearer(keys.full), { target: addQuery(t.call.target, 'wallet', data.wallet.userId) }),
        label: 'full key, showing the wallet',
      });
      calls.push({
        c: withAuth(t, bearer(keys.tenant), { target: addQuery(t.call.target, 'wallet', data.tenantWallet.userId) }),
        label: 'tenant key, showing its own wallet',
      });
    } else if (t.tenantBound)
      calls.push({ c: ownTenant(withAuth(t, bearer(keys.tenant))), label: 'tenant key, its own tenant' });
  }
  await forEachConcurrently(calls, CONCURRENCY, async ({ c, label }) => {
    const outcome = await call(gatewayUrl, c);
    counter.record(describeCall(c, label), outcome.status, outcome.status === 200 ? 'ok' : 'control', outcome.text);
  });
}
