import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TIME_FLOOR_MS, MAX_AT_MS, describeLateness, judgedEventTime, lateness } from './index.js';

const receivedAt = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('the event time of a record', () => {
  it('is the client time when it is plausible, else the receipt time', () => {
    expect(judgedEventTime(receivedAt - 60_000, receivedAt)).toBe(receivedAt - 60_000); // a clock 60 s behind
    expect(judgedEventTime(receivedAt + 45_000, receivedAt)).toBe(receivedAt); // a clock 45 s ahead
    expect(judgedEventTime(0, receivedAt)).toBe(receivedAt); // 1970: a clock never set
    expect(judgedEventTime(EVENT_TIME_FLOOR_MS, receivedAt)).toBe(EVENT_TIME_FLOOR_MS);
    expect(new Date(MAX_AT_MS).toISOString()).toBe('2100-01-01T00:00:00.000Z');
  });

  it('is never after the receipt, and judging twice changes nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_AT_MS - 1 }),
        fc.integer({ min: EVENT_TIME_FLOOR_MS, max: MAX_AT_MS - 1 }),
        (at, received) => {
          const judged = judgedEventTime(at, received);
          expect(judged).toBeLessThanOrEqual(received);
          expect(judgedEventTime(judged, received)).toBe(judged);
        },
      ),
    );
  });
});

describe('lateness', () => {
  it('is judged by the receipt time against the window end plus grace', () => {
    const minuteEnd = receivedAt - 600_000;
    expect(lateness(minuteEnd, receivedAt, 600_000)).toEqual({ late: false, overByMs: 0 });
    expect(lateness(minuteEnd, receivedAt + 1, 600_000)).toEqual({ late: true, overByMs: 1 });
    expect(
      describeLateness('viewers.history.minute', minuteEnd - 30_000, minuteEnd, receivedAt + 7_500_000, 600_000),
    ).toMatch(/received 2 h 15 min after its viewers.history.minute window ended; the window allows 10 min/);
  });
});
