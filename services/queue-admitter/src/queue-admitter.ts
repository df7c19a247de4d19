import { NO_QUEUE_COMMAND_DETAILS, formatWriteKey } from '@tally/contracts';
import type { Logger, WriteConflicts } from '@tally/observability';
import type { QueueCommand, QueueEvent, TopicCodec } from '@tally/schemas';
import type {
  BatchHandler,
  ConsumedRecord,
  OutgoingRecord,
  Rejection,
  Serially,
  TypedProducer,
} from '@tally/streaming';
import {
  applyQueueCommands,
  withAdmittedLastMinute,
  type QueueChange,
  type QueuePort,
} from './apply-queue-commands.js';
import { MAX_DECISION_TICKETS, abandonedBefore, decideAdmissions, type AdmissionView } from './domain/admission.js';
import type { JoinConflict } from './domain/join-writes.js';
import type { QueueSettings } from './domain/outflow.js';
import type { LoggedCommand, QueueCommandToApply } from './domain/tickets.js';

/** The source of every decision record: only queue-admitter writes ADMIT, EXPIRE and ABANDON. */
export const ADMITTER_SOURCE = 'tally.queue-admitter';

export type QueueRole = 'admitter' | 'follower';

/** A queue's public figures: its settings and counts, as a queue page shows them (Redis, or Postgres while it rebuilds). */
export interface QueueFigures {
  settings: QueueSettings;
  settingsVersion: number;
  /** How long admissions were observed to last (null: none ended yet). */
  observedHoldMs: number | null;
  waiting: number;
  active: number;
  admittedTotal: number;
  admittedLastMinute: number;
}

/** What the handler and the rebuild need of the queues' storage (QueueStore in Postgres). */
export interface QueueStorePort extends QueuePort {
  /** Events not yet acknowledged by Kafka, oldest first. */
  pendingEvents(partitions: number[]): Promise<{ ids: number[]; events: QueueEvent[] }>;
  eventsPublished(ids: number[]): Promise<void>;
  /** Everything Redis shows of the queues of a partition but their admissions of the last minute. */
  snapshot(partition: number): Promise<Omit<QueueChange, 'admittedLastMinute'>[]>;
  admittedSince(windows: { queueId: string; sinceMs: number }[]): Promise<Map<string, number>>;
}

/** The queues' read model (QueueProjection in Redis): written only from committed changes. */
export interface QueueProjectionPort {
  project(changes: QueueChange[]): Promise<void>;
  /** Replaces what the read model holds of these queues with their full live state (a rebuild). */
  replace(changes: QueueChange[]): Promise<void>;
  partitionsNotReady(partitions: number[]): Promise<number[]>;
  markReady(partition: number): Promise<void>;
}

/** A queue of a partition as the admission round sees it, with the partition's fence it was read at. */
export interface PartitionView {
  /** The last offset applied in the partition when the view was read (-1: none): the decisions' basis. */
  appliedThrough: number;
  queues: (AdmissionView & { queueId: string })[];
}

/** What the admission round reads (QueueStore in Postgres), under the partition's lock for the view. */
export interface AdmissionViewPort {
  /** The last offset applied in the partition (-1: none), without locking it. */
  appliedThrough(partition: number): Promise<number>;
  admissionView(partition: number, nowMs: number, maxTickets: number): Promise<PartitionView>;
}

export interface AdmitterDeps {
  store: QueueStorePort;
  projection: QueueProjectionPort;
  producer: TypedProducer;
  events: TopicCodec<QueueEvent>;
  /** admitter: proposes decisions and publishes events; follower: only applies the log (a rebuild beside the live one). */
  role: QueueRole;
  /** Command batches and Redis rebuilds of this process run one at a time, each with its projection. */
  serially: Serially;
  now: () => number;
  logger: Logger;
  /** tally_write_conflicts_total: joins refused because their id was reused with another queue or user. */
  conflicts: WriteConflicts;
}

