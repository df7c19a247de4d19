/**
 * The targets of issue 21, read back from the numbers one `pnpm bench` run printed: each service against its
 * peer of the same run (counter-materializer ≥ 1.5× the Kafka Streams application, the wallet ≥ its naive
 * one-transaction-per-command consumer; the services without a peer keep the 20,000 events/s floor), write →
 * visible idle and at half load, reads at 1 and 32 connections through the gateway, the gateway's single and
 * batch writes against a bare Fastify route, growth to 10× state, and the sustained run's lag and GC.
 */
import type { Target } from './causes.js';

export type Results = Record<string, string | number>;

/** The value of the first result whose name starts with `prefix` (names carry run-specific numbers). */
export const valueOf = (results: Results | undefined, prefix: string) =>
  Object.entries(results ?? {}).find(([k]) => k.startsWith(prefix))?.[1];
/** "p50 / p99" pairs as numbers. */
export const pair = (value: string | number | undefined) =>
  String(value ?? '')
    .split('/')
    .map((v) => Number(v.trim()));

/** Each service's drain rate: the name of its benchmark and the prefix of its result. */
export const serviceRates: [string, string, string][] = [
  ['viewer-aggregator: heartbeats/s processed', 'viewers', 'aggregator: heartbeats/s processed'],
  ['counter-materializer: events/s processed', 'counters', 'counter-materializer: events/s processed'],
  ['wallet-ledger: commands/s processed', 'wallet', 'wallet-ledger: events/s processed'],
  ['queue-admitter: commands/s processed', 'queue', 'queue-admitter: events/s processed'],
  ['vote-merger region: ballots/s counted', 'votes', 'region jp: ballots/s counted'],
];

const FRESHNESS_BENCHES = ['viewers', 'counters', 'wallet', 'queue', 'votes'];

/** The background load asked and what the gateway or the topic actually took: a half load not delivered is said. */
function halfLoad(results: Results): string {
  const asked = /under (\d+)\/s load/.exec(
    Object.keys(results).find((k) => k.startsWith('POST → visible in GET, under')) ?? '',
  )?.[1];
  const accepted =
    valueOf(results, 'background load actually accepted') ?? valueOf(results, '  background load actually accepted');
  return `${asked ?? '?'}/s asked, ${accepted ?? '?'}/s accepted`;
}

const atLeast = (what: string, value: unknown, floor: number, unit = ''): Target => ({
  what,
  measured: Number(value),
  target: `≥ ${floor.toLocaleString('en')}${unit}`,
  met: Number(value) >= floor,
});
const atMost = (what: string, value: unknown, ceiling: number, unit = ''): Target => ({
  what,
  measured: Number(value),
  target: `≤ ${ceiling.toLocaleString('en')}${unit}`,
  met: Number(value) <= ceiling,
});
const p99 = (what: string, value: string | number | undefined, limit: number) =>
  atMost(what, pair(value)[1] ?? NaN, limit, ' ms (p99)');

/** Wallet and ticket reads are private (a user's own); every other read is a public aggregate. */
const isPrivateRead = (route: string) => /\/wallets\/|\/tickets\//.test(route);

function rateTargets(results: Record<string, Results>): Target[] {
  const counters = results.counters;
  const wallet = results.wallet;
  return [
    atLeast(
      'counter-materializer ÷ Kafka Streams peer (same backlog, same run)',
      valueOf(counters, 'counter-materializer ÷ kafka streams peer'),
      1.5,
      '×',
    ),
    atLeast(
      'wallet-ledger ÷ naive peer (same backlog, same run)',
      valueOf(wallet, 'wallet-ledger ÷ naive peer'),
      1,
      '×',
    ),
    atMost(
      'counters: items whose counts differ from the backlog’s (Tally + peer)',
      pair(valueOf(counters, 'exact counts'))
        .slice(1)
        .reduce((a, b) => a + b, 0),
      0,
    ),
    atMost('wallet: balances that differ from the naive peer’s', pair(valueOf(wallet, 'balances checked'))[1], 0),
    ...serviceRates
      .filter(([, bench]) => bench !== 'counters' && bench !== 'wallet')
      .map(([what, bench, prefix]) => atLeast(`${what} (no peer yet)`, valueOf(results[bench], prefix), 20_000, '/s')),
  ];
}

