import type { OutgoingRecord } from '@tally/streaming';

/**
 * Where the write routes put accepted records: the Kafka producer in the service (adapters/kafka), memory in the
 * unit tests (test-support). `write` resolves once every record is durable and rejects otherwise, at the latest
 * when `deadline` (the request's one write deadline, WRITE_DEADLINE_MS) aborts; records not yet sent by then are
 * never sent, since the client has been told to retry them.
 */
export interface RecordWriter<T> {
  write(records: OutgoingRecord<T>[], deadline: AbortSignal): Promise<void>;
}
