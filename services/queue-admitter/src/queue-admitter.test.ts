import { describe, expect, it } from 'vitest';
import type { QueueCommand } from '@tally/schemas';
import type { ConsumedRecord, OutgoingRecord, Rejection, TypedProducer } from '@tally/streaming';
import { NO_QUEUE_COMMAND_DETAILS } from '@tally/contracts';
import { createLogger } from '@tally/observability';
import type { QueueBatchStore } from './apply-queue-commands.js';
import {
  ADMITTER_SOURCE,
  AdmissionProposer,
  queueCommandHandler,
  type AdmissionViewPort,
  type AdmitterDeps,
  type PartitionView,
  type QueueProjectionPort,
  type QueueStorePort,
} from './queue-admitter.js';
import type { JoinBody } from './domain/join-writes.js';
import { DEFAULT_SETTINGS } from './domain/outflow.js';
import { emptyQueue, type LoggedCommand } from './domain/tickets.js';

const logger = createLogger('queue-admitter-test', 'silent');

/** A proposer over a fake store (views per partition), a recording producer and settable end offsets. */
function proposerWorld() {
  const views = new Map<number, PartitionView>();
  const ends = new Map<number, number>();
  const sent: OutgoingRecord<QueueCommand>[] = [];
  const unseen = new Map<string, string[]>();
  const store = {
    appliedThrough: async (partition: number) => views.get(partition)?.appliedThrough ?? -1,
    admissionView: async (partition: number) => views.get(partition) ?? { appliedThrough: -1, queues: [] },
  } as unknown as AdmissionViewPort;
  const producer = {
    sendAll: async (_codec: unknown, records: OutgoingRecord<QueueCommand>[]) => {
      sent.push(...records);
      return undefined;
    },
  } as unknown as TypedProducer;
  const proposer = new AdmissionProposer({
    store,
    producer,
    commands: {} as never,
    now: () => 5000,
    endOffsets: async () => ends,
    maxLag: 100,
    logger,
    seen: { unseenSince: async (queueId: string) => unseen.get(queueId) ?? [] },
  });
  return { views, ends, sent, unseen, proposer };
}

const queueView = (queueId: string, over: Partial<PartitionView['queues'][number]> = {}) => ({
  queueId,
  settings: { ...DEFAULT_SETTINGS, capacity: 2, activeSeconds: 60 },
  activeCount: 0,
  active: [],
  waitingHead: [],
  recentAdmissions: [],
  ...over,
});

describe('the admission round proposes', () => {
  it('EXPIRE then ADMIT records keyed by queueId, from the admitter, based on the fence the view was read at', async () => {
    const w = proposerWorld();
    w.ends.set(0, 10);
    w.views.set(0, {
      appliedThrough: 9,
      queues: [
        queueView('q', { activeCount: 2, active: [{ ticketId: 'x', expiresAtMs: 4000 }], waitingHead: ['a', 'b'] }),
        queueView('idle'),
      ],
    });
    await w.proposer.round([0]);
    expect(
      w.sent.map((r) => [r.key, r.value.kind, r.value.ticketIds, r.value.atMs, r.value.basisOffset, r.value.source]),
    ).toEqual([
      ['q', 'EXPIRE', ['x'], 5000, 9, ADMITTER_SOURCE],
      ['q', 'ADMIT', ['a'], 5000, 9, ADMITTER_SOURCE],
    ]);
    expect(w.sent[1]!.value.seq).toBeGreaterThan(w.sent[0]!.value.seq);
  });

  it('ABANDON for the unseen, ahead of an ADMIT of the front of the line that remains', async () => {
    const w = proposerWorld();
    w.ends.set(0, 10);
    const room = queueView('q', {
      waitingHead: ['a', 'b', 'c'],
      settings: { ...queueView('q').settings, abandonSeconds: 1 },
    });
    w.views.set(0, { appliedThrough: 9, queues: [room, queueView('no-abandoning', { waitingHead: ['z'] })] });
    w.unseen.set('q', ['a']);
    w.unseen.set('no-abandoning', ['z']);
    await w.proposer.round([0]);
    expect(w.sent.map((r) => [r.key, r.value.kind, r.value.ticketIds])).toEqual([
      ['q', 'ABANDON', ['a']],
      ['q', 'ADMIT', ['b', 'c'].slice(0, 2)],
      ['no-abandoning', 'ADMIT', ['z']],
    ]);
  });

  it('nothing for a partition until its fence reaches the end offset read after its last decision', async () => {
    const w = proposerWorld();
    const view = (appliedThrough: number): PartitionView => ({
      appliedThrough,
      queues: [queueView('q', { waitingHead: ['a', 'b'] })],
    });
    w.ends.set(0, 10);
    w.views.set(0, view(9));
    await w.proposer.round([0]);
    expect(w.sent).toHaveLength(1);
    // the decision landed at offset 10 (end offset now 12: a join came after it); the consumer is at 10
    w.ends.set(0, 12);
    w.views.set(0, view(10));
    await w.proposer.round([0]);
    expect(w.sent).toHaveLength(1);
    w.views.set(0, view(11));
    await w.proposer.round([0]);
    expect(w.sent).toHaveLength(2);
    expect(w.sent[1]!.value.basisOffset).toBe(11);
  });

  it('nothing while the consumer is more than maxLag records behind on the partition', async () => {
    const w = proposerWorld();
    w.ends.set(0, 500);
    w.views.set(0, { appliedThrough: 398, queues: [queueView('q', { waitingHead: ['a'] })] });
    await w.proposer.round([0]);
    expect(w.sent).toHaveLength(0);
    w.views.set(0, { appliedThrough: 399, queues: [queueView('q', { waitingHead: ['a'] })] });
    await w.proposer.round([0]);
    expect(w.sent).toHaveLength(1);
  });

  it('only for the partitions it owns', async () => {
    const w = proposerWorld();
    w.views.set(1, { appliedThrough: -1, queues: [queueView('q', { waitingHead: ['a'] })] });
    w.ends.set(1, 0);
    await w.proposer.round([0]);
    await w.proposer.round([]);
    expect(w.sent).toHaveLength(0);
  });
});

