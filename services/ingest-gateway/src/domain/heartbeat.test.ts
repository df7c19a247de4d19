import { describe, expect, it } from 'vitest';
import { MAX_POSITION_MS, toHeartbeat } from './heartbeat.js';

describe('a heartbeat request becomes a Heartbeat record', () => {
  const receivedAt = 1_700_000_000_000;

  it('keeps every field, names the stream and stamps the receipt time', () => {
    const record = toHeartbeat(
      'stream-1',
      {
        source: 'player-7',
        seq: 42,
        sessionId: 's1',
        userId: 'u1',
        positionMs: 1500,
        at: receivedAt - 250,
        state: 'ended',
      },
      receivedAt,
    );
    expect(record).toEqual({
      source: 'player-7',
      seq: 42,
      streamId: 'stream-1',
      sessionId: 's1',
      userId: 'u1',
      positionMs: 1500,
      state: 'ENDED',
      atMs: receivedAt - 250,
      receivedAtMs: receivedAt,
    });
  });

  it('defaults to an anonymous, playing session whose event time is the receipt time', () => {
    const record = toHeartbeat('s', { source: 'p', seq: 0, sessionId: 'x', positionMs: 0 }, receivedAt);
    expect(record).toMatchObject({ userId: null, state: 'PLAYING', atMs: receivedAt, receivedAtMs: receivedAt });
  });

  it('does not clamp a client time ahead of the receipt time: the aggregator does, from receivedAtMs', () => {
    expect(
      toHeartbeat('s', { source: 'p', seq: 1, sessionId: 'x', positionMs: 0, at: receivedAt + 60_000 }, receivedAt)
        .atMs,
    ).toBe(receivedAt + 60_000);
  });

  it('bounds positions to ten years', () => {
    expect(MAX_POSITION_MS).toBe(315_576_000_000);
  });
});
