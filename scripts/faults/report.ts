/**
 * docs/RELIABILITY.md and docs/reliability.json from one fault run. Generated: edit this file and run
 * `pnpm faults`, not the documents.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tally/stack';
import type { AbuseReport } from './abuse.js';
import type { FuzzReport } from './fuzz.js';
import type { InvariantResult } from './invariants.js';
import { LEDGER_VERIFY_INVARIANT } from './workload/check-ledger.js';

export interface FaultOutcome {
  fault: string;
  how: string;
  detail?: string;
  /** The fault's own numbers (records read, writes sent late, ...), when it has any. */
  numbers?: Record<string, number>;
  /** The injection or the repair itself failed (the service did not come back, ...). */
  error?: string;
  repairedMs: number;
  checkMs: number;
  invariants: InvariantResult[];
  survived: boolean;
}

export interface RunRecord {
  started: Date;
  finished: Date;
  quick: boolean;
  rate: number;
  outcomes: FaultOutcome[];
  stats: unknown;
  /** Absent from a cluster run, which leaves fuzzing to the single-broker run. */
  fuzz?: FuzzReport;
  /** What a cluster run (`pnpm faults --cluster`) ran on; absent from a single-broker run. */
  cluster?: { brokers: number; redisNodes: number; instancesPerService: number; services: number };
  /** The abuse phase (absent in records of runs before it existed). */
  abuse?: AbuseReport;
}

const cell = (value: unknown) =>
  String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** Lost and doubled events an invariant reports (0 when it counts none). */
const lostAndDoubled = (results: InvariantResult[]) =>
  results.reduce((sum, r) => ({ lost: sum.lost + (r.lost ?? 0), doubled: sum.doubled + (r.doubled ?? 0) }), {
    lost: 0,
    doubled: 0,
  });

