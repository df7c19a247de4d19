/**
 * Waiting-room benchmark on this machine (not a test: it prints numbers). queue-admitter as its own process on
 * per-run topics, group, schema and Redis prefix, its admission round at the production 200 ms:
 *   1. a sale: seed 002's room (100 slots of 180 s) scaled down --scale times in time, --users fans joining in a
 *      burst at the opening; each polls its ticket every --poll-ms until admitted, then completes early (60%),
 *      or holds to the end (20%); while waiting, 10% leave and 10% close the tab (stop polling, and the room
 *      abandons them after abandonSeconds, scaled too). For every fan admitted: the first estimate they were
 *      shown against the wait they had (admitted_at in Postgres minus the time of that first read); the median
 *      and p90 of the error, relative to the wait. The target: within ±25% for the median fan.
 *   2. a million in line: --line joins to one queue produced to the topic; the admitter's join rate (lag 0 from
 *      its first processed record), then p50/p99 of a ticket read (position in the line) at 4 concurrent,
 *      the time from freeing every slot to the slots filled again (an admission round, end to end), the
 *      admitter's RSS and Redis's memory for the line.
 * Usage: node --import tsx scripts/bench/waiting-room.ts [--quick] [--users 1000] [--scale 30] [--poll-ms 1000]
 *          [--line 1000000] [--reads 2000]
 */
import { parseArgs } from 'node:util';
import { DEVELOPMENT_TICKET_KEY, TOPICS, ticketFor } from '@tally/contracts';
import { toCompleteCommand, toConfigureCommand, toJoinCommand, toLeaveCommand } from '@tally/ingest-gateway';
import { createSchemaRegistry, topicCodec, type QueueCommand } from '@tally/schemas';
import { createPool, createRedis } from '@tally/storage';
import { TypedProducer, type OutgoingRecord } from '@tally/streaming';
import type { TestStack } from '@tally/testkit';
import * as bench from './lib.js';
import { mebibytes, sampleProcess } from './resources.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    users: { type: 'string' },
    scale: { type: 'string', default: '30' },
    'poll-ms': { type: 'string', default: '1000' },
    line: { type: 'string' },
    reads: { type: 'string', default: '2000' },
  },
});
const USERS = Number(args.users ?? (args.quick ? 300 : 1000));
const SCALE = Number(args.scale);
const POLL_MS = Number(args['poll-ms']);
const LINE = Number(args.line ?? (args.quick ? 50_000 : 1_000_000));
const READS = Number(args.reads);
const SALE = {
  capacity: 100,
  activeSeconds: Math.max(1, Math.round(180 / SCALE)),
  abandonSeconds: Math.max(1, Math.round(90 / SCALE)),
};
const LINE_CAPACITY = 1000;

const run = `bench_room_${Date.now().toString(36)}`;
const topics = {
  commands: `bench.${run}.queue-commands`,
  events: `bench.${run}.queue-events`,
  deadLetters: `bench.${run}.dead-letters`,
};
const group = `${run}-admitter`;
const redisPrefix = `tally:${run}`;
const out = bench.benchResults({ run, users: USERS, 'time scale': `1/${SCALE}`, line: LINE }, 72);

type Behaviour = 'completes early' | 'holds to the end' | 'leaves' | 'closes the tab';
/** What a fan does: most complete early, some hold their slot to the end, some give up while waiting. */
function behaviourOf(i: number): Behaviour {
  const r = (i * 7919) % 100;
  return r < 60 ? 'completes early' : r < 80 ? 'holds to the end' : r < 90 ? 'leaves' : 'closes the tab';
}

interface Fan {
  queueId: string;
  ticketId: string;
  behaviour: Behaviour;
  firstEstimate?: number;
  firstReadAt?: number;
}

/** Writes queue commands to the run's topic, keyed by queue as the gateway keys them: one, or many in chunks. */
function commandWriter(stack: TestStack, producer: TypedProducer) {
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topics.commands, TOPICS.queueCommands.valueSchema);
  const record = (value: QueueCommand): OutgoingRecord<QueueCommand> => ({ key: value.queueId, value });
  return {
    one: (command: QueueCommand) => producer.send(codec, record(command)),
    all: (commands: QueueCommand[]) => bench.produceAll(producer, codec, commands.map(record)),
  };
}
type CommandWriter = ReturnType<typeof commandWriter>;

let gatewaySeq = 0;
const gatewayKey = () => ({ source: 'bench-room-gateway', seq: gatewaySeq++ });

