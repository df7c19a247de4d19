/**
 * Attacks on the gateway's transport and limits, against the exposed gateway (its limits as tight as the run
 * sets them, see ExposedGatewayLimits), from 127.0.0.1, with 127.0.0.2 as a bystander that must still be served:
 *   connections: more idle connections than CONNECTIONS_PER_ADDRESS (the extra ones answered 429 and closed,
 *     the bystander still served); idle ones, headers dribbled a byte at a time (slowloris) and bodies dribbled
 *     the same way must be closed by the gateway (its headers timeout is 10 s and its request timeout 30 s, fixed
 *     in gateway.ts and checked every second: 408 within a second or so of the timeout);
 *   header floods: many headers, one huge header, a huge request target;
 *   bodies: over every route's limit (declared and not sent, sent whole, chunked), and JSON nested 100,000 deep;
 *   rate limits: floods without a key, with guessed keys, with one key (429 with Retry-After);
 *   the console: more event streams than CONSOLE_STREAMS_PER_KEY for one key.
 * No 5xx, no connection dropped where an answer was due.
 */
import type { ExposedGatewayLimits } from '../environment.js';
import type { ApiRoute } from '../fuzz/openapi.js';
import { originOf, type Origin } from '../fuzz/raw-http.js';
import type { SuiteKeys } from './credentials.js';
import { forEachConcurrently, holdStream, sleep, type HeldStream } from './http.js';
import type { AbuseData } from './setup.js';
import { hold, rawRequest, requestOf, RESET_WHILE_SENDING, trickle, type Held, type RawAnswer } from './sockets.js';
import type { AbuseTally, CategoryCounter, Verdict } from './tally.js';

const BYSTANDER = '127.0.0.2';
/** Slow clients still open this long after they connected count as held for good. */
const SLOW_DEADLINE_MS = 90_000;
const MiB = 1024 * 1024;

export interface TransportOptions {
  limits: ExposedGatewayLimits;
  routes: readonly ApiRoute[];
  keys: SuiteKeys;
  data: AbuseData;
  /** Slow clients of each kind (slowloris, slow bodies) and idle connections measured to their close. */
  slowClients: number;
  /** Requests of each rate-limit flood. */
  floodRequests: number;
}

const statusText = (a: RawAnswer) => String(a.status);

/**
 * An answer judged by `expect`; a reset that overtook the answer while the client was still sending a request
 * the gateway refused early (over a limit, see RESET_WHILE_SENDING) is counted apart: refused, but not told why.
 */
function judgeAnswer(
  counter: CategoryCounter,
  request: string,
  answer: RawAnswer,
  expect: (status: number) => boolean,
): void {
  if (answer.status === RESET_WHILE_SENDING) {
    const refusalDue = !expect(200);
    counter.record(request, answer.status, refusalDue ? 'ok' : 'unexpected', answer.body);
    if (refusalDue) counter.measure('answers overtaken by a reset while still sending', 1, 'sum');
    return;
  }
  counter.record(
    request,
    statusText(answer),
    typeof answer.status === 'number' && expect(answer.status) ? 'ok' : 'unexpected',
    answer.body,
  );
}
const bodyRoutes = (routes: readonly ApiRoute[]) => routes.filter((r) => r.body);

/** Fills every path parameter with ids of the abuse data (or a plain valid id). */
function pathOf(route: ApiRoute, data: AbuseData): string {
  const ids: Record<string, string> = {
    userId: data.tenantWallet.userId,
    queueId: data.tenantQueue.queueId,
    ticketId: data.tenantQueue.tickets.at(-1)!.ticketId,
  };
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(ids[name] ?? `faults-${name}`));
}