function statsTable(stats: unknown): string[] {
  if (!stats || typeof stats !== 'object') return [`\`${JSON.stringify(stats)}\``];
  const rows = Object.entries(stats as Record<string, unknown>);
  const columns = [...new Set(rows.flatMap(([, v]) => (v && typeof v === 'object' ? Object.keys(v) : ['value'])))];
  return [
    `| | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...rows.map(
      ([k, v]) =>
        `| ${k} | ${columns.map((c) => cell(v && typeof v === 'object' ? (v as Record<string, unknown>)[c] : c === 'value' ? v : '')).join(' | ')} |`,
    ),
  ];
}

/** The rebuild's outcome, if the run had one (the last fault of the schedule). */
const rebuildOf = (run: RunRecord) => run.outcomes.find((o) => o.fault.startsWith('rebuild'));

/** What the late topic held of the workload's late writes at the last check, both products together. */
function lateSummary(run: RunRecord): string {
  const late = (run.outcomes.at(-1)?.invariants ?? []).filter((i) => i.invariant.startsWith('late topic'));
  if (late.length === 0) return 'not checked';
  const expected = late.reduce((n, i) => n + (i.matched ?? 0) + (i.lost ?? 0), 0);
  const matched = late.reduce((n, i) => n + (i.matched ?? 0), 0);
  return `${matched} of ${expected}${late.every((i) => i.ok) ? ', and nothing else of the workload’s' : ' (see Failures)'}`;
}

/** The wallet ledger's own verify (`tally ledger verify`) over the run: how often it ran, what it found. */
function ledgerVerifySummary(run: RunRecord): string {
  const checks = run.outcomes.flatMap((o) => o.invariants).filter((i) => i.invariant === LEDGER_VERIFY_INVARIANT);
  if (checks.length === 0) return 'not run';
  const violations = checks.reduce((n, i) => n + (i.violations ?? 0), 0);
  const unread = checks.filter((i) => i.violations === undefined).length;
  return `${checks.length} runs, ${violations} violations${unread ? `, ${unread} runs could not read the ledger (see Failures)` : ''}`;
}

const numbersText = (numbers: Record<string, number> | undefined) =>
  Object.entries(numbers ?? {})
    .map(([k, v]) => `${k.replace(/([A-Z])/g, ' $1').toLowerCase()}: ${v}`)
    .join('; ');

function markdown(run: RunRecord): string {
  const faults = run.outcomes.slice(1);
  const survived = faults.filter((o) => o.survived).length;
  const checks = run.outcomes.flatMap((o) => o.invariants);
  const failures = run.outcomes.flatMap((o) =>
    o.invariants.filter((i) => !i.ok).map((i) => ({ fault: o.fault, ...i })),
  );
  const totals = lostAndDoubled(checks);
  const ambiguous = checks.reduce((n, i) => n + (i.ambiguous ?? 0), 0);
  const viewerChecks = checks.filter((i) => i.ambiguous !== undefined).length;
  const rebuild = rebuildOf(run);
  const once = run.outcomes.flatMap((o) => o.invariants.filter((i) => i.once).map((i) => ({ fault: o.fault, ...i })));
  const withNumbers = run.outcomes.filter((o) => o.numbers && Object.keys(o.numbers).length > 0);
  const minutes = ((run.finished.getTime() - run.started.getTime()) / 60_000).toFixed(1);
  return [
    ...(run.cluster
      ? clusterIntro(run, minutes)
      : [
          '# Reliability',
          '',
          `One run of \`pnpm faults${run.quick ? ' --quick' : ''}\` on ${run.started.toISOString()} (${minutes} min): ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
            `A Tally of the run's own (one Kafka broker, the schema registry, Redis, Postgres, the ten service processes) under mixed load through the gateway (${run.rate} requests/s asked; what was sent and accepted is in the table below), ` +
            'every fault injected while the load runs (or, where it says so, while it is paused), then the load paused and every invariant checked exactly through the public API, ' +
            'and the wallet ledger’s own invariants over its whole Postgres schema (`tally ledger verify`: balances and holds against their entries, the chains, transfers balanced, every entry’s write recorded; 0 violations expected). ' +
            'Besides crashes of every process and of Kafka, Redis and Postgres, duplicated and reordered deliveries and a full replay, the run skews clocks (devices 60 s behind, 45 s ahead, never set), ' +
            'retries a write after thousands of newer ones of its source, sends a burst of data hours and minutes late (which the services must set aside in the late topic, exactly those writes), ' +
            'and rebuilds every service from the topics into empty state; at the end it fuzzes the HTTP API and attacks it from outside (see Abuse). Live viewers are judged by the gateway’s receipt time, which a client knows only up to the round trip of its request: ' +
            'that check is a range (sessions certainly live ≤ observed ≤ sessions possibly live), exact but for the sessions whose newest heartbeat’s round trip straddles the window’s edge (counted below). ' +
            'Generated by scripts/faults/run.ts: edit that, not this file. The cluster run (three brokers, a Redis Cluster, two instances of every service) is in [RELIABILITY-CLUSTER.md](RELIABILITY-CLUSTER.md).',
        ]),
    '',
    '## Summary',
    '',
    '| measure | value |',
    '|---|---|',
    `| faults injected | ${faults.length} |`,
    `| faults survived (repaired, and every invariant held afterwards) | ${survived} of ${faults.length} |`,
    `| invariant checks run / failed | ${checks.length} / ${failures.length} |`,
    `| events lost / doubled, over all checks | ${totals.lost} / ${totals.doubled} |`,
    `| late writes found in the late topic (last check) | ${lateSummary(run)} |`,
    `| \`tally ledger verify\` after each fault: the wallet ledger's own invariants over its whole schema | ${ledgerVerifySummary(run)} |`,
    `| viewer sessions ambiguous by their heartbeat’s round trip, over ${viewerChecks} viewer checks | ${ambiguous} |`,
    `| rebuild of every service: records read, time to lag 0 | ${rebuild?.numbers ? `${rebuild.numbers.recordsRead} records, ${rebuild.numbers.secondsToLagZero} s (${rebuild.numbers.secondsInAll} s in all)` : 'not run'} |`,
    ...fuzzSummary(run.fuzz),
    ...(run.cluster ? [] : abuseSummary(run.abuse)),
    '',
    '## Events sent and counted',
    '',
    ...statsTable(run.stats),
    '',
    '## Faults',
    '',
    '| fault | how | detail | repaired in | check took | invariants held | |',
    '|---|---|---|---|---|---|---|',
    ...run.outcomes.map(
      (o) =>
        `| ${cell(o.fault)} | ${cell(o.how)} | ${cell(o.error ? `injection failed: ${o.error}` : o.detail)} | ${(o.repairedMs / 1000).toFixed(1)} s | ${(o.checkMs / 1000).toFixed(1)} s | ${o.invariants.filter((i) => i.ok).length} / ${o.invariants.length} | ${o.survived ? 'survived' : '**failed**'} |`,
    ),
    '',
    ...(withNumbers.length === 0
      ? []
      : [
          '### Their numbers',
          '',
          '| fault | numbers |',
          '|---|---|',
          ...withNumbers.map((o) => `| ${cell(o.fault)} | ${cell(numbersText(o.numbers))} |`),
          '',
        ]),
    '## Invariants checked after each fault',
    '',
    '| product | invariant | expected (last check) | observed (last check) |',
    '|---|---|---|---|',
    ...(run.outcomes.at(-1)?.invariants ?? [])
      .filter((i) => !i.once)
      .map((i) => `| ${i.product} | ${cell(i.invariant)} | ${cell(i.expected)} | ${cell(i.observed)} |`),
    '',
    ...(once.length === 0
      ? []
      : [
          '## Checks made once, after their fault',
          '',
          '| fault | product | invariant | expected | observed | |',
          '|---|---|---|---|---|---|',
          ...once.map(
            (i) =>
              `| ${cell(i.fault)} | ${i.product} | ${cell(i.invariant)} | ${cell(i.expected)} | ${cell(i.observed)} | ${i.ok ? 'held' : '**failed**'} |`,
          ),
          '',
        ]),
    '## Failures',
    '',
    ...(failures.length === 0
      ? ['None.']
      : failures.map(
          (f) =>
            `- after **${cell(f.fault)}**: ${f.product}: ${cell(f.invariant)}: expected ${cell(f.expected)}, observed ${cell(f.observed)}`,
        )),
    '',
    ...fuzzSection(run.fuzz),
    ...(run.cluster ? [] : abuseSection(run.abuse)),
  ].join('\n');
}

