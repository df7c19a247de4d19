/**
 * The load of one service for the benchmarks that run it for a long time or on a large state (sustained.ts,
 * growth.ts): its topics and environment on a run of its own, a generator of fresh records as clients send them
 * (built with the gateway's own builders where the gateway builds them), and a read route or two to time. The
 * records go straight to the service's topic: on 2 shared cores the gateway's one-request-per-event routes reach
 * a fraction of what a service drains (see counters.ts), and a load the sender cannot deliver says nothing about
 * the service.
 */
import type { ItemEvent, QueueCommand, SchemaName, SchemaTypes, WalletCommand } from '@tally/schemas';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { TypedProducer, type OutgoingRecord } from '@tally/streaming';
import type { TestStack } from '@tally/testkit';
import { DEVELOPMENT_TICKET_KEY, TOPICS, ticketFor } from '@tally/contracts';
import { AssetCatalogue, DEFAULT_ASSETS } from '@tally/money';
import { toConfigureCommand, toJoinCommand, toLeaveCommand, toTransactionCommand } from '@tally/ingest-gateway';
import * as bench from './lib.js';

export const LOAD_KINDS = ['counters', 'wallet', 'queue'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

export interface ServiceLoad<N extends SchemaName = SchemaName> {
  kind: LoadKind;
  /** The process to start: services/<service>. */
  service: string;
  /** What its input records are, for result names. */
  unit: string;
  topics: { name: string; partitions: number; schema: SchemaName }[];
  input: { topic: string; schema: N };
  /** The service's environment on this run, but for CONSUMER_GROUP. */
  env: Record<string, string>;
  /** Postgres schema of the run. */
  schema: string;
  /** `count` fresh records, each call going on from the last. */
  records: (count: number) => OutgoingRecord<SchemaTypes[N]>[];
  /** Read routes of the service itself, each a path for a random thing the records made. */
  reads: [string, () => string][];
}

/** Where a load runs: its names (topics, schema, Redis prefix) are made from `run`. */
export interface LoadRun {
  run: string;
  redisPrefix: string;
}

/** Sizes of a load's key space, so growth.ts can aim the records at the state it seeded. */
export interface LoadShape {
  /** counters: the users who like (their like registers are what grows). */
  likers: number;
  /** wallet: the wallets credited and debited. */
  wallets: number;
}

export const DEFAULT_SHAPE: LoadShape = { likers: 50_000, wallets: 10_000 };

/** The counters benchmark's item space: 1,000 items, skewed to popular ones. */
export const ITEMS = 1000;
const popularIndex = (size: number) => Math.floor(size * Math.random() ** 2);

export function serviceLoad(kind: LoadKind, where: LoadRun, shape: LoadShape = DEFAULT_SHAPE): ServiceLoad {
  if (kind === 'counters') return counterLoad(where, shape);
  if (kind === 'wallet') return walletLoad(where, shape);
  return queueLoad(where);
}

/** A like (92%) or unlike of a popular item by one of `likers` random users, as the gateway makes it. */
export function likeEvent(seq: number, atMs: number, likers: number): ItemEvent {
  const user = `user-${Math.floor(Math.random() * likers)}`;
  return {
    source: user,
    seq,
    itemId: `item-${popularIndex(ITEMS)}`,
    kind: Math.random() < 0.08 ? 'UNLIKE' : 'LIKE',
    userId: user,
    sessionId: null,
    counter: null,
    by: 1,
    atMs,
    receivedAtMs: atMs,
  };
}

function counterLoad(
  { run, redisPrefix }: LoadRun,
  shape: LoadShape,
): ServiceLoad<typeof TOPICS.itemEvents.valueSchema> {
  const topic = `bench.${run}.item-events`;
  let seq = 0;
  const like = (atMs: number) => likeEvent(seq++, atMs, shape.likers);
  return {
    kind: 'counters',
    service: 'counter-materializer',
    unit: 'events',
    topics: [{ name: topic, partitions: 12, schema: TOPICS.itemEvents.valueSchema }],
    input: { topic, schema: TOPICS.itemEvents.valueSchema },
    env: { ITEM_EVENTS_TOPIC: topic, REDIS_PREFIX: redisPrefix, DB_SCHEMA: run },
    schema: run,
    records: (count) => {
      const now = Date.now();
      return Array.from({ length: count }, () => like(now)).map((value) => ({ key: value.itemId, value }));
    },
    reads: [['GET /v1/items/{id}/counts', () => `/v1/items/item-${popularIndex(ITEMS)}/counts`]],
  };
}

const assets = AssetCatalogue.parse(DEFAULT_ASSETS);

/** Credits (60%) and debits (some overdrawing) of coins and gems over `shape.wallets` wallets. */
function walletLoad({ run }: LoadRun, shape: LoadShape): ServiceLoad<typeof TOPICS.walletCommands.valueSchema> {
  let seq = 0;
  const wallet = () => `user-${Math.floor(Math.random() * shape.wallets)}`;
  const command = (now: number): WalletCommand => {
    const credit = Math.random() < 0.6;
    return toTransactionCommand(
      wallet(),
      {
        source: 'bench-shop',
        seq: seq++,
        type: credit ? 'credit' : 'debit',
        asset: Math.random() < 0.8 ? 'coins' : 'gems',
        amount: credit ? `${1 + Math.floor(Math.random() * 20)}.00` : `${1 + Math.floor(Math.random() * 10)}.50`,
      },
      assets,
      now,
    );
  };
  return {
    kind: 'wallet',
    service: 'wallet-ledger',
    unit: 'commands',
    ...commandTopics(
      run,
      { suffix: 'wallet-commands', variable: 'WALLET_COMMANDS_TOPIC', schema: TOPICS.walletCommands.valueSchema },
      { suffix: 'wallet-outcomes', variable: 'WALLET_OUTCOMES_TOPIC', schema: TOPICS.walletOutcomes.valueSchema },
    ),
    schema: run,
    records: (count) => {
      const now = Date.now();
      return Array.from({ length: count }, () => command(now)).map((value) => ({ key: value.userId, value }));
    },
    reads: [
      ['GET /v1/wallets/{userId}', () => `/v1/wallets/${wallet()}`],
      ['GET /v1/wallets/{userId}/transactions', () => `/v1/wallets/${wallet()}/transactions`],
    ],
  };
}

export const QUEUES = Array.from({ length: 20 }, (_, i) => `concert-${i}`);

/**
 * Joins (85%) of fresh fans to popular queues and leaves (15%) of recent joins, after every queue is configured
 * (on the first call). The admitter's own admissions and expiries join the topic as it runs.
 */
function queueLoad({ run, redisPrefix }: LoadRun): ServiceLoad<typeof TOPICS.queueCommands.valueSchema> {
  const named = commandTopics(
    run,
    { suffix: 'queue-commands', variable: 'QUEUE_COMMANDS_TOPIC', schema: TOPICS.queueCommands.valueSchema },
    { suffix: 'queue-events', variable: 'QUEUE_EVENTS_TOPIC', schema: TOPICS.queueEvents.valueSchema },
  );
  let seq = 0;
  let joins = 0;
  const recent: { queueId: string; ticketId: string }[] = [];
  const gatewayKey = () => ({ source: 'bench-gateway', seq: seq++ });
  const join = (now: number): QueueCommand => {
    const queueId = QUEUES[popularIndex(QUEUES.length)]!;
    const key = { source: 'bench-app', seq: seq++, userId: `fan-${seq}` };
    const { ticketId } = ticketFor(DEVELOPMENT_TICKET_KEY, queueId, key);
    // a window of recent tickets, to leave and to read
    recent[joins++ % 10_000] = { queueId, ticketId };
    return toJoinCommand(queueId, key, ticketId, now);
  };
  const next = (now: number): QueueCommand => {
    if (recent.length === 0 || Math.random() < 0.85) return join(now);
    const ticket = bench.pick(recent);
    return toLeaveCommand(ticket.queueId, ticket.ticketId, gatewayKey(), now);
  };
  let configured = false;
  return {
    kind: 'queue',
    service: 'queue-admitter',
    unit: 'commands',
    ...named,
    env: { ...named.env, REDIS_PREFIX: redisPrefix },
    schema: run,
    records: (count) => {
      const now = Date.now();
      const configure = configured
        ? []
        : QUEUES.map((q) => toConfigureCommand(q, { capacity: 1000, activeSeconds: 30 }, gatewayKey(), now));
      configured = true;
      return [...configure, ...Array.from({ length: count - configure.length }, () => next(now))].map((value) => ({
        key: value.queueId,
        value,
      }));
    },
    reads: [
      ['GET /v1/queues/{queueId}', () => `/v1/queues/${bench.pick(QUEUES)}`],
      [
        'GET /v1/queues/{queueId}/tickets/{ticketId}',
        () => {
          const t = bench.pick(recent);
          return `/v1/queues/${t.queueId}/tickets/${t.ticketId}`;
        },
      ],
    ],
  };
}

/**
 * The topics of a service that consumes commands (its commands, what it publishes of them, its dead letters),
 * named for the run, and the variables that name them and its schema for the service.
 */
function commandTopics<N extends SchemaName>(
  run: string,
  commands: { suffix: string; variable: string; schema: N },
  published: { suffix: string; variable: string; schema: SchemaName },
) {
  const topic = `bench.${run}.${commands.suffix}`;
  const publishedTopic = `bench.${run}.${published.suffix}`;
  const deadLetters = `bench.${run}.dead-letters`;
  return {
    topics: [
      { name: topic, partitions: 12, schema: commands.schema },
      { name: publishedTopic, partitions: 12, schema: published.schema },
      { name: deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
    ],
    input: { topic, schema: commands.schema },
    env: { [commands.variable]: topic, [published.variable]: publishedTopic, DLQ_TOPIC: deadLetters, DB_SCHEMA: run },
  };
}

/** A producer of the load's records to its input topic, `count` a call (the shape bench.backgroundLoad sends). */
export function kafkaSender(stack: TestStack, load: ServiceLoad) {
  const producer = new TypedProducer(bench.benchKafka(stack), { lingerMs: 5 });
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), load.input.topic, load.input.schema);
  const connected = producer.connect();
  return {
    send: async (count: number) => {
      await connected;
      await producer.sendAll(codec, load.records(count));
      return count;
    },
    close: async () => {
      await connected;
      await producer.disconnect();
    },
  };
}
