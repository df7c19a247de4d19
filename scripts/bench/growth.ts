/**
 * Growth benchmark on this machine (not a test: it prints numbers). Does a service stay as fast when its state is
 * ten times today's benchmark state? For each service and size, on topics, group and schema of its own:
 *   1. the service started once on an empty topic and stopped, so its migrations made its tables;
 *   2. its tables seeded straight in Postgres, set-based (generate_series), then VACUUM ANALYZE, as autovacuum
 *      would have left tables that grew over time; how long that took;
 *   3. its drain rate on a fresh backlog aimed at that state (bench.drainReported), and p50/p99 of its read
 *      routes asked directly (not through the gateway: the state is the service's, the gateway's share is not
 *      what grows), after an untimed fifth as many.
 * Then the curve: per service, events/s and read p99 at each size, and each size's ratio to the first.
 * The state at 1× (× --scale, to try it small):
 *   counters: 1 M like registers (1,000 items × 1,000 past users each) and their users' seq windows;
 *   wallet:   100,000 wallets with --history credits each (entries, write records, balances);
 *   queue:    100,000 finished tickets over the benchmark's 20 queues, and their joins' write records.
 * Usage: node --import tsx scripts/bench/growth.ts [--services counters,wallet,queue] [--sizes 1,10]
 *          [--scale 1] [--history 10] [--events 100000] [--reads 2000] [--concurrency 4]
 */
import { parseArgs } from 'node:util';
import { BLOCK_SEQS } from '@tally/idempotency';
import { createPool, type Pool } from '@tally/storage';
import type { TestStack } from '@tally/testkit';
import * as bench from './lib.js';
import { ITEMS, LOAD_KINDS, QUEUES, serviceLoad, type LoadKind, type ServiceLoad } from './service-loads.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: LOAD_KINDS.join(',') },
    sizes: { type: 'string', default: '1,10' },
    scale: { type: 'string', default: '1' },
    history: { type: 'string', default: '10' },
    events: { type: 'string', default: '100000' },
    reads: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const KINDS = args.services.split(',') as LoadKind[];
const unknown = KINDS.filter((k) => !LOAD_KINDS.includes(k));
if (unknown.length > 0) throw new Error(`--services: unknown ${unknown.join(', ')} (known: ${LOAD_KINDS.join(', ')})`);
const SIZES = args.sizes.split(',').map(Number);
const SCALE = Number(args.scale);
const HISTORY = Number(args.history);
const EVENTS = Number(args.events);
const READS = Number(args.reads);
const CONCURRENCY = Number(args.concurrency);
const run = `bench_growth_${Date.now().toString(36)}`;
const out = bench.benchResults(
  { run, services: KINDS.join(', '), sizes: SIZES.map((s) => `${s}×`).join(', '), scale: SCALE, events: EVENTS },
  72,
);

/** What 1× holds of each service, before --scale: how many of what. */
const BASE: Record<LoadKind, { rows: number; of: string }> = {
  counters: { rows: 1_000_000, of: 'like registers' },
  wallet: { rows: 100_000, of: 'wallets' },
  queue: { rows: 100_000, of: 'tickets' },
};

/** One service at one size: its state's size, its own run names, and the load aimed at that state. */
interface Trial {
  kind: LoadKind;
  size: number;
  /** Rows of the seeded state that the size counts: registers, wallets or tickets. */
  rows: number;
  group: string;
  load: ServiceLoad;
}

function trialOf(kind: LoadKind, size: number): Trial {
  const rows = Math.round(size * SCALE * BASE[kind].rows);
  const name = `${run}_${kind}_${String(size).replace('.', '_')}`;
  // the wallet load credits and debits the seeded wallets; likes come from today's users, not the past ones
  const load = serviceLoad(kind, { run: name, redisPrefix: `tally:${run}:${name}` }, { likers: 50_000, wallets: rows });
  return { kind, size, rows, group: `${name}-group`, load };
}

const trials = KINDS.flatMap((kind) => SIZES.map((size) => trialOf(kind, size)));

