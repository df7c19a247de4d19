import type { QueueCommand } from '@tally/schemas';

/** The fields of a queue command that only some kinds carry. */
export type QueueCommandDetails = Omit<QueueCommand, 'source' | 'seq' | 'queueId' | 'kind' | 'receivedAtMs'>;

/**
 * Every kind-specific field of a queue command unset: what the gateway (client commands) and the admitter
 * (decisions) each start from, so a field added to the schema is added here once.
 */
export const NO_QUEUE_COMMAND_DETAILS: QueueCommandDetails = {
  ticketId: null,
  userId: null,
  capacity: null,
  activeSeconds: null,
  admitPerMinute: null,
  opensAtMs: null,
  abandonSeconds: null,
  paused: null,
  preQueueSeed: null,
  ticketIds: null,
  atMs: null,
  basisOffset: null,
};