/**
 * A partition's records: one Postgres transaction (in offset order: the partition offset is the join order,
 * and a decision applies after the commands it was made from), then the Redis projection and the outbox's
 * events; only then does the runtime commit the offsets. A join whose id was reused with another queue or user is
 * not applied: it is dead-lettered with its reason and counted.
 */
export function queueCommandHandler(deps: AdmitterDeps): BatchHandler<QueueCommand> {
  return async ({ partition, records }) => {
    const rejected: Rejection<QueueCommand>[] = [];
    const commands: LoggedCommand[] = [];
    for (const record of records) {
      const command = toCommand(record);
      if (typeof command === 'string') rejected.push({ record, reason: command });
      else commands.push(logged(record, command));
    }
    if (records.length === 0) return { rejected };
    const conflicts = await deps.serially.run(async () => {
      const applied = await applyQueueCommands(deps.store, partition, commands, records[records.length - 1]!.offset);
      await deps.projection.project(applied.changes);
      if (deps.role === 'admitter') await publishEvents(deps, [partition]);
      return applied.conflicts;
    });
    rejected.push(...conflicts.map((c) => reusedId(c, records)));
    for (const c of conflicts) deps.conflicts.count(c.reason);
    logDecisionRoundTrip(deps.logger, partition, records);
    return { rejected };
  };
}

/** A record as the use case takes it; a client's join carries its write id, to tell a retry from a reused id. */
function logged(record: ConsumedRecord<QueueCommand>, command: QueueCommandToApply): LoggedCommand {
  const { offset, value } = record;
  return command.kind === 'JOIN'
    ? { offset, queueId: value.queueId, command, writeId: formatWriteKey(value) }
    : { offset, queueId: value.queueId, command };
}

/** The dead letter of a join refused as a reused id: the reason first (a stable code), then what a person needs. */
function reusedId(conflict: JoinConflict, records: ConsumedRecord<QueueCommand>[]): Rejection<QueueCommand> {
  return {
    record: records.find((r) => r.offset === conflict.offset)!,
    reason: `${conflict.reason}: join ${conflict.writeId} was already applied with another ${conflict.field}; the first join stands`,
  };
}

/** The longest a decision of the batch took from being produced to being applied and projected (one produce + one consume). */
function logDecisionRoundTrip(logger: Logger, partition: number, records: ConsumedRecord<QueueCommand>[]) {
  const decisions = records.filter(
    (r) => r.value.source === ADMITTER_SOURCE && r.value.kind !== 'JOIN' && r.value.kind !== 'CONFIGURE',
  );
  if (decisions.length === 0) return;
  const appliedAt = Date.now();
  logger.debug(
    { partition, decisions: decisions.length, roundTripMs: Math.max(...decisions.map((r) => appliedAt - r.timestamp)) },
    'decisions applied',
  );
}

/** A decision names at most this many tickets (a round names at most MAX_DECISION_TICKETS). */
const MAX_LISTED_TICKETS = 10_000;

