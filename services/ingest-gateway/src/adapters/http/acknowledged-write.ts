import type { FastifyBaseLogger } from 'fastify';
import type { OutgoingRecord } from '@tally/streaming';
import type { RecordWriter } from '../../ports/record-writer.js';
import { unavailable } from './problems.js';

/**
 * Runs a write request's steps under its one deadline (WRITE_DEADLINE_MS): producing and, for `?wait=true`, the
 * wait for the outcome share the one signal, so the client is answered by then whichever step is slow.
 */
export async function withWriteDeadline<R>(
  deadlineMs: number,
  steps: (deadline: AbortSignal) => Promise<R>,
): Promise<R> {
  const deadline = new AbortController();
  // cleared as soon as the steps end: at thousands of writes a second, timers left to run out would pile up
  const timer = setTimeout(() => deadline.abort(), deadlineMs);
  try {
    return await steps(deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes the records or answers 503: a 202 means Kafka acknowledged them (acks=all), and the client retries a
 * 503 with the same (source, seq), so a retry is harmless.
 */
export function acknowledgedWrite<T>(
  log: FastifyBaseLogger,
  writer: RecordWriter<T>,
  what: string,
): (records: OutgoingRecord<T>[], deadline: AbortSignal) => Promise<void> {
  return async (records, deadline) => {
    try {
      await writer.write(records, deadline);
    } catch (error) {
      log.warn({ err: error, records: records.length }, `${what} not acknowledged`);
      throw unavailable('Kafka did not acknowledge the write; retry it with the same source and seq');
    }
  };
}