function abuseSummary(abuse: AbuseReport | undefined): string[] {
  if (!abuse) return ['| abuse | not run |'];
  const t = abuse.totals;
  return [
    `| abuse: requests, connections and tokens tried | ${t.tried}, over ${abuse.routes.length} private routes${abuse.error ? ` (stopped: ${cell(abuse.error)})` : ''} |`,
    `| abuse: private reads leaked (any answer but 401/403/429 without the right credentials) | ${t.privateReadLeaks} |`,
    `| abuse: other leaks (writes let through, forged tokens valid, guessed tickets found) | ${t.leaks - t.privateReadLeaks} |`,
    `| abuse: 5xx answers | ${t.serverErrors} |`,
    `| abuse: connections dropped where an answer was due | ${t.dropped} |`,
    `| abuse: controls failed (the right credentials refused) / refused otherwise than documented | ${t.controlsFailed} / ${t.unexpected} |`,
  ];
}

const GROUP_TITLES: Record<string, string> = {
  access: 'Access to private routes',
  tickets: 'Ticket ids',
  tokens: 'Admission tokens',
  transport: 'Transport and limits',
};

function abuseSection(abuse: AbuseReport | undefined): string[] {
  if (!abuse) return [];
  const t = abuse.totals;
  const l = abuse.limits;
  const outcomes = (o: Record<string, number>, numbers?: Record<string, number>) =>
    `${Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}${numbers ? `; ${numbersText(numbers)}` : ''}`;
  const bad = (c: AbuseReport['categories'][number]) =>
    c.leaks + c.serverErrors + c.dropped + c.controlsFailed + c.unexpected > 0;
  return [
    '## Abuse',
    '',
    `After the faults, the run attacks its own Tally from outside, through HTTP only, for ${abuse.seconds} s, and counts. ` +
      `The gateway runs with explicit API_KEYS (a full key; a writer key with every write scope and no read scope; a tenant key limited to users and queues tenant-b:*; an operator key with console:read alone), its own TICKET_KEY, and the admitter with its own ADMISSION_SIGNING_KEYS, which the suite also holds. ` +
      'It first makes real data through the API: a wallet with transactions in each tenant, a queue in each with six tickets joined and two admitted. ' +
      `**Access**: every private route of the OpenAPI document (every operation with \`security\`, so a new one is attacked without a change to the suite) and the console's event stream, ${abuse.routes.length} in all, with the other tenant's real ids: ` +
      'without a key, with a garbage key, with malformed Authorization headers, with the key in the query or other headers, with a ticket secret as a key, with keys lacking the scope, with the tenant key, as HEAD, with percent-encoded ids; tickets also with other tickets’ secrets and under another queue; the console showing a wallet to keys that may not read it. ' +
      'Any answer but 401, 403 or 429 is a leak (a 404 or a 400 shows the request got past the check); the right credentials must read (the controls). ' +
      '**Ticket ids**: for every real join, its id under the old unkeyed scheme (t_ + 24 hex of sha256(queue, source, seq)) and under the public development TICKET_KEY, read with a full queues:read key, must be unknown (404); random well-formed ids with the full key must find nothing, with forged or other tickets’ secrets be refused. ' +
      '**Admission tokens**, at the verify route and offline with jose against the published JWKS (issuer and queue as audience): alg none, alg switched to HMAC keyed with the public key, payload changed under the real signature, expired (minted with the run’s signing key), a real token at another queue, a fresh key under the real kid, unknown kids, keys in the header, garbage; each refused, the real tokens valid, and the token of a ticket that left void at the route. ' +
      `**Transport and limits**, on a second gateway with tight limits (CONNECTIONS_PER_ADDRESS ${l.connectionsPerAddress}, ADDRESS_RATE_LIMIT_PER_SECOND ${l.addressRatePerSecond}, RATE_LIMIT_PER_SECOND ${l.keyRatePerSecond}, CONSOLE_STREAMS_PER_KEY ${l.consoleStreamsPerKey}): more idle connections than the cap from one address (another loopback address must still be served), idle, slowloris and slow-body clients (the headers and request timeouts are fixed at 10 s and 30 s and checked every second: such a client is answered 408 and cut off about a second after its timeout, as measured below), header floods, bodies over every route's limit, JSON nested 100,000 deep, rate floods, and more console streams than one key may hold. ` +
      'A request past a size limit is answered 413 as soon as the gateway sees it is too large, and the rest of its body is read and thrown away (bounded by the request timeout), so a client still sending gets the answer; a reset before the answer would be counted apart (“reset while still sending”), not as a dropped connection.',
    '',
    `Refusals by status, over every attack: \`${JSON.stringify(t.refusalsByStatus)}\`. Leaks ${t.leaks} (private reads ${t.privateReadLeaks}), 5xx ${t.serverErrors}, dropped connections ${t.dropped}, controls failed ${t.controlsFailed}, refused otherwise than documented ${t.unexpected}.`,
    '',
    '| group | attack | what was sent | expected | tried | outcomes | |',
    '|---|---|---|---|---|---|---|',
    ...abuse.categories.map(
      (c) =>
        `| ${GROUP_TITLES[c.group] ?? c.group} | ${cell(c.name)} | ${cell(c.what)} | ${cell(c.expected)} | ${c.tried} | ${cell(outcomes(c.outcomes, c.numbers))} | ${bad(c) ? `**failed**: ${[c.leaks && `${c.leaks} leaks`, c.serverErrors && `${c.serverErrors} 5xx`, c.dropped && `${c.dropped} dropped`, c.controlsFailed && `${c.controlsFailed} controls failed`, c.unexpected && `${c.unexpected} unexpected`].filter(Boolean).join(', ')}` : 'held'} |`,
    ),
    '',
    ...(abuse.error ? [`The phase stopped early: ${cell(abuse.error)}`, ''] : []),
    ...(abuse.findings.length === 0
      ? ['No leak, no 5xx, no dropped connection, no control refused.']
      : [
          '| attack | verdict | request | answer |',
          '|---|---|---|---|',
          ...abuse.findings.map(
            (f) => `| ${cell(f.category)} | ${f.verdict} | ${cell(f.request)} | ${cell(f.answer)} |`,
          ),
          ...(abuse.findingsOmitted > 0 ? ['', `and ${abuse.findingsOmitted} more.`] : []),
        ]),
    '',
  ];
}