/** The set-based statements that make a trial's state, and what they make in words. */
function seedStatements({ kind, rows, load }: Trial): { what: string; statements: string[] } {
  const s = load.schema;
  if (kind === 'counters') {
    const pastUsers = Math.ceil(rows / ITEMS);
    const windowBytes = (2 * BLOCK_SEQS) / 8;
    return {
      what: `${rows} like registers of ${pastUsers} past users, and their ${pastUsers * 12} seq windows`,
      statements: [
        `INSERT INTO ${s}.item_likes (item_id, user_id, liked, at_ms, "offset")
         SELECT 'item-' || (g % ${ITEMS}), 'past-user-' || (g / ${ITEMS}), g % 13 <> 0, ${Date.now() - 86_400_000} - g, 0
         FROM generate_series(0, ${rows - 1}) g`,
        // a window per past user and partition, as their likes of items on every partition left; nothing seen in it
        `INSERT INTO ${s}.seq_windows (scope, source, highest, seen, horizon)
         SELECT 'p' || p, 'past-user-' || u, 1000, decode(repeat('00', ${windowBytes}), 'hex'), 0
         FROM generate_series(0, ${pastUsers - 1}) u, generate_series(0, 11) p`,
        `VACUUM ANALYZE ${s}.item_likes`,
        `VACUUM ANALYZE ${s}.seq_windows`,
      ],
    };
  }
  if (kind === 'wallet') {
    const entries = rows * HISTORY;
    const commandId = `'past-shop:' || (w * ${HISTORY} + k)`;
    return {
      what: `${rows} wallets with ${HISTORY} credits each (${entries} entries and write records)`,
      statements: [
        `INSERT INTO ${s}.ledger_entries (user_id, command_id, type, asset, amount_minor, status, balance_after_minor,
           balance_delta_minor, applied_at, requested_at)
         SELECT 'user-' || w, ${commandId}, 'credit', 'coins', 100, 'applied', 100 * (k + 1), 100,
           now() - interval '1 day', now() - interval '1 day'
         FROM generate_series(0, ${rows - 1}) w, generate_series(0, ${HISTORY - 1}) k`,
        `INSERT INTO ${s}.ledger_writes (write_id, body, status, requested_at)
         SELECT ${commandId}, jsonb_build_object('type', 'CREDIT', 'user', 'user-' || w, 'asset', 'coins', 'amount', '100',
           'to', null, 'hold', null, 'timeout', null, 'members', null, 'reason', null, 'grant_users', null),
           'applied', now() - interval '1 day'
         FROM generate_series(0, ${rows - 1}) w, generate_series(0, ${HISTORY - 1}) k`,
        `INSERT INTO ${s}.balances (user_id, asset, balance_minor)
         SELECT 'user-' || w, 'coins', ${100 * HISTORY} FROM generate_series(0, ${rows - 1}) w`,
        `VACUUM ANALYZE ${s}.ledger_entries`,
        `VACUUM ANALYZE ${s}.ledger_writes`,
        `VACUUM ANALYZE ${s}.balances`,
      ],
    };
  }
  // finished tickets (completed, expired or left a day ago), before every join of the run in each queue's line
  const dayAgo = Date.now() - 86_400_000;
  return {
    what: `${rows} finished tickets over ${QUEUES.length} queues, and their joins' write records`,
    statements: [
      `INSERT INTO ${s}.tickets (queue_id, ticket_id, user_id, status, join_order, admitted_at_ms, expires_at_ms)
       SELECT 'concert-' || (g % ${QUEUES.length}), 'past-' || g, 'past-fan-' || g, (ARRAY['completed', 'expired', 'left'])[1 + g % 3],
         -1 - g, CASE WHEN g % 3 <> 2 THEN ${dayAgo} + g END, CASE WHEN g % 3 <> 2 THEN ${dayAgo + 30_000} + g END
       FROM generate_series(0, ${rows - 1}) g`,
      `INSERT INTO ${s}.join_writes (write_id, queue_id, user_id)
       SELECT 'past-app:' || g, 'concert-' || (g % ${QUEUES.length}), 'past-fan-' || g FROM generate_series(0, ${rows - 1}) g`,
      `VACUUM ANALYZE ${s}.tickets`,
      `VACUUM ANALYZE ${s}.join_writes`,
    ],
  };
}