/** The command for the domain, or why it cannot be one (written by something other than the gateway or the admitter). */
function toCommand({ value, offset }: ConsumedRecord<QueueCommand>): QueueCommandToApply | string {
  if (!value.queueId) return 'a queue command needs a queueId';
  switch (value.kind) {
    case 'CONFIGURE': {
      const settings = configuredSettings(value);
      if (typeof settings === 'string') return settings;
      return { kind: 'CONFIGURE', settings, preQueueSeed: value.preQueueSeed, atMs: value.receivedAtMs };
    }
    case 'JOIN':
      if (!value.ticketId || !value.userId) return 'JOIN needs a ticketId and a userId';
      return {
        kind: 'JOIN',
        ticketId: value.ticketId,
        userId: value.userId,
        joinOrder: offset,
        atMs: value.receivedAtMs,
      };
    case 'LEAVE':
    case 'COMPLETE':
      if (!value.ticketId) return `${value.kind} needs a ticketId`;
      return { kind: value.kind, ticketId: value.ticketId, atMs: value.receivedAtMs };
    case 'ADMIT':
    case 'EXPIRE':
    case 'ABANDON': {
      if (value.source !== ADMITTER_SOURCE)
        return `${value.kind} is a decision of the admitter (source ${ADMITTER_SOURCE}), not of ${value.source}`;
      const { ticketIds, atMs, basisOffset } = value;
      if (!ticketIds || ticketIds.length === 0 || ticketIds.length > MAX_LISTED_TICKETS)
        return `${value.kind} needs 1 to ${MAX_LISTED_TICKETS} ticketIds`;
      if (atMs === null || basisOffset === null) return `${value.kind} needs atMs and basisOffset`;
      return value.kind === 'ADMIT'
        ? { kind: 'ADMIT', ticketIds, atMs, basisOffset }
        : { kind: value.kind, ticketIds, atMs };
    }
    default:
      return `unknown kind ${String(value.kind)}`;
  }
}

/** A CONFIGURE's settings, or why they cannot be (the gateway checks more: this guards the fold's bounds). */
function configuredSettings(value: QueueCommand): QueueSettings | string {
  const positive = (n: number | null) => n === null || n > 0;
  if (!(value.capacity! > 0) || !(value.activeSeconds! > 0))
    return 'CONFIGURE needs a positive capacity and activeSeconds';
  if (!positive(value.admitPerMinute) || !positive(value.abandonSeconds))
    return 'CONFIGURE needs admitPerMinute and abandonSeconds positive when set';
  return {
    capacity: value.capacity!,
    activeSeconds: value.activeSeconds!,
    admitPerMinute: value.admitPerMinute,
    opensAtMs: value.opensAtMs,
    abandonSeconds: value.abandonSeconds,
    paused: value.paused ?? false,
  };
}

/** Sends what the outbox holds for these partitions and deletes it once Kafka acknowledged it (run serially). */
export async function publishEvents(
  deps: Pick<AdmitterDeps, 'store' | 'producer' | 'events'>,
  partitions: number[],
): Promise<void> {
  for (;;) {
    const { ids, events } = await deps.store.pendingEvents(partitions);
    if (ids.length === 0) return;
    await deps.producer.sendAll(
      deps.events,
      events.map((value) => ({ key: value.queueId, value })),
    );
    await deps.store.eventsPublished(ids);
  }
}

/** For each partition this instance owns whose queues Redis lost: project them again from Postgres. */
export async function rebuildLostProjections(deps: AdmitterDeps, owned: number[]): Promise<void> {
  for (const partition of await deps.projection.partitionsNotReady(owned)) {
    await deps.serially.run(async () => {
      await deps.projection.replace(await withAdmittedLastMinute(deps.store, await deps.store.snapshot(partition)));
      await deps.projection.markReady(partition);
      deps.logger.info({ partition }, 'queues of the partition projected to Redis from Postgres');
    });
  }
}

export interface ProposerDeps {
  store: AdmissionViewPort;
  producer: TypedProducer;
  commands: TopicCodec<QueueCommand>;
  now: () => number;
  /** The end offset (the next offset to be written) of every partition of the commands topic. */
  endOffsets: () => Promise<Map<number, number>>;
  /** A partition gets no decision while more than this many of its records wait to be applied. */
  maxLag: number;
  logger: Logger;
  /** When each waiting ticket's holder was last seen (QueueProjection in Redis): the evidence for ABANDON. */
  seen: { unseenSince(queueId: string, beforeMs: number, limit: number): Promise<string[]> };
}

