import { describe, expect, it } from 'vitest';
import { presenceBeat } from './viewers.js';

const received = Date.UTC(2026, 11, 4, 12, 0, 0);
const TOLERANCE = 600_000;
const beat = (atMs: number, ended = false) =>
  presenceBeat({ sessionId: 's', atMs, receivedAtMs: received, ended }, TOLERANCE);

describe('presenceBeat', () => {
  it('orders by the client’s clock as sent, and keeps the receipt time and whether it ended', () => {
    expect(beat(received - 2000, true)).toEqual({
      sessionId: 's',
      orderingMs: received - 2000,
      receivedAtMs: received,
      ended: true,
      withinTolerance: true,
    });
  });

  it('lets a clock behind by up to the tolerance make a session present, and not one further behind', () => {
    expect(beat(received - TOLERANCE).withinTolerance).toBe(true);
    expect(beat(received - TOLERANCE - 1).withinTolerance).toBe(false);
  });

  it('places a clock ahead at its receipt (it may), but still orders by what it sent', () => {
    expect(beat(received + 3_600_000)).toMatchObject({ orderingMs: received + 3_600_000, withinTolerance: true });
  });

  it('places a clock never set at its receipt (it may), ordered by its time since boot', () => {
    expect(beat(5000)).toMatchObject({ orderingMs: 5000, withinTolerance: true });
  });
});
