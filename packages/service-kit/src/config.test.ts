import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@tally/config';
import { TOPICS } from '@tally/contracts';
import { consumingServiceShape } from './config.js';

const shape = consumingServiceShape({ name: 'wallet-ledger', port: 8093, schema: 'wallet_ledger' });

describe('consumingServiceShape', () => {
  it('defaults to the service’s own name, port and schema, and to the side topics of the catalogue', () => {
    expect(parseConfig(shape, {})).toMatchObject({
      KAFKA_CLIENT_ID: 'wallet-ledger',
      CONSUMER_GROUP: 'wallet-ledger',
      PORT: 8093,
      HOST: '0.0.0.0',
      DB_SCHEMA: 'wallet_ledger',
      CONSUMER_CONCURRENCY: 4,
      DLQ_TOPIC: TOPICS.deadLetters.name,
      LATE_TOPIC: TOPICS.late.name,
    });
    expect(parseConfig(consumingServiceShape({ name: 'x', port: 1, schema: 'x', concurrency: 12 }), {})).toMatchObject({
      CONSUMER_CONCURRENCY: 12,
    });
  });

  it('refuses a schema that is no SQL identifier, with the rest of the problems', () => {
    const problems = (() => {
      try {
        parseConfig(shape, { DB_SCHEMA: 'wallet-ledger', PORT: 'x' });
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    })();
    expect(problems).toEqual([
      'PORT: must be a whole number (got "x")',
      'DB_SCHEMA: must be a lower-case SQL identifier (got "wallet-ledger")',
    ]);
  });
});
