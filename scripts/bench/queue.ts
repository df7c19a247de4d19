/**
 * Waiting-queue benchmark on this machine (not a test: it prints numbers). queue-admitter and ingest-gateway as
 * their own processes on per-run topics, consumer group, schema and Redis prefix; one after another:
 *   1. events/s: the admitter drains a backlog of commands over 20 queues of capacity 100 (joins, skewed to
 *      popular queues; leaves; completes; ~10% repeats of the same (source, seq)), produced straight to its
 *      topic; from its first processed record to lag 0, admission rounds running as they do in production;
 *   2. reads: p50/p99 of each GET route through the gateway, at a fixed concurrency, on those queues;
 *   3. POST → visible: a join through the gateway until GET .../tickets/{ticketId} answers it, idle and then under
 *      background joins at half the rate of 1, POSTed to the gateway's batch route every 20 ms;
 *   4. the naive way: a row per ticket and a COUNT(*) of the waiting rows ahead per position read.
 * Usage: node --import tsx scripts/bench/queue.ts [--quick] [--commands 200000] [--probes 200] [--reads 3000] [--concurrency 4]
 * (--quick: 30,000 commands, 40 probes, 500 reads per route; a size given explicitly wins)
 */
import type { QueueCommand } from '@tally/schemas';
import { createPool } from '@tally/storage';
import type { OutgoingRecord } from '@tally/streaming';
import type { TestStack } from '@tally/testkit';
import { DEVELOPMENT_TICKET_KEY, TOPICS, ticketFor } from '@tally/contracts';
import { toCompleteCommand, toConfigureCommand, toJoinCommand, toLeaveCommand } from '@tally/ingest-gateway';
import * as bench from './lib.js';

const {
  commands: COMMANDS,
  probes: PROBES,
  reads: READS,
  concurrency: CONCURRENCY,
} = bench.benchSizes(
  { commands: 200_000, probes: 200, reads: 3000, concurrency: 4 },
  { commands: 30_000, probes: 40, reads: 500, concurrency: 4 },
);
const QUEUES = Array.from({ length: 20 }, (_, i) => `concert-${i}`);
const CAPACITY = 100;
const run = `bench_queue_${Date.now().toString(36)}`;
const topics = {
  commands: `bench.${run}.queue-commands`,
  events: `bench.${run}.queue-events`,
  deadLetters: `bench.${run}.dead-letters`,
};
const group = `${run}-admitter`;
const naiveSchema = `naive_${run}`;
const redisPrefix = `tally:${run}`;
const apiKey = {
  key: 'bench-queue-key-0123456789abcdef',
  name: 'bench-queue',
  scopes: ['queues:write', 'queues:admin', 'queues:read'],
};
const out = bench.benchResults({
  run,
  commands: COMMANDS,
  probes: PROBES,
  'reads per route': READS,
  'read concurrency': CONCURRENCY,
});

interface Joined {
  queueId: string;
  ticketId: string;
  userId: string;
  /** The join's seq (source bench-app), to send the very same join again. */
  seq: number;
}

interface Backlog {
  records: OutgoingRecord<QueueCommand>[];
  joins: Joined[];
  left: Joined[];
}

/** Popular queues get most joins: an index skewed to the low end. */
const popularQueue = () => QUEUES[Math.floor(QUEUES.length * Math.random() ** 2)]!;

/**
 * Every queue configured first, then joins (80%) by users of whom some join twice, leaves (7%) of tickets joined
 * earlier, completes (3%) of the first tickets of a queue (the ones admitted first), and ~10% repeats of a join
 * already sent (a client retrying the same (source, seq)).
 */