export async function attackTransport(
  exposedUrl: string,
  options: TransportOptions,
  tally: AbuseTally,
  log: (line: string) => void,
): Promise<void> {
  const origin = originOf(exposedUrl);
  const { keys, data, limits } = options;
  const publicRead = `/v1/queues/${encodeURIComponent(data.tenantQueue.queueId)}`;
  const auth: [string, string] = ['authorization', `Bearer ${keys.full}`];

  // keep-alive sockets of the readiness probe would count against the cap: they close after the 5 s keep-alive
  await sleep(6000);
  const idle = await connectionFlood(origin, limits, publicRead, options.slowClients, tally);
  log(
    `  abuse: connection flood done; ${options.slowClients} idle, ${options.slowClients} slowloris and ${Math.ceil(options.slowClients / 2)} slow-body clients held while the rest runs`,
  );
  const slow = slowClients(origin, idle, options, publicRead, auth, tally);

  await headerFloods(origin, publicRead, auth, tally);
  await oversizedBodies(origin, options.routes, data, auth, tally);
  await nestedBodies(origin, options.routes, data, auth, tally);
  await consoleStreams(exposedUrl, limits, keys, tally);
  await rateLimits(origin, limits, publicRead, keys, options.floodRequests, tally);
  await slow;
}

async function connectionFlood(
  origin: Origin,
  limits: ExposedGatewayLimits,
  publicRead: string,
  keepIdle: number,
  tally: AbuseTally,
): Promise<Held[]> {
  const extra = 16;
  const opened = limits.connectionsPerAddress + extra;
  const counter = tally.category(
    'transport',
    'idle connections over the cap',
    `${opened} connections opened and left idle from one address (CONNECTIONS_PER_ADDRESS ${limits.connectionsPerAddress}); then a request from it, and one from another address`,
    `≥ ${extra} answered 429 and closed, ≤ ${limits.connectionsPerAddress} held; the other address served`,
  );
  const sockets: Held[] = [];
  for (let i = 0; i < opened; i++) {
    const held = hold(origin);
    sockets.push(held);
    await held.ready;
  }
  await sleep(1000);
  let refused = 0;
  for (const [i, held] of sockets.entries()) {
    const status = held.answer();
    const closed = held.closedAfterMs() !== undefined;
    if (status !== undefined) refused++;
    const outcome = status !== undefined ? String(status) : closed ? 'connection error' : 'held open (idle)';
    // an extra connection must be answered (429) rather than just dropped; one under the cap may stay
    const verdict: Verdict =
      status === undefined ? (closed ? 'unexpected' : 'ok') : status === 429 ? 'ok' : 'unexpected';
    counter.record(
      `idle connection ${i + 1} of ${opened}`,
      outcome,
      verdict,
      held.answer() ? `answered ${status}` : '',
    );
  }
  const heldOpen = sockets.filter((s) => s.closedAfterMs() === undefined && s.answer() === undefined).length;
  counter.measure('held open', heldOpen);
  counter.measure('answered 429', refused);
  if (heldOpen > limits.connectionsPerAddress || refused < extra) {
    counter.record(
      'the cap',
      `${heldOpen} held, ${refused} refused`,
      'unexpected',
      `at most ${limits.connectionsPerAddress} should be held, at least ${extra} refused`,
    );
  }
  const more = await rawRequest(origin, requestOf(origin, 'GET', publicRead));
  counter.record(
    `GET ${publicRead} from the same address while at the cap`,
    statusText(more),
    more.status === 429 ? 'ok' : 'unexpected',
    more.body,
  );
  const bystander = await rawRequest(origin, requestOf(origin, 'GET', publicRead), { from: BYSTANDER });
  counter.record(
    `GET ${publicRead} from ${BYSTANDER} while 127.0.0.1 is at its cap`,
    statusText(bystander),
    bystander.status === 200 ? 'ok' : 'control',
    bystander.body,
  );
  // all but a few are closed; the few stay idle, to see the gateway close them
  const kept = sockets.filter((s) => s.closedAfterMs() === undefined).slice(0, keepIdle);
  for (const s of sockets) if (!kept.includes(s)) s.destroy();
  await sleep(300);
  const after = await rawRequest(origin, requestOf(origin, 'GET', publicRead));
  counter.record(
    `GET ${publicRead} once the connections closed`,
    statusText(after),
    after.status === 200 ? 'ok' : 'control',
    after.body,
  );
  return kept;
}