describe('the consumer applies', () => {
  const record = (offset: number, value: Partial<QueueCommand>): ConsumedRecord<QueueCommand> => ({
    topic: 't',
    partition: 0,
    offset,
    key: 'q',
    timestamp: 0,
    headers: {},
    rawKey: null,
    rawValue: null,
    value: {
      source: 'app',
      seq: offset,
      queueId: 'q',
      ...NO_QUEUE_COMMAND_DETAILS,
      kind: 'JOIN',
      receivedAtMs: 1000,
      ...value,
    },
  });

  /** `fence`: the offset the partition was applied through (-1: nothing yet). */
  function handlerWorld(role: AdmitterDeps['role'], fence = -1) {
    const applied: { records: LoggedCommand[]; lastOffset: number }[] = [];
    let outboxRead = 0;
    // the join bodies recorded by id, across transactions; and the conflicts counted
    const joinBodies = new Map<string, JoinBody>();
    const counted: string[] = [];
    // a partition nothing was applied in: what the use case loads (the records past the fence) and where it
    // moves the fence are recorded per transaction
    const store = {
      inPartition: async <T>(_p: number, work: (batch: QueueBatchStore) => Promise<T>) => {
        const transaction: { records: LoggedCommand[]; lastOffset: number } = { records: [], lastOffset: -1 };
        applied.push(transaction);
        return work({
          appliedThrough: async () => fence,
          queueStates: async (records) => {
            transaction.records = records;
            return new Map(records.map((r) => [r.queueId, emptyQueue()]));
          },
          write: async () => undefined,
          advanceFence: async (offset) => void (transaction.lastOffset = offset),
          admittedSince: async () => new Map(),
          recordJoins: async (joins) => {
            const before = new Map(joinBodies);
            for (const j of joins) if (!joinBodies.has(j.id)) joinBodies.set(j.id, j.body);
            return new Map(joins.filter((j) => before.has(j.id)).map((j) => [j.id, before.get(j.id)!]));
          },
        });
      },
      pendingEvents: async () => {
        outboxRead += 1;
        return { ids: [], events: [] };
      },
    } as unknown as QueueStorePort;
    const projection = { project: async () => undefined } as unknown as QueueProjectionPort;
    const serially = { run: <T>(work: () => Promise<T>) => work() };
    const handler = queueCommandHandler({
      store,
      projection,
      producer: {} as never,
      events: {} as never,
      role,
      serially: serially as never,
      now: () => 0,
      logger,
      conflicts: { count: (reason) => void counted.push(reason) },
    });
    const run = (records: ConsumedRecord<QueueCommand>[]) =>
      handler({ topic: 't', partition: 0, records, setAside: async () => undefined });
    return { applied, run, outboxRead: () => outboxRead, counted };
  }

  it('takes time from the records: receivedAtMs of client commands, atMs of decisions; the join order is the offset', async () => {
    const w = handlerWorld('admitter');
    await w.run([
      record(3, { kind: 'JOIN', ticketId: 't1', userId: 'u1' }),
      record(4, { kind: 'ADMIT', source: ADMITTER_SOURCE, ticketIds: ['t1'], atMs: 7000, basisOffset: 3 }),
      record(5, { kind: 'EXPIRE', source: ADMITTER_SOURCE, ticketIds: ['t1'], atMs: 9000, basisOffset: 4 }),
    ]);
    expect(w.applied).toEqual([
      {
        lastOffset: 5,
        records: [
          {
            offset: 3,
            queueId: 'q',
            command: { kind: 'JOIN', ticketId: 't1', userId: 'u1', joinOrder: 3, atMs: 1000 },
            writeId: 'app:3',
          },
          { offset: 4, queueId: 'q', command: { kind: 'ADMIT', ticketIds: ['t1'], atMs: 7000, basisOffset: 3 } },
          { offset: 5, queueId: 'q', command: { kind: 'EXPIRE', ticketIds: ['t1'], atMs: 9000 } },
        ],
      },
    ]);
  });

  it('dead-letters decisions not written by the admitter, or missing what they need, and still moves the fence past them', async () => {
    const w = handlerWorld('admitter');
    const result = await w.run([
      record(1, { kind: 'ADMIT', source: 'app', ticketIds: ['t1'], atMs: 1, basisOffset: 0 }),
      record(2, { kind: 'ADMIT', source: ADMITTER_SOURCE, ticketIds: [], atMs: 1, basisOffset: 0 }),
      record(3, { kind: 'EXPIRE', source: ADMITTER_SOURCE, ticketIds: ['t1'], atMs: null, basisOffset: 0 }),
    ]);
    expect((result as { rejected: unknown[] }).rejected).toHaveLength(3);
    expect(w.applied).toEqual([{ records: [], lastOffset: 3 }]);
  });

  it('refuses a join whose id was used with another user or queue: dead-lettered with the field, counted, not applied; a retry is silent', async () => {
    const w = handlerWorld('admitter');
    await w.run([record(1, { ticketId: 't1', userId: 'u1', seq: 7 })]);
    const result = await w.run([
      record(2, { ticketId: 't1', userId: 'u2', seq: 7 }),
      record(3, { ticketId: 't9', userId: 'u1', seq: 7, queueId: 'other' }),
      record(4, { ticketId: 't1', userId: 'u1', seq: 7, receivedAtMs: 5000 }),
    ]);
    const rejected = (result as { rejected: Rejection<QueueCommand>[] }).rejected;
    expect(rejected.map((r) => [r.record.offset, r.reason.split(':')[0]])).toEqual([
      [2, 'id_reused_with_different_user'],
      [3, 'id_reused_with_different_queue'],
    ]);
    expect(rejected[0]!.reason).toContain('app:7');
    expect(w.counted).toEqual(['id_reused_with_different_user', 'id_reused_with_different_queue']);
    // the retry (another receipt time) goes on to the fold, which finds its ticket and changes nothing
    expect(w.applied[1]!.records.map((r) => r.offset)).toEqual([4]);
    expect(w.applied[1]!.lastOffset).toBe(4);
  });

  it('a batch redelivered after it committed reports its reuses again: the fence skips applying, not judging', async () => {
    const w = handlerWorld('admitter', 10);
    await w.run([record(1, { ticketId: 't1', userId: 'u1', seq: 7 })]);
    const again = await w.run([
      record(1, { ticketId: 't1', userId: 'u1', seq: 7 }),
      record(2, { ticketId: 't1', userId: 'u2', seq: 7 }),
    ]);
    expect((again as { rejected: Rejection<QueueCommand>[] }).rejected.map((r) => r.record.offset)).toEqual([2]);
    expect(w.applied.map((t) => t.records)).toEqual([[], []]);
  });

  it('a follower applies the same records and never reads the outbox', async () => {
    const follower = handlerWorld('follower');
    await follower.run([record(1, { ticketId: 't1', userId: 'u1' })]);
    expect(follower.applied).toHaveLength(1);
    expect(follower.outboxRead()).toBe(0);
    const admitter = handlerWorld('admitter');
    await admitter.run([record(1, { ticketId: 't1', userId: 'u1' })]);
    expect(admitter.outboxRead()).toBe(1);
  });
});