/** Writes both documents; returns their paths relative to the repository. */
export function writeReliabilityReport(run: RunRecord): string[] {
  const docs = join(repoRoot, 'docs');
  mkdirSync(docs, { recursive: true });
  const [page, data] = run.cluster
    ? ['RELIABILITY-CLUSTER.md', 'reliability-cluster.json']
    : ['RELIABILITY.md', 'reliability.json'];
  writeFileSync(join(docs, data), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(docs, page), `${markdown(run)}\n`);
  return [`docs/${page}`, `docs/${data}`];
}

function fuzzSummary(fuzz: FuzzReport | undefined): string[] {
  if (!fuzz) return ['| HTTP fuzzing | not run (the single-broker run’s, RELIABILITY.md) |'];
  return [
    `| HTTP fuzzing: requests | ${fuzz.requests} |`,
    `| HTTP fuzzing: 5xx answers or dropped connections | ${fuzz.serverErrors} |`,
    `| invalid-only requests: answered other than 4xx | ${fuzz.invalidOnly.non4xx} of ${fuzz.invalidOnly.requests} |`,
    `| invalid-only requests: records written to Kafka | ${fuzz.invalidOnly.topicRecordsWritten} |`,
  ];
}

function fuzzSection(fuzz: FuzzReport | undefined): string[] {
  if (!fuzz) return [];
  return [
    '## HTTP fuzzing',
    '',
    `${fuzz.requests} random and mutated requests (bodies, headers, paths, methods) over every route of the OpenAPI document; answers by status: \`${JSON.stringify(fuzz.byStatus)}\`.`,
    '',
    ...(fuzz.findings.length === 0
      ? ['No 5xx answer and no dropped connection.']
      : [
          '| method | path | status | response |',
          '|---|---|---|---|',
          ...fuzz.findings.map((f) => `| ${f.method} | ${cell(f.path)} | ${f.status} | ${cell(f.response)} |`),
        ]),
    '',
  ];
}