/** Idle, slowloris and slow-body clients: each must be closed by the gateway, not held for good. */
async function slowClients(
  origin: Origin,
  idle: Held[],
  options: TransportOptions,
  publicRead: string,
  auth: [string, string],
  tally: AbuseTally,
): Promise<void> {
  const idleCounter = tally.category(
    'transport',
    'idle connections',
    `${idle.length} connections that never send a byte (kept from the flood)`,
    `closed by the gateway within ${SLOW_DEADLINE_MS / 1000} s`,
  );
  const lorisCounter = tally.category(
    'transport',
    'slowloris',
    `${options.slowClients} connections sending a request's headers one byte every 2 s, never ending them (headers timeout 10 s)`,
    `closed by the gateway (408, or just closed) within ${SLOW_DEADLINE_MS / 1000} s`,
  );
  const bodies = Math.ceil(options.slowClients / 2);
  const bodyCounter = tally.category(
    'transport',
    'slow bodies',
    `${bodies} POSTs declaring a 2,000-byte body and sending it one byte every 2 s (request timeout 30 s)`,
    `closed by the gateway (408, or just closed) within ${SLOW_DEADLINE_MS / 1000} s`,
  );
  const verify = `/v1/queues/${encodeURIComponent(options.data.tenantQueue.queueId)}/admissions/verify`;
  const loris = Array.from({ length: options.slowClients }, (_, i) =>
    hold(origin, (socket) => {
      socket.write(`GET ${publicRead} HTTP/1.1\r\nHost: ${origin.host}\r\n`);
      trickle(socket, `X-Slow-${i}: ${'a'.repeat(40)}\r\n`, 2000);
    }),
  );
  const slowBodies = Array.from({ length: bodies }, () =>
    hold(origin, (socket) => {
      socket.write(
        requestOf(origin, 'POST', verify, [auth, ['content-type', 'application/json'], ['content-length', '2000']]),
      );
      trickle(socket, '{"token":"', 2000);
    }),
  );
  await Promise.all([...loris, ...slowBodies].map((h) => h.ready));
  // the gateway keeps serving others meanwhile
  await sleep(3000);
  const meanwhile = await rawRequest(origin, requestOf(origin, 'GET', publicRead, [auth]));
  lorisCounter.record(
    `GET ${publicRead} while slow clients are held`,
    statusText(meanwhile),
    meanwhile.status === 200 ? 'ok' : 'control',
    meanwhile.body,
  );

  const judge = async (counter: CategoryCounter, held: Held, label: string) => {
    const closed = await held.closed(Math.max(0, held.connectedAtMs + SLOW_DEADLINE_MS - Date.now()));
    const after = held.closedAfterMs();
    if (!closed || after === undefined) {
      held.destroy();
      counter.record(
        label,
        `still open after ${SLOW_DEADLINE_MS / 1000} s`,
        'unexpected',
        'the gateway held a slow client for good',
      );
      return;
    }
    const answer = held.answer();
    counter.record(
      label,
      answer === undefined ? 'closed' : `${answer} and closed`,
      answer === undefined || answer === 408 || answer === 400 ? 'ok' : 'unexpected',
    );
    counter.measure('longest held, s', Math.round(after / 100) / 10);
    counter.measure('shortest held, s', Math.round(after / 100) / 10, 'min');
  };
  await Promise.all([
    ...idle.map((h, i) => judge(idleCounter, h, `idle connection ${i + 1}`)),
    ...loris.map((h, i) => judge(lorisCounter, h, `slowloris ${i + 1}`)),
    ...slowBodies.map((h, i) => judge(bodyCounter, h, `slow body ${i + 1}`)),
  ]);
}