function freshnessTargets(results: Record<string, Results>): Target[] {
  return FRESHNESS_BENCHES.flatMap((bench) => [
    p99(`${bench}: write → visible, idle`, valueOf(results[bench], 'POST → visible in GET, idle'), 50),
    p99(
      `${bench}: write → visible at half load (${halfLoad(results[bench] ?? {})})`,
      valueOf(results[bench], 'POST → visible in GET, under'),
      250,
    ),
  ]);
}

function readTargets(results: Record<string, Results>): Target[] {
  const gateway = Object.entries(results.gateway ?? {});
  const at32 = gateway.filter(([name]) => /^GET .*: p50 \/ p99 ms, 32 connections$/.test(name));
  const wallet = Object.entries(results.wallet ?? {}).filter(([name]) =>
    name.startsWith('GET balance p99 ÷ naive SUM p99, '),
  );
  return [
    ...at32.map(([name, value]) => {
      const route = name.split(':')[0]!;
      return p99(`read ${route}, 32 connections (through the gateway)`, value, isPrivateRead(route) ? 10 : 5);
    }),
    ...wallet.map(([name, value]) => atMost(`wallet: ${name}`, value, 1, '×')),
  ];
}

function gatewayTargets(results: Record<string, Results>): Target[] {
  return [
    atLeast(
      'gateway: single like ÷ bare Fastify route (autocannon)',
      valueOf(results.ingest, 'single like ÷ bare'),
      0.5,
      '×',
    ),
    atLeast(
      'gateway: batch ingestion, lowest items/s of any batch route',
      valueOf(results.ingest, 'batch ingestion: lowest items/s'),
      100_000,
      '/s',
    ),
  ];
}

/** "1× 12,000, 10× 11,000 (0.92)" → the last size's ratio to the first. */
const lastRatio = (curve: string | number | undefined) => Number(/\(([\d.]+)\)\s*$/.exec(String(curve ?? ''))?.[1]);

function growthTargets(results: Record<string, Results>): Target[] {
  return Object.entries(results.growth ?? {})
    .filter(([name]) => / curve: /.test(name))
    .map(([name, value]) =>
      name.includes('events/s')
        ? atLeast(`growth: ${name}, largest ÷ smallest`, lastRatio(value), 0.8, '×')
        : atMost(`growth: ${name}, largest ÷ smallest`, lastRatio(value), 1.2, '×'),
    );
}

function sustainedTargets(results: Record<string, Results>): Target[] {
  const sustained = results.sustained;
  if (!sustained) return [];
  const bounded = valueOf(sustained, 'lag bounded');
  return [
    {
      what: `sustained: lag over the run at 80% of the drain rate (${valueOf(sustained, 'lag curve')})`,
      measured: Number(valueOf(sustained, 'lag slope over the second half')),
      target: 'bounded (second-half slope ≤ 1% of the rate sent)',
      met: bounded === 'yes',
    },
    atMost('sustained: GC share of busy CPU', valueOf(sustained, 'GC share of busy CPU %'), 10, '%'),
  ];
}

export function targetsOf(results: Record<string, Results>): Target[] {
  return [
    ...rateTargets(results),
    ...freshnessTargets(results),
    ...readTargets(results),
    ...gatewayTargets(results),
    ...growthTargets(results),
    ...sustainedTargets(results),
    ...waitingRoomTargets(results),
  ];
}

/** Issue 22: the first estimate a fan is shown comes true within ±25% for the median fan of a simulated sale. */
function waitingRoomTargets(results: Record<string, Results>): Target[] {
  const median = String(valueOf(results['waiting-room'], 'sale: first estimate error ÷ wait, median |error|') ?? '');
  return [atMost('waiting room: first estimate’s error ÷ the wait, median fan', parseFloat(median), 25, '%')];
}
