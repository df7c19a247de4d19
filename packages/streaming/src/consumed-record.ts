import type { IHeaders } from 'kafkajs';

/** A record as the batch consumer hands it on: decoded, with where it came from and its bytes as consumed. */
export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; as a number they stay exact up to 2^53, far beyond any partition we keep. */
  offset: number;
  key: string | null;
  value: T;
  timestamp: number;
  headers: IHeaders;
  /** The bytes as consumed, so a record set aside can be produced again unchanged. */
  rawKey: Buffer | null;
  rawValue: Buffer | null;
}
