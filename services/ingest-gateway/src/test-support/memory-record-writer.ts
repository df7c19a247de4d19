import type { OutgoingRecord } from '@tally/streaming';
import type { RecordWriter } from '../ports/record-writer.js';

/**
 * The record writer of the unit tests: keeps what the routes wrote, in order, so a test sees exactly which records
 * a request produced (none, for bad input). `refusing` stands for Kafka not acknowledging: writes then fail.
 */
export class MemoryRecordWriter<T> implements RecordWriter<T> {
  readonly records: OutgoingRecord<T>[] = [];
  refusing = false;

  async write(records: OutgoingRecord<T>[], deadline: AbortSignal): Promise<void> {
    if (this.refusing) throw new Error('not acknowledged (refusing, as the test asked)');
    if (deadline.aborted) throw new Error('not acknowledged before the write deadline');
    this.records.push(...records);
  }

  /** The values written, without their keys. */
  get values(): T[] {
    return this.records.map((record) => record.value);
  }
}