async function headerFloods(
  origin: Origin,
  publicRead: string,
  auth: [string, string],
  tally: AbuseTally,
): Promise<void> {
  const counter = tally.category(
    'transport',
    'header floods',
    'GET of a public read with: 90 headers; 1,000 small headers (under 16 KiB in all); 5,000 headers (75 KiB); one 20 KiB header; one 1 MiB header; a 20 KiB path; 1,000 Authorization headers',
    '431 where the headers pass 16 KiB, else an answer; never 5xx or dropped',
  );
  const many = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`x-f${i}`, 'v']);
  const cases: { label: string; bytes: Buffer; expect: (s: number) => boolean }[] = [
    { label: '90 headers', bytes: requestOf(origin, 'GET', publicRead, [auth, ...many(90)]), expect: (s) => s === 200 },
    {
      label: '1,000 small headers',
      bytes: requestOf(origin, 'GET', publicRead, [auth, ...many(1000)]),
      expect: (s) => s === 200 || s === 431,
    },
    {
      label: '5,000 headers (75 KiB)',
      bytes: requestOf(origin, 'GET', publicRead, [
        auth,
        ...Array.from({ length: 5000 }, (_, i): [string, string] => [`x-flood-${i}`, 'v'.repeat(4)]),
      ]),
      expect: (s) => s === 431,
    },
    {
      label: 'one 20 KiB header',
      bytes: requestOf(origin, 'GET', publicRead, [auth, ['x-huge', 'h'.repeat(20 * 1024)]]),
      expect: (s) => s === 431,
    },
    {
      label: 'one 1 MiB header',
      bytes: requestOf(origin, 'GET', publicRead, [auth, ['x-huge', 'h'.repeat(MiB)]]),
      expect: (s) => s === 431,
    },
    {
      label: 'a 20 KiB path',
      bytes: requestOf(origin, 'GET', `${publicRead}/${'p'.repeat(20 * 1024)}`, [auth]),
      expect: (s) => s === 431 || s === 414 || s === 404 || s === 400,
    },
    {
      label: '1,000 Authorization headers',
      bytes: requestOf(
        origin,
        'GET',
        publicRead,
        Array.from({ length: 1000 }, (): [string, string] => [
          'authorization',
          `Bearer faults-guess-${Math.random().toString(36).slice(2)}`,
        ]),
      ),
      expect: (s) => s < 500,
    },
  ];
  for (const c of cases) {
    const answer = await rawRequest(origin, c.bytes);
    judgeAnswer(counter, `GET ${publicRead} [${c.label}]`, answer, c.expect);
    counter.measure('slowest answer, ms', answer.ms);
  }
}

async function oversizedBodies(
  origin: Origin,
  routes: readonly ApiRoute[],
  data: AbuseData,
  auth: [string, string],
  tally: AbuseTally,
): Promise<void> {
  const targets = bodyRoutes(routes);
  const counter = tally.category(
    'transport',
    'oversized bodies',
    `every route that takes a body (${targets.length}), with the full key: content-length 8 MiB declared (64 KiB sent); 1.1 MiB sent whole (over the largest limit, 1 MiB); 1.1 MiB chunked`,
    '413',
  );
  const json = (size: number) => Buffer.from(`{"pad":"${'x'.repeat(size - 10)}"}`, 'utf8');
  const chunked = (size: number) => {
    const chunk = Buffer.from('x'.repeat(64 * 1024));
    const parts: Buffer[] = [];
    for (let sent = 0; sent < size; sent += chunk.length)
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
    return Buffer.concat(parts);
  };
  for (const route of targets) {
    const target = pathOf(route, data);
    const type: [string, string] = ['content-type', 'application/json'];
    const cases: { label: string; bytes: Buffer }[] = [
      {
        label: '8 MiB declared, 64 KiB sent',
        bytes: requestOf(
          origin,
          route.method,
          target,
          [auth, type, ['content-length', String(8 * MiB)]],
          json(64 * 1024),
          true,
        ),
      },
      {
        label: '1.1 MiB sent',
        bytes: requestOf(origin, route.method, target, [auth, type], json(Math.round(1.1 * MiB))),
      },
      {
        label: '1.1 MiB chunked',
        bytes: requestOf(
          origin,
          route.method,
          target,
          [auth, type, ['transfer-encoding', 'chunked']],
          chunked(Math.round(1.1 * MiB)),
          true,
        ),
      },
    ];
    for (const c of cases) {
      const answer = await rawRequest(origin, c.bytes);
      judgeAnswer(counter, `${route.method} ${target} [${c.label}]`, answer, (status) => status === 413);
      counter.measure('slowest answer, ms', answer.ms);
    }
  }
}

