import { describe, expect, it } from 'vitest';
import { MAX_AT_MS, eventTime, eventTimeUpToReceipt } from './event-time.js';

describe('the event time of a write', () => {
  const receivedAt = 1_700_000_000_000;

  it('is the client time when sent, else the receipt time', () => {
    expect(eventTime(receivedAt - 250, receivedAt)).toBe(receivedAt - 250);
    expect(eventTime(undefined, receivedAt)).toBe(receivedAt);
    expect(eventTime(0, receivedAt)).toBe(0);
  });

  it('kept as sent when ahead of the receipt time, unless clamped to it', () => {
    expect(eventTime(receivedAt + 60_000, receivedAt)).toBe(receivedAt + 60_000);
    expect(eventTimeUpToReceipt(receivedAt + 60_000, receivedAt)).toBe(receivedAt);
    expect(eventTimeUpToReceipt(receivedAt - 1, receivedAt)).toBe(receivedAt - 1);
    expect(eventTimeUpToReceipt(undefined, receivedAt)).toBe(receivedAt);
  });

  it('is bounded to before 2100', () => {
    expect(new Date(MAX_AT_MS).toISOString()).toBe('2100-01-01T00:00:00.000Z');
  });
});