function clusterIntro(run: RunRecord, minutes: string): string[] {
  const c = run.cluster!;
  return [
    '# Reliability on a cluster',
    '',
    `One run of \`pnpm faults --cluster\` on ${run.started.toISOString()} (${minutes} min): ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
      `A Tally of the run's own on this one machine: ${c.brokers} Kafka brokers (KRaft, every topic replicated ${c.brokers} times with min.insync.replicas 2, producers acks=all), ` +
      `a Redis Cluster of ${c.redisNodes} nodes (three primaries, one replica each), the schema registry, Postgres, and ${c.instancesPerService} instances of each of the ${c.services} services (gateway included), ` +
      'each service’s instances behind a round-robin TCP balancer as a Kubernetes Service would be, the consumers sharing partitions through their consumer group. ' +
      `Mixed load through the gateways (${run.rate} requests/s asked); every fault injected under load (or, where it says so, with the load paused), then the load paused and every invariant checked exactly through the public API, ` +
      'with the wallet ledger’s own `tally ledger verify` over its whole schema. The faults only a cluster has are here; late data, skewed clocks, replays, rebuilds, fuzzing and abuse are in the single-broker run, [RELIABILITY.md](RELIABILITY.md). ' +
      'Rebalance pauses are each member’s time from learning of a rebalance to rejoining with an assignment (`tally_consumer_rebalance_pause_seconds`): kafkajs’s eager protocol revokes every partition of every member, so a member consumes nothing meanwhile. ' +
      'Generated by scripts/faults/run.ts: edit that, not this file.',
  ];
}