/** The service's tables, made by its own migrations: it is started once (on a group of its own) and stopped. */
async function migrated(services: bench.BenchServices, trial: Trial): Promise<void> {
  const once = await services.start(trial.load.service, {
    CONSUMER_GROUP: `${trial.group}-migrate`,
    ...trial.load.env,
  });
  await once.stop('SIGTERM');
}

async function seed(pool: Pool, trial: Trial, note: bench.Note): Promise<void> {
  const { what, statements } = seedStatements(trial);
  const started = performance.now();
  for (const statement of statements) await pool.query(statement);
  note(`seeded ${what} (set-based, with VACUUM ANALYZE), s`, +((performance.now() - started) / 1000).toFixed(1));
}

/** Each read route timed after an untimed fifth as many; returns each route's p99. */
async function timeRoutes(serviceUrl: string, routes: ServiceLoad['reads'], note: bench.Note) {
  const client = bench.httpClient(serviceUrl);
  const p99s = new Map<string, number>();
  try {
    for (const [, pathOf] of routes) await bench.timeReads(client, Math.ceil(READS / 5), CONCURRENCY, pathOf);
    for (const [name, pathOf] of routes) {
      const { latencies } = await bench.timeReads(client, READS, CONCURRENCY, pathOf);
      note(`${name}: p50 / p99 ms`, bench.p50p99(latencies, 2));
      p99s.set(name, bench.percentile(latencies, 99));
    }
  } finally {
    client.close();
  }
  return p99s;
}

interface Measured {
  trial: Trial;
  eventsPerSecond: number;
  p99s: Map<string, number>;
}

async function measureTrial(
  stack: TestStack,
  services: bench.BenchServices,
  pool: Pool,
  trial: Trial,
): Promise<Measured> {
  const note: bench.Note = (name, value) => out.note(`${trial.kind} ${trial.size}×: ${name}`, value);
  console.log(`${trial.kind} at ${trial.size}× (${trial.rows} ${BASE[trial.kind].of})`);
  await migrated(services, trial);
  await seed(pool, trial, note);
  const drained = await bench.drainReported(
    note,
    stack,
    services,
    { ...trial.load.input, records: trial.load.records(EVENTS), unit: trial.load.unit },
    { name: trial.load.service, group: trial.group, env: trial.load.env },
  );
  const p99s = await timeRoutes(drained.service.url, trial.load.reads, note);
  // the next trial measures on cores this one no longer uses
  await drained.service.stop('SIGTERM');
  return { trial, eventsPerSecond: drained.eventsPerSecond, p99s };
}

/** "1× 12,000, 10× 11,000 (0.92)": a measure at each size, and each size's ratio to the first. */
function curve(values: number[], digits: number): string {
  const first = values[0]!;
  return values
    .map((v, i) => `${SIZES[i]}× ${+v.toFixed(digits)}${i > 0 ? ` (${(v / first).toFixed(2)})` : ''}`)
    .join(', ');
}

function noteCurves(measured: Measured[]) {
  for (const kind of KINDS) {
    const ofKind = measured.filter((m) => m.trial.kind === kind);
    if (ofKind.length === 0) continue;
    out.note(
      `${kind} curve: events/s by size (ratio to ${SIZES[0]}×)`,
      curve(
        ofKind.map((m) => m.eventsPerSecond),
        0,
      ),
    );
    for (const [route] of ofKind[0]!.trial.load.reads)
      out.note(
        `${kind} curve: ${route} p99 ms by size (ratio)`,
        curve(
          ofKind.map((m) => m.p99s.get(route)!),
          2,
        ),
      );
  }
}

async function measure(stack: TestStack, services: bench.BenchServices) {
  const pool = createPool(stack.databaseUrl);
  const measured: Measured[] = [];
  try {
    for (const trial of trials) measured.push(await measureTrial(stack, services, pool, trial));
  } finally {
    await pool.end();
    // what was measured before a failure is still worth its curve
    noteCurves(measured);
  }
}

void bench.runBench({
  title: `growth benchmark ${run}`,
  topics: trials.flatMap((t) => t.load.topics),
  created: {
    groups: trials.flatMap((t) => [t.group, `${t.group}-migrate`]),
    schemas: trials.map((t) => t.load.schema),
    redisPrefix: `tally:${run}`,
  },
  printJson: out.printJson,
  measure,
});