/** One fan's client: polls its ticket, then completes early, holds, leaves or goes quiet. */
async function fanLife(fan: Fan, admitter: bench.HttpClient, send: (c: QueueCommand) => Promise<void>, endAt: number) {
  const path = `/v1/queues/${fan.queueId}/tickets/${fan.ticketId}`;
  const leaveAfter = fan.behaviour === 'leaves' ? Date.now() + Math.random() * 20_000 : Infinity;
  while (Date.now() < endAt) {
    const reply = await admitter.get(path);
    if (reply.status === 200) {
      const ticket = JSON.parse(reply.body) as { status: string; estimatedWaitSeconds: number | null };
      if (fan.firstReadAt === undefined && ticket.status === 'waiting') {
        fan.firstReadAt = Date.now();
        fan.firstEstimate = ticket.estimatedWaitSeconds ?? NaN;
        // a fan who closes the tab is never seen again after the first look
        if (fan.behaviour === 'closes the tab') return;
      }
      if (ticket.status === 'active') {
        if (fan.behaviour === 'completes early') {
          await bench.sleep((0.2 + 0.6 * Math.random()) * SALE.activeSeconds * 1000);
          await send(toCompleteCommand(fan.queueId, fan.ticketId, gatewayKey(), Date.now()));
        }
        return;
      }
      if (ticket.status !== 'waiting') return;
      if (Date.now() > leaveAfter) {
        await send(toLeaveCommand(fan.queueId, fan.ticketId, gatewayKey(), Date.now()));
        return;
      }
    }
    await bench.sleep(POLL_MS * (0.8 + 0.4 * Math.random()));
  }
}

async function sale(admitter: bench.HttpClient, write: CommandWriter) {
  const queueId = 'sale';
  const send = write.one;
  await send(toConfigureCommand(queueId, { ...SALE }, gatewayKey(), Date.now()));
  const fans: Fan[] = Array.from({ length: USERS }, (_, i) => {
    const key = { source: 'bench-room-fan', seq: i, userId: `fan-${i}` };
    return { queueId, ticketId: ticketFor(DEVELOPMENT_TICKET_KEY, queueId, key).ticketId, behaviour: behaviourOf(i) };
  });
  const endAt = Date.now() + 15 * 60_000;
  const started = Date.now();
  // the burst at the opening: everyone within 5 s, each then polling
  const lives = fans.map(async (fan, i) => {
    await bench.sleep((i / USERS) * 5000);
    await send(
      toJoinCommand(queueId, { source: 'bench-room-fan', seq: i, userId: `fan-${i}` }, fan.ticketId, Date.now()),
    );
    await fanLife(fan, admitter, send, endAt);
  });
  await Promise.all(lives);
  out.note('sale: time until every fan was admitted or gone, s', Math.round((Date.now() - started) / 1000));
  return fans;
}

async function saleErrors(stack: TestStack, fans: Fan[]) {
  const pool = createPool(stack.databaseUrl);
  const { rows } = await pool.query(
    `SELECT ticket_id, status, admitted_at_ms FROM ${run}.tickets WHERE queue_id = 'sale'`,
  );
  await pool.end();
  const byId = new Map(rows.map((r) => [r.ticket_id as string, r]));
  const errors: number[] = [];
  const waits: number[] = [];
  for (const fan of fans) {
    const row = byId.get(fan.ticketId);
    if (!row || row.admitted_at_ms === null || fan.firstReadAt === undefined) continue;
    const waited = (Number(row.admitted_at_ms) - fan.firstReadAt) / 1000;
    // a fan admitted within a second of the first look had no wait to estimate
    if (waited < 1) continue;
    waits.push(waited);
    errors.push((fan.firstEstimate! - waited) / waited);
  }
  const statuses = new Map<string, number>();
  for (const r of rows) statuses.set(r.status as string, (statuses.get(r.status as string) ?? 0) + 1);
  out.note('sale: tickets by status', [...statuses].map(([s, n]) => `${s} ${n}`).join(', '));
  out.note('sale: fans admitted after waiting ≥ 1 s (estimates judged)', errors.length);
  const sortedWaits = [...waits].sort((a, b) => a - b);
  out.note(
    'sale: their waits p50 / p90, s',
    `${bench.percentile(sortedWaits, 50).toFixed(1)} / ${bench.percentile(sortedWaits, 90).toFixed(1)}`,
  );
  const absolute = errors.map(Math.abs).sort((a, b) => a - b);
  const signed = [...errors].sort((a, b) => a - b);
  out.note(
    'sale: first estimate error ÷ wait, median |error|',
    `${(bench.percentile(absolute, 50) * 100).toFixed(1)}%`,
  );
  out.note('sale: first estimate error ÷ wait, p90 |error|', `${(bench.percentile(absolute, 90) * 100).toFixed(1)}%`);
  out.note(
    'sale: first estimate error ÷ wait, median signed (+: estimate too long)',
    `${(bench.percentile(signed, 50) * 100).toFixed(1)}%`,
  );
}