function queueBacklog(size: number): Backlog {
  const now = Date.now();
  const records: OutgoingRecord<QueueCommand>[] = [];
  const add = (command: QueueCommand) => records.push({ key: command.queueId, value: command });
  const joins: Joined[] = [];
  const left: Joined[] = [];
  const firstIn = new Map<string, Joined[]>(QUEUES.map((q) => [q, []]));
  let gatewaySeq = 0;
  const gatewayKey = () => ({ source: 'bench-gateway', seq: gatewaySeq++ });
  for (const queueId of QUEUES)
    add(toConfigureCommand(queueId, { capacity: CAPACITY, activeSeconds: 180 }, gatewayKey(), now));
  for (let seq = 0; records.length < size; seq++) {
    const r = Math.random();
    if (r < 0.1 && joins.length > 0) {
      const again = bench.pick(joins);
      add(
        toJoinCommand(
          again.queueId,
          { source: 'bench-app', seq: again.seq, userId: again.userId },
          again.ticketId,
          now,
        ),
      );
    } else if (r < 0.17 && joins.length > 0) {
      const ticket = bench.pick(joins);
      left.push(ticket);
      add(toLeaveCommand(ticket.queueId, ticket.ticketId, gatewayKey(), now));
    } else if (r < 0.2 && joins.length > 0) {
      const first = firstIn.get(popularQueue())!;
      const ticket = bench.pick(first.length > 0 ? first : joins);
      add(toCompleteCommand(ticket.queueId, ticket.ticketId, gatewayKey(), now));
    } else {
      const queueId = popularQueue();
      const join = { source: 'bench-app', seq, userId: `fan-${Math.floor(Math.random() * size)}` };
      const { ticketId } = ticketFor(DEVELOPMENT_TICKET_KEY, queueId, join);
      const command = toJoinCommand(queueId, join, ticketId, now);
      const joined = { queueId, ticketId: command.ticketId!, userId: command.userId!, seq };
      joins.push(joined);
      if (firstIn.get(queueId)!.length < CAPACITY) firstIn.get(queueId)!.push(joined);
      add(command);
    }
  }
  return { records, joins, left };
}

async function ticketMix(databaseUrl: string) {
  const pool = createPool(databaseUrl);
  const { rows } = await pool.query(
    `SELECT status, count(*)::int AS n FROM ${run}.tickets GROUP BY status ORDER BY status`,
  );
  await pool.end();
  out.note('queue-admitter: tickets by status', rows.map((r) => `${r.status} ${r.n}`).join(', '));
}

function measureReads(clients: { gateway: bench.HttpClient; service: bench.HttpClient }, backlog: Backlog) {
  const routes: [string, () => string][] = [
    ['GET /v1/queues/{queueId}', () => `/v1/queues/${bench.pick(QUEUES)}`],
    [
      'GET /v1/queues/{queueId}/tickets/{ticketId}',
      () => {
        const t = bench.pick(backlog.joins);
        return `/v1/queues/${t.queueId}/tickets/${t.ticketId}`;
      },
    ],
  ];
  return bench.measureReadRoutes(out.note, { ...clients, serviceName: 'queue-admitter' }, routes, READS, CONCURRENCY);
}

let probeSeq = 0;
/** A join through the gateway, until GET of its ticket through the gateway answers 200 (the admitter has it). */
function probeJoins(gateway: bench.HttpClient, label: string) {
  return bench.writeToVisible(
    PROBES,
    async () => {
      const seq = probeSeq++;
      const queueId = `probe-${label}`;
      const reply = bench.expectStatus(
        await gateway.send('POST', `/v1/queues/${queueId}/tickets`, {
          source: 'bench-probe',
          seq,
          userId: `probe-user-${seq}`,
        }),
        202,
        'probe join',
      );
      return { queueId, ticketId: (JSON.parse(reply.body) as { ticketId: string }).ticketId };
    },
    async ({ queueId, ticketId }) => (await gateway.get(`/v1/queues/${queueId}/tickets/${ticketId}`)).status === 200,
  );
}

/**
 * The tick's share of joins as a site's backend sends what its fans did in the last 20 ms: one request to the
 * batch route, each join an item of it; how many Kafka acknowledged.
 */
function joinLoad(gateway: bench.HttpClient) {
  let seq = 0;
  return async (count: number) => {
    const items = Array.from({ length: count }, () => ({
      queueId: popularQueue(),
      source: 'bench-load',
      seq: seq++,
      userId: `load-fan-${seq}`,
    }));
    const reply = await gateway.send('POST', '/v1/queues/tickets/batch', { items });
    return reply.status === 200 ? (JSON.parse(reply.body) as { accepted: number }).accepted : 0;
  };
}