/**
 * The admission round of one instance: for each partition it owns (so each queue has one admitter at a time),
 * read the queues as the applied log shows them, decide (domain/admission.ts) and produce the decisions as
 * ADMIT and EXPIRE records keyed by queueId, so they land in the queue's partition after the commands they
 * were made from. Nothing changes until the consumer applies them; the fold checks them again there.
 *
 * A partition is skipped while a decision this instance produced is not applied yet, and while the consumer
 * is more than `maxLag` records behind on it: a decision from a state the log has long left is wasted (safe,
 * but the fold would refuse most of it). Both are told by the partition's fence against an offset: for the
 * first, the end offset read at the round after the decision was acknowledged (it is past the decision's
 * offset; the producer does not hand offsets out); for the second, the end offset now. One admin request a
 * round, for all partitions; the fence is in Postgres, so it is right also after a rebalance or a restart.
 */
export class AdmissionProposer {
  /** Partition → the offset the fence must reach before the next decision; null: just produced, the next round reads it. */
  private readonly waitingFor = new Map<number, number | null>();
  private seq = 0;

  constructor(private readonly deps: ProposerDeps) {}

  async round(owned: number[]): Promise<void> {
    for (const partition of this.waitingFor.keys()) if (!owned.includes(partition)) this.waitingFor.delete(partition);
    if (owned.length === 0) return;
    const ends = await this.deps.endOffsets();
    for (const partition of owned) {
      const end = ends.get(partition) ?? 0;
      if (this.waitingFor.get(partition) === null) this.waitingFor.set(partition, end - 1);
      const floor = Math.max(this.waitingFor.get(partition) ?? -1, end - 1 - this.deps.maxLag);
      // the fence alone first: the whole view (due tickets, the front of every line) only when a decision may follow
      if ((await this.deps.store.appliedThrough(partition)) < floor) continue;
      const nowMs = this.deps.now();
      const view = await this.deps.store.admissionView(partition, nowMs, MAX_DECISION_TICKETS);
      if (view.appliedThrough < floor) continue;
      this.waitingFor.delete(partition);
      const decisions: OutgoingRecord<QueueCommand>[] = [];
      for (const queue of view.queues) {
        const abandon = await this.unseen(queue, nowMs);
        // the abandoned are out of the line before the ADMIT applies: the front is who remains
        const waitingHead = queue.waitingHead.filter((id) => !abandon.has(id));
        const { expire, admit } = decideAdmissions({ ...queue, waitingHead }, nowMs);
        const basis = view.appliedThrough;
        if (abandon.size > 0) decisions.push(this.decision(queue.queueId, 'ABANDON', [...abandon], nowMs, basis));
        if (expire.length > 0) decisions.push(this.decision(queue.queueId, 'EXPIRE', expire, nowMs, basis));
        if (admit.length > 0) decisions.push(this.decision(queue.queueId, 'ADMIT', admit, nowMs, basis));
      }
      if (decisions.length === 0) continue;
      await this.deps.producer.sendAll(this.deps.commands, decisions);
      this.waitingFor.set(partition, null);
    }
  }

  /** Waiting tickets whose holders were not seen for the queue's abandonSeconds (none without it). */
  private async unseen(queue: AdmissionView & { queueId: string }, nowMs: number): Promise<Set<string>> {
    const before = abandonedBefore(queue.settings, nowMs);
    if (before === null) return new Set();
    return new Set(await this.deps.seen.unseenSince(queue.queueId, before, MAX_DECISION_TICKETS));
  }

  private decision(
    queueId: string,
    kind: 'ADMIT' | 'EXPIRE' | 'ABANDON',
    ticketIds: string[],
    atMs: number,
    basisOffset: number,
  ): OutgoingRecord<QueueCommand> {
    // the seq only grows in this process, also across restarts (the clock); idempotency is by ticket and state
    this.seq = Math.max(this.seq + 1, Date.now());
    const value: QueueCommand = {
      ...NO_QUEUE_COMMAND_DETAILS,
      source: ADMITTER_SOURCE,
      seq: this.seq,
      queueId,
      kind,
      receivedAtMs: atMs,
      ticketIds,
      atMs,
      basisOffset,
    };
    return { key: queueId, value, timestamp: Date.now() };
  }
}
