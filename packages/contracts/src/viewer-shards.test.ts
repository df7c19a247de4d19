import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heartbeatRecordKey, parseStreamShards, sessionShard, shardKey, shardsAt, NO_SHARDS } from './viewer-shards.js';

describe('viewer shards', () => {
  it('puts a session in the same shard every time, within range, spread evenly', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 256 }), (session, shards) => {
        const shard = sessionShard(session, shards);
        expect(shard).toBe(sessionShard(session, shards));
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(shards);
      }),
    );
    const perShard = new Array<number>(16).fill(0);
    for (let i = 0; i < 160_000; i++) perShard[sessionShard(`sess-${i}`, 16)]!++;
    for (const n of perShard) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it('is a fixed function of the session id (FNV-1a of its UTF-8 bytes): other languages can compute it', () => {
    expect(sessionShard('a', 1_000_003)).toBe(0xe40c292c % 1_000_003);
    expect(sessionShard('anything', 1)).toBe(0);
  });

  it('keys a one-shard stream as before and a sharded one by its shard', () => {
    const config = parseStreamShards('hot=8');
    expect(heartbeatRecordKey(NO_SHARDS, { streamId: 's', sessionId: 'x', receivedAtMs: 1 })).toBe('s');
    expect(heartbeatRecordKey(config, { streamId: 'cold', sessionId: 'x', receivedAtMs: 1 })).toBe('cold');
    expect(heartbeatRecordKey(config, { streamId: 'hot', sessionId: 'x', receivedAtMs: 1 })).toBe(
      `hot#${sessionShard('x', 8)}`,
    );
    expect(shardKey('s', 0, 1)).toBe('s');
  });

  it('reads shard counts over time, by receipt time', () => {
    const config = parseStreamShards(' hot=8, hot=32@2026-12-04T20:00:00Z ,other=4@1000');
    const at20 = Date.parse('2026-12-04T20:00:00Z');
    expect(shardsAt(config, 'hot', 0)).toBe(8);
    expect(shardsAt(config, 'hot', at20 - 1)).toBe(8);
    expect(shardsAt(config, 'hot', at20)).toBe(32);
    expect(shardsAt(config, 'other', 999)).toBe(1);
    expect(shardsAt(config, 'other', 1000)).toBe(4);
    expect(shardsAt(config, 'none', 1000)).toBe(1);
    expect(parseStreamShards('').size).toBe(0);
  });

  it('refuses a bad entry, saying which', () => {
    expect(() => parseStreamShards('hot')).toThrow(/"hot" is not/);
    expect(() => parseStreamShards('hot=0')).toThrow(/between 1 and 256/);
    expect(() => parseStreamShards('hot=2@yesterday')).toThrow(/neither epoch ms nor an ISO time/);
    expect(() => parseStreamShards('hot=2,hot=4')).toThrow(/two entries from one time/);
    expect(() => parseStreamShards('a#b=2')).toThrow(/is not/);
  });
});
