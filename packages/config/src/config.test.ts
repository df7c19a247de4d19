import { describe, expect, it } from 'vitest';
import { ConfigError, assertSqlIdentifier, env, parseConfig, platformConfig } from './index.js';

describe('parseConfig', () => {
  it('defaults to the local stack', () => {
    expect(platformConfig({})).toMatchObject({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'info',
    });
  });

  it('reports every bad value at once, one line each, naming the variable and what it got', () => {
    const shape = {
      PORT: env.port(8080),
      BROKERS: env.brokers(),
      DEBUG: env.boolean(false),
      MODE: env.oneOf(['a', 'b'] as const, 'a'),
      DB: env.url(['postgres']),
    };
    let error: unknown;
    try {
      parseConfig(shape, { PORT: '99999', BROKERS: 'localhost', DEBUG: 'maybe', MODE: 'c', DB: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT: must be between 0 and 65535 (got "99999")',
      'BROKERS: must be a comma-separated list of host:port (got "localhost")',
      'DEBUG: must be true or false (got "maybe")',
      'MODE: must be one of a, b (got "c")',
      'DB: must be a postgres URL (got "mysql://x")',
    ]);
    expect((error as Error).message).toMatch(/^invalid configuration \(5 problems\):\n {2}PORT/);
  });

  it('treats an empty variable as unset and says when a required one is missing', () => {
    expect(() => parseConfig({ NAME: env.string() }, { NAME: '' })).toThrow('NAME: is required (got "")');
    expect(parseConfig({ N: env.integer({ min: 1, fallback: 5 }) }, { N: '' })).toEqual({ N: 5 });
  });

  it('parses brokers, integers and booleans into their types', () => {
    const parsed = parseConfig(
      { B: env.brokers(), I: env.integer({ min: -5 }), F: env.boolean() },
      { B: 'a:1, b.example:9092', I: '-3', F: 'yes' },
    );
    expect(parsed).toEqual({ B: ['a:1', 'b.example:9092'], I: -3, F: true });
  });

  it('reads a structured value by its own parser, the default too, and reports its message', () => {
    const list = (text: string) => {
      if (!text.startsWith('[')) throw new Error('must be a JSON array');
      return JSON.parse(text) as number[];
    };
    expect(parseConfig({ L: env.parsed(list, '[1]') }, {})).toEqual({ L: [1] });
    expect(parseConfig({ L: env.parsed(list, '[1]') }, { L: '[2,3]' })).toEqual({ L: [2, 3] });
    expect(() => parseConfig({ L: env.parsed(list) }, { L: '{}' })).toThrow('L: must be a JSON array (got "{}")');
  });
});

describe('SQL identifiers (DB_SCHEMA)', () => {
  it('reads a lower-case identifier, with its default, and refuses anything SQL could misread', () => {
    const shape = { DB_SCHEMA: env.sqlIdentifier('wallet_ledger') };
    expect(parseConfig(shape, {})).toEqual({ DB_SCHEMA: 'wallet_ledger' });
    expect(parseConfig(shape, { DB_SCHEMA: '_v2' })).toEqual({ DB_SCHEMA: '_v2' });
    for (const bad of ['Wallet', 'x; DROP TABLE y', '1st', 'a-b', 'a.b'])
      expect(() => parseConfig(shape, { DB_SCHEMA: bad })).toThrow(
        `DB_SCHEMA: must be a lower-case SQL identifier (got ${JSON.stringify(bad)})`,
      );
  });

  it('asserts one where a store is handed it, naming the variable', () => {
    expect(assertSqlIdentifier('queue_admitter')).toBe('queue_admitter');
    expect(() => assertSqlIdentifier('a"b')).toThrow('DB_SCHEMA must be a lower-case SQL identifier (got "a\\"b")');
    expect(() => assertSqlIdentifier('A', 'schema')).toThrow('schema must be a lower-case SQL identifier (got "A")');
  });
});