async function millionInLine(
  stack: TestStack,
  service: { url: string; pid: number },
  admitter: bench.HttpClient,
  write: CommandWriter,
  kafka: bench.Kafka,
) {
  const queueId = 'million';
  const redis = createRedis(stack.redisUrl, 'bench');
  const redisBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const records: QueueCommand[] = [
    toConfigureCommand(queueId, { capacity: LINE_CAPACITY, activeSeconds: 3600 }, gatewayKey(), Date.now()),
  ];
  const tickets: string[] = [];
  for (let i = 0; i < LINE; i++) {
    const key = { source: 'bench-room-line', seq: i, userId: `in-line-${i}` };
    const { ticketId } = ticketFor(DEVELOPMENT_TICKET_KEY, queueId, key);
    tickets.push(ticketId);
    records.push(toJoinCommand(queueId, key, ticketId, Date.now()));
  }
  const processedBefore = await bench.recordsProcessed(service.url);
  const startedAt = performance.now();
  await write.all(records);
  await bench.waitForDrain(kafka, group, [topics.commands], 900_000);
  const seconds = (performance.now() - startedAt) / 1000;
  const processed = (await bench.recordsProcessed(service.url)) - processedBefore;
  out.note(
    `line: ${LINE.toLocaleString('en')} joins produced and applied, joins/s (produce to lag 0)`,
    Math.round(processed / seconds),
  );
  const page = JSON.parse((await admitter.get(`/v1/queues/${queueId}`)).body) as {
    waiting: number;
    active: number;
    admittedTotal: number;
  };
  out.note('line: waiting / active after the joins', `${page.waiting} / ${page.active}`);

  const { latencies } = await bench.timeConcurrent(READS, 4, async () => {
    const reply = await admitter.get(`/v1/queues/${queueId}/tickets/${bench.pick(tickets)}`);
    if (reply.status !== 200) throw new Error(`ticket read answered ${reply.status}`);
  });
  out.note('line: GET ticket (exact position in the line), 4 concurrent: p50 / p99 ms', bench.p50p99(latencies, 2));
  const queuePage = await bench.timeConcurrent(500, 4, async () => void (await admitter.get(`/v1/queues/${queueId}`)));
  out.note(
    'line: GET queue page (with a newcomer’s wait), 4 concurrent: p50 / p99 ms',
    bench.p50p99(queuePage.latencies, 2),
  );

  // an admission round end to end: every slot freed at once, until the next LINE_CAPACITY are in
  const pool = createPool(stack.databaseUrl);
  const { rows } = await pool.query(`SELECT ticket_id FROM ${run}.tickets WHERE queue_id = $1 AND status = 'active'`, [
    queueId,
  ]);
  await pool.end();
  const target = page.admittedTotal + rows.length;
  const freedAt = performance.now();
  await write.all(rows.map((r) => toCompleteCommand(queueId, r.ticket_id as string, gatewayKey(), Date.now())));
  for (;;) {
    const now = JSON.parse((await admitter.get(`/v1/queues/${queueId}`)).body) as {
      admittedTotal: number;
      active: number;
    };
    if (now.admittedTotal >= target && now.active === LINE_CAPACITY) break;
    await bench.sleep(10);
  }
  out.note(
    `line: ${rows.length} slots freed → ${rows.length} more admitted and readable, ms (one 200 ms round included)`,
    Math.round(performance.now() - freedAt),
  );
  const sample = await sampleProcess(service.pid, service.url);
  out.note('line: queue-admitter RSS, MiB', mebibytes(sample.rssBytes));
  const redisAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  out.note('line: Redis memory for the line, MiB (used_memory after − before)', mebibytes(redisAfter - redisBefore));
  redis.disconnect();
}

async function measure(stack: TestStack, services: bench.BenchServices, kafka: bench.Kafka) {
  const started = await services.start(
    'queue-admitter',
    {
      CONSUMER_GROUP: group,
      QUEUE_COMMANDS_TOPIC: topics.commands,
      QUEUE_EVENTS_TOPIC: topics.events,
      DLQ_TOPIC: topics.deadLetters,
      DB_SCHEMA: run,
      REDIS_PREFIX: redisPrefix,
    },
    { underTest: true },
  );
  const admitter = bench.httpClient(started.url);
  const producer = new TypedProducer(kafka, { lingerMs: 2 });
  await producer.connect();
  try {
    const write = commandWriter(stack, producer);
    const fans = await sale(admitter, write);
    await saleErrors(stack, fans);
    await millionInLine(stack, { url: started.url, pid: started.child.pid! }, admitter, write, kafka);
  } finally {
    admitter.close();
    await producer.disconnect();
  }
}

void bench.runBench({
  title: `waiting-room benchmark ${run}`,
  topics: [
    { name: topics.commands, partitions: 12, schema: TOPICS.queueCommands.valueSchema },
    { name: topics.events, partitions: 12, schema: TOPICS.queueEvents.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ],
  created: { groups: [group], schemas: [run], redisPrefix },
  printJson: out.printJson,
  measure,
});
