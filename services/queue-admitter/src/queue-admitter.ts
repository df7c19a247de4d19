import type { Logger } from '@tally/observability';
import type { QueueCommand, QueueEvent, TopicCodec } from '@tally/schemas';
import type { BatchHandler, ConsumedRecord, Rejection, Serially, TypedProducer } from '@tally/streaming';
import type { QueueCommandRecord, QueueStore } from './adapters/postgres-queues.js';
import type { QueueProjection } from './adapters/redis-queues.js';
import type { QueueCommandToApply } from './domain/tickets.js';

export interface AdmitterDeps {
  store: QueueStore;
  projection: QueueProjection;
  producer: TypedProducer;
  events: TopicCodec<QueueEvent>;
  /** Command batches and admission rounds of this process run one at a time, each with its projection. */
  serially: Serially;
  now: () => number;
  logger: Logger;
}

/**
 * A partition's commands: one Postgres transaction (in arrival order: the partition offset is the join
 * order), then the Redis projection and the outbox's events; only then does the runtime commit the offsets.
 */
export function queueCommandHandler(deps: AdmitterDeps): BatchHandler<QueueCommand> {
  return async ({ partition, records }) => {
    const rejected: Rejection<QueueCommand>[] = [];
    const commands: QueueCommandRecord[] = [];
    for (const record of records) {
      const command = toCommand(record);
      if (typeof command === 'string') rejected.push({ record, reason: command });
      else commands.push({ queueId: record.value.queueId, command });
    }
    if (commands.length > 0) {
      await deps.serially.run(async () => {
        await deps.projection.project(await deps.store.applyCommands(partition, commands, deps.now()));
        await publishEvents(deps, [partition]);
      });
    }
    return { rejected };
  };
}

/** The command for the domain, or why it cannot be one (written by something other than the gateway). */
function toCommand({ value, offset }: ConsumedRecord<QueueCommand>): QueueCommandToApply | string {
  if (!value.queueId) return 'a queue command needs a queueId';
  switch (value.kind) {
    case 'CONFIGURE':
      if (!(value.capacity! > 0) || !(value.activeSeconds! > 0)) return 'CONFIGURE needs a positive capacity and activeSeconds';
      return { kind: 'CONFIGURE', capacity: value.capacity!, activeSeconds: value.activeSeconds! };
    case 'JOIN':
      if (!value.ticketId || !value.userId) return 'JOIN needs a ticketId and a userId';
      return { kind: 'JOIN', ticketId: value.ticketId, userId: value.userId, joinOrder: offset };
    default:
      if (!value.ticketId) return `${value.kind} needs a ticketId`;
      return { kind: value.kind, ticketId: value.ticketId };
  }
}

/** Sends what the outbox holds for these partitions and deletes it once Kafka acknowledged it (run serially). */
export async function publishEvents(deps: Pick<AdmitterDeps, 'store' | 'producer' | 'events'>, partitions: number[]): Promise<void> {
  for (;;) {
    const { ids, events } = await deps.store.pendingEvents(partitions);
    if (ids.length === 0) return;
    await deps.producer.sendAll(deps.events, events.map((value) => ({ key: value.queueId, value })));
    await deps.store.eventsPublished(ids);
  }
}

/**
 * The admission loop of one instance: for each partition it owns (so each queue has one admitter at a time),
 * rebuild Redis if it was lost, run an admission round, project it, publish its events.
 */
export async function admissionRound(deps: AdmitterDeps, owned: number[]): Promise<void> {
  for (const partition of owned) {
    await deps.serially.run(async () => {
      if ((await deps.projection.partitionsNotReady([partition])).length > 0) {
        await deps.projection.replace(await deps.store.snapshot(partition, deps.now()));
        await deps.projection.markReady(partition);
        deps.logger.info({ partition }, 'queues of the partition projected to Redis from Postgres');
      }
      await deps.projection.project(await deps.store.tick(partition, deps.now()));
      await publishEvents(deps, [partition]);
    });
  }
}
