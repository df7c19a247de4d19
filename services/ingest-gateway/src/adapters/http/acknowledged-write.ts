import type { FastifyBaseLogger } from 'fastify';
import type { OutgoingRecord } from '@tally/streaming';
import type { RecordWriter } from '../kafka/record-writer.js';
import { unavailable } from './problems.js';

/**
 * Writes the records or answers 503: a 202 means Kafka acknowledged them (acks=all), and the client retries a
 * 503 with the same (source, seq), so a retry is harmless.
 */
export function acknowledgedWrite<T>(
  log: FastifyBaseLogger,
  writer: RecordWriter<T>,
  what: string,
): (records: OutgoingRecord<T>[]) => Promise<void> {
  return async (records) => {
    try {
      await writer.write(records);
    } catch (error) {
      log.warn({ err: error, records: records.length }, `${what} not acknowledged`);
      throw unavailable('Kafka did not acknowledge the write; retry it with the same source and seq');
    }
  };
}
