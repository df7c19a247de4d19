import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  estimatedWaitSeconds,
  holdOf,
  nextObservedHold,
  outflowPerMinute,
  phaseOf,
  rateBudget,
  slotIndex,
  type LineView,
  type QueueSettings,
} from './outflow.js';

const settings = (more: Partial<QueueSettings> = {}): QueueSettings => ({ ...DEFAULT_SETTINGS, ...more });
const line = (more: Partial<LineView> = {}): LineView => ({
  settings: settings(),
  observedHoldMs: null,
  activeCount: 0,
  slotExpiresAtMs: null,
  admittedLastMinute: 0,
  nowMs: 1_000_000,
  roundMs: 0,
  ...more,
});

describe('phases', () => {
  it('is a pre-queue before opensAt, then open unless paused', () => {
    expect(phaseOf(settings({ opensAtMs: 2000 }), 1999)).toBe('pre-queue');
    expect(phaseOf(settings({ opensAtMs: 2000 }), 2000)).toBe('open');
    expect(phaseOf(settings({ paused: true }), 2000)).toBe('paused');
    expect(phaseOf(settings({ paused: true, opensAtMs: 3000 }), 2000)).toBe('pre-queue');
  });
});

describe('the rate bound', () => {
  it('counts the admissions of the minute before', () => {
    const s = settings({ admitPerMinute: 3 });
    expect(rateBudget(s, [], 100_000)).toBe(3);
    expect(rateBudget(s, [30_000, 50_000, 99_000], 100_000)).toBe(1);
    expect(rateBudget(s, [50_000, 60_000, 99_000], 100_000)).toBe(0);
    expect(rateBudget(settings(), [1, 2, 3], 100_000)).toBe(Infinity);
  });

  it('never lets any 60 s window hold more than admitPerMinute admissions (monotone times)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 1, max: 30 })), { maxLength: 60 }),
        (perMinute, rounds) => {
          const s = settings({ admitPerMinute: perMinute });
          const times: number[] = [];
          let clock = 0;
          for (const [gap, wanted] of rounds) {
            clock += gap;
            const at = Math.max(clock, times.at(-1) ?? 0);
            const n = Math.min(wanted, rateBudget(s, times, at));
            for (let i = 0; i < n; i++) times.push(at);
          }
          for (const start of times)
            expect(times.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(perMinute);
        },
      ),
    );
  });
});

describe('holds and outflow', () => {
  it('holds a slot for activeSeconds until admissions are seen to end earlier', () => {
    expect(holdOf(settings({ activeSeconds: 180 }), null)).toBe(180_000);
    expect(holdOf(settings({ activeSeconds: 180 }), 60_000)).toBe(60_000);
    expect(holdOf(settings({ activeSeconds: 180 }), 500_000)).toBe(180_000);
    expect(nextObservedHold(40_000, 60_000)).toBe(41_000);
  });

  it('is the tighter of the slots and admitPerMinute', () => {
    expect(outflowPerMinute(settings({ capacity: 100, activeSeconds: 180 }), null)).toBeCloseTo(33.33, 2);
    expect(outflowPerMinute(settings({ capacity: 100, activeSeconds: 180, admitPerMinute: 10 }), null)).toBe(10);
    expect(outflowPerMinute(settings({ capacity: 100, activeSeconds: 180 }), 30_000)).toBe(200);
  });
});

describe('wait estimates', () => {
  it('tells which active ticket frees the slot a position gets', () => {
    const s = settings({ capacity: 2 });
    expect(slotIndex(s, 0, 1)).toBeNull();
    expect(slotIndex(s, 2, 0)).toBe(0);
    expect(slotIndex(s, 2, 1)).toBe(1);
    expect(slotIndex(s, 2, 2)).toBe(0);
    expect(slotIndex(s, 1, 0)).toBeNull();
    expect(slotIndex(s, 1, 1)).toBe(0);
    expect(slotIndex(s, 1, 2)).toBeNull();
    // capacity lowered to 2 with 5 active: the 3 soonest expiries free no slot
    expect(slotIndex(s, 5, 0)).toBe(3);
  });

  it("seed 002's room: 100 slots of 180 s, full, the slots turning in batches", () => {
    const s = settings({ capacity: 100, activeSeconds: 180 });
    const now = 1_000_000;
    // every slot frees in 60 s; position 250 is served in the third turn of the slots
    const full = line({ settings: s, activeCount: 100, slotExpiresAtMs: now + 60_000, nowMs: now });
    expect(estimatedWaitSeconds(full, 0)).toBe(60);
    expect(estimatedWaitSeconds(full, 250)).toBe(60 + 2 * 180);
  });

  it('is a number for a fresh queue, and small when a slot is free', () => {
    expect(estimatedWaitSeconds(line(), 0)).toBe(0);
    expect(estimatedWaitSeconds(line({ roundMs: 200 }), 0)).toBe(1);
  });

  it('capacity 2, 4 s each: the eighth in line waits four turns', () => {
    const s = settings({ capacity: 2, activeSeconds: 4 });
    const now = 10_000;
    expect(
      estimatedWaitSeconds(line({ settings: s, activeCount: 2, slotExpiresAtMs: now + 4000, nowMs: now }), 7),
    ).toBe(16);
  });

  it('counts the observed hold: completions free slots early', () => {
    const s = settings({ capacity: 10, activeSeconds: 180 });
    const now = 1_000_000;
    const view = line({
      settings: s,
      activeCount: 10,
      slotExpiresAtMs: now + 180_000,
      observedHoldMs: 60_000,
      nowMs: now,
    });
    // the ticket admitted now is expected to end 60 s in, not 180; then each turn takes 60 s
    expect(estimatedWaitSeconds(view, 0)).toBe(60);
    expect(estimatedWaitSeconds(view, 25)).toBe(180);
  });

  it('spaces admissions by admitPerMinute', () => {
    const s = settings({ capacity: 1000, admitPerMinute: 60 });
    expect(estimatedWaitSeconds(line({ settings: s }), 0)).toBe(0);
    expect(estimatedWaitSeconds(line({ settings: s }), 120)).toBe(61);
    expect(estimatedWaitSeconds(line({ settings: s, admittedLastMinute: 60 }), 0)).toBe(1);
  });

  it('starts the line at the opening', () => {
    const s = settings({ capacity: 10, activeSeconds: 60, opensAtMs: 1_030_000 });
    expect(estimatedWaitSeconds(line({ settings: s }), 0)).toBe(30);
    expect(estimatedWaitSeconds(line({ settings: s }), 25)).toBe(30 + 2 * 60);
  });
});