/** A row per ticket, and a position as the COUNT(*) of the queue's waiting rows joined before it, per read. */
async function measureNaive(databaseUrl: string, backlog: Backlog, ourTicketP99: number) {
  const pool = createPool(databaseUrl, CONCURRENCY + 1);
  const line = `${naiveSchema}.waiting_line`;
  await pool.query(`CREATE SCHEMA ${naiveSchema}`);
  await pool.query(
    `CREATE TABLE ${line} (queue_id text NOT NULL, ticket_id text NOT NULL, user_id text NOT NULL, status text NOT NULL DEFAULT 'waiting', join_order bigint GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (queue_id, ticket_id))`,
  );
  await pool.query(`CREATE INDEX ON ${line} (queue_id, join_order)`);
  for (let i = 0; i < backlog.joins.length; i += 10_000) {
    const page = backlog.joins.slice(i, i + 10_000);
    await pool.query(
      `INSERT INTO ${line} (queue_id, ticket_id, user_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [page.map((j) => j.queueId), page.map((j) => j.ticketId), page.map((j) => j.userId)],
    );
  }
  await pool.query(
    `UPDATE ${line} l SET status = 'left' FROM unnest($1::text[], $2::text[]) AS t(q, id) WHERE l.queue_id = t.q AND l.ticket_id = t.id`,
    [backlog.left.map((j) => j.queueId), backlog.left.map((j) => j.ticketId)],
  );
  await pool.query(`ANALYZE ${line}`);
  out.note('naive: ticket rows', backlog.joins.length);

  const insert = (i: number) =>
    pool.query(`INSERT INTO ${line} (queue_id, ticket_id, user_id) VALUES ($1, $2, $3)`, [
      bench.pick(QUEUES),
      `naive-${i}`,
      `naive-fan-${i}`,
    ]);
  out.note('naive writes: one INSERT per event, events/s', Math.round(await bench.sequentialRate(5, insert)));
  const position = async () => {
    const t = bench.pick(backlog.joins);
    await pool.query(
      `SELECT count(*) FROM ${line} w WHERE w.queue_id = $1 AND w.status = 'waiting' AND w.join_order < (SELECT join_order FROM ${line} WHERE queue_id = $1 AND ticket_id = $2)`,
      [t.queueId, t.ticketId],
    );
  };
  const { latencies } = await bench.timeConcurrent(READS, CONCURRENCY, position);
  out.note('naive COUNT(*) of the waiting rows ahead per position read: p50 / p99 ms', bench.p50p99(latencies, 2));
  out.note(
    'GET /v1/queues/{queueId}/tickets/{ticketId} p99 ÷ naive COUNT p99',
    +(ourTicketP99 / bench.percentile(latencies, 99)).toFixed(3),
  );
  await pool.end();
}

async function measure(stack: TestStack, services: bench.BenchServices, kafka: bench.Kafka) {
  const backlog = queueBacklog(COMMANDS);
  const drained = await bench.drainReported(
    out.note,
    stack,
    services,
    { topic: topics.commands, schema: TOPICS.queueCommands.valueSchema, records: backlog.records, unit: 'commands' },
    {
      name: 'queue-admitter',
      group,
      env: {
        QUEUE_COMMANDS_TOPIC: topics.commands,
        QUEUE_EVENTS_TOPIC: topics.events,
        DLQ_TOPIC: topics.deadLetters,
        DB_SCHEMA: run,
        REDIS_PREFIX: redisPrefix,
      },
    },
  );
  await ticketMix(stack.databaseUrl);

  const { gateway, service, close } = await bench.gatewayInFront(services, apiKey, drained.service.url, {
    QUEUE_COMMANDS_TOPIC: topics.commands,
    QUEUE_ADMITTER_URL: drained.service.url,
  });
  try {
    const readP99s = await measureReads({ gateway, service }, backlog);
    const halfRate = Math.round(drained.eventsPerSecond / 2);
    await bench.measureWriteToVisible(out.note, (label) => probeJoins(gateway, label), {
      halfRate,
      send: joinLoad(gateway),
      maxInFlight: 64,
      what: 'joins, POSTed through the gateway’s batch route, a request every 20 ms',
      caughtUp: () => bench.waitForDrain(kafka, group, [topics.commands]),
      serviceUrl: drained.service.url,
    });
    await measureNaive(stack.databaseUrl, backlog, readP99s.get('GET /v1/queues/{queueId}/tickets/{ticketId}')!);
  } finally {
    close();
  }
}

void bench.runBench({
  title: `waiting-queue benchmark ${run}`,
  topics: [
    { name: topics.commands, partitions: 12, schema: TOPICS.queueCommands.valueSchema },
    { name: topics.events, partitions: 12, schema: TOPICS.queueEvents.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ],
  created: { groups: [group], schemas: [run, naiveSchema], redisPrefix },
  printJson: out.printJson,
  measure,
});