async function nestedBodies(
  origin: Origin,
  routes: readonly ApiRoute[],
  data: AbuseData,
  auth: [string, string],
  tally: AbuseTally,
): Promise<void> {
  const targets = bodyRoutes(routes);
  const counter = tally.category(
    'transport',
    'deeply nested JSON',
    `every route that takes a body (${targets.length}), with the full key: 100,000 levels of [ (unclosed, and closed), 30,000 levels of [ (under 64 KiB), 10,000 levels of {"a": with "__proto__" at the bottom`,
    '400, or 413 where over the route’s limit',
  );
  const cases: { label: string; body: string }[] = [
    { label: '100,000 × [ unclosed', body: '['.repeat(100_000) },
    { label: '100,000 × [ closed', body: `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
    { label: '30,000 × [ closed', body: `${'['.repeat(30_000)}${']'.repeat(30_000)}` },
    {
      label: '10,000 × {"a": with __proto__',
      body: `${'{"a":'.repeat(10_000)}{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}${'}'.repeat(10_000)}`,
    },
  ];
  for (const route of targets) {
    const target = pathOf(route, data);
    for (const c of cases) {
      const answer = await rawRequest(
        origin,
        requestOf(origin, route.method, target, [auth, ['content-type', 'application/json']], c.body),
      );
      judgeAnswer(
        counter,
        `${route.method} ${target} [${c.label}]`,
        answer,
        (status) => status === 400 || status === 413,
      );
      counter.measure('slowest answer, ms', answer.ms);
    }
  }
}

async function consoleStreams(
  exposedUrl: string,
  limits: ExposedGatewayLimits,
  keys: SuiteKeys,
  tally: AbuseTally,
): Promise<void> {
  const cap = limits.consoleStreamsPerKey;
  const extra = 5;
  const counter = tally.category(
    'transport',
    'console stream flood',
    `${cap + extra} /console/events streams held open by the operator key (CONSOLE_STREAMS_PER_KEY ${cap}); one closed and another opened; one for another key; 20 without a key`,
    `${cap} open, ${extra} answered 429 with Retry-After; a closed one frees its place; other keys unaffected; 401 without a key`,
  );
  const operator = `Bearer ${keys.operator}`;
  const streams: HeldStream[] = [];
  for (let i = 0; i < cap + extra; i++) {
    const stream = await holdStream(exposedUrl, '/console/events', operator);
    streams.push(stream);
    const overCap = i >= cap;
    const verdict: Verdict = overCap
      ? stream.status === 429 && stream.retryAfter
        ? 'ok'
        : 'unexpected'
      : stream.status === 200
        ? 'ok'
        : 'control';
    counter.record(
      `GET /console/events [operator key, stream ${i + 1} of ${cap + extra}]`,
      stream.status,
      verdict,
      overCap && stream.status === 200
        ? `stream ${i + 1} was opened past the cap of ${cap}`
        : `retry-after ${stream.retryAfter ?? 'none'}`,
    );
  }
  counter.measure('streams held open by one key', streams.filter((s) => s.open()).length);
  const firstOpen = streams.find((s) => s.open());
  firstOpen?.close();
  await sleep(500);
  const again = await holdStream(exposedUrl, '/console/events', operator);
  streams.push(again);
  counter.record(
    'GET /console/events [operator key, after one of its streams closed]',
    again.status,
    again.status === 200 ? 'ok' : 'control',
  );
  const other = await holdStream(exposedUrl, '/console/events', `Bearer ${keys.full}`);
  streams.push(other);
  counter.record(
    'GET /console/events [full key, while the operator key is at its cap]',
    other.status,
    other.status === 200 ? 'ok' : 'control',
  );
  await forEachConcurrently(
    Array.from({ length: 20 }, (_, i) => i),
    5,
    async (i) => {
      const anonymous = await holdStream(exposedUrl, '/console/events', undefined);
      streams.push(anonymous);
      counter.record(
        `GET /console/events [no key, ${i + 1} of 20]`,
        anonymous.status,
        anonymous.status === 401 || anonymous.status === 429 ? 'ok' : anonymous.status === 200 ? 'leak' : 'unexpected',
        '',
        true,
      );
    },
  );
  for (const s of streams) s.close();
  await sleep(500);
}

async function rateLimits(
  origin: Origin,
  limits: ExposedGatewayLimits,
  publicRead: string,
  keys: SuiteKeys,
  requests: number,
  tally: AbuseTally,
): Promise<void> {
  const wallet = `/v1/wallets/${encodeURIComponent('tenant-a:faults-victim')}`;
  const floods: {
    name: string;
    what: string;
    limit: number;
    target: string;
    answer: number;
    headers: () => [string, string][];
  }[] = [
    {
      name: 'rate flood without a key',
      what: `${requests} GETs of a public read without a key, 16 at a time, from one address`,
      limit: limits.addressRatePerSecond,
      target: publicRead,
      answer: 200,
      headers: () => [],
    },
    {
      name: 'rate flood of guessed keys',
      what: `${requests} GETs of a private wallet, each with another guessed key, 16 at a time`,
      limit: limits.addressRatePerSecond,
      target: wallet,
      answer: 401,
      headers: () => [
        [
          'authorization',
          `Bearer faults-guess-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
        ],
      ],
    },
    {
      name: 'rate flood with one key',
      what: `${requests} GETs of a public read with the full key, 16 at a time`,
      limit: limits.keyRatePerSecond,
      target: publicRead,
      answer: 200,
      headers: () => [['authorization', `Bearer ${keys.full}`]],
    },
  ];
  for (const flood of floods) {
    const counter = tally.category(
      'transport',
      flood.name,
      `${flood.what} (limit ${flood.limit}/s)`,
      `429 with Retry-After once over the limit; ${flood.answer} before`,
    );
    const { target } = flood;
    const guessing = target === wallet;
    let limited = 0;
    const started = Date.now();
    await forEachConcurrently(
      Array.from({ length: requests }, (_, i) => i),
      16,
      async () => {
        const answer = await rawRequest(origin, requestOf(origin, 'GET', target, flood.headers()));
        if (answer.status === 429) limited++;
        const fine =
          answer.status === 429 ? answer.headers['retry-after'] !== undefined : answer.status === flood.answer;
        // a guessed key let through (anything but a refusal) is a leak of the wallet
        const through =
          guessing &&
          typeof answer.status === 'number' &&
          answer.status < 500 &&
          answer.status !== 401 &&
          answer.status !== 403 &&
          answer.status !== 429;
        counter.record(
          `GET ${target} [${flood.name}]`,
          statusText(answer),
          fine ? 'ok' : through ? 'leak' : 'unexpected',
          answer.body,
          guessing,
        );
      },
    );
    const seconds = (Date.now() - started) / 1000;
    counter.measure('requests per second sent', Math.round(requests / seconds));
    // sent faster than the limit for long enough, some must have been refused
    if (requests / seconds > flood.limit * 1.5 && limited === 0)
      counter.record(
        `${flood.name}: the limit`,
        'never 429',
        'unexpected',
        `${requests} requests in ${seconds.toFixed(1)} s, limit ${flood.limit}/s`,
      );
    await sleep(1500);
  }
}
