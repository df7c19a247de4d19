/**
 * Allowed lateness of the ranking windows: an event received after its minute left a window (plus the
 * window's grace) is not applied to that window and goes to the late topic; it still counts in the totals.
 * A late retry of a write long after 1,500 newer writes of its source still counts exactly once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningMaterializer } from '../src/service.js';
import { TestClock } from '@tally/testkit';
import { counterWorld, itemEvent } from './fixtures/world.js';

const stack = inject('stack');
const now = Date.UTC(2026, 11, 4, 12, 0, 30);
const clock = new TestClock(now);
let world: Awaited<ReturnType<typeof counterWorld>>;
let service: RunningMaterializer;

beforeAll(async () => {
  world = await counterWorld(stack, 'lateness', clock);
  service = await world.start();
});

afterAll(async () => {
  await world?.close();
});

const score = async (metric: string, window: string, itemId: string) =>
  (await world.ranking(service, metric, window)).body.find((r) => r.itemId === itemId)?.score;

describe('allowed lateness of the ranking windows', () => {
  it('applies an event late for 1h to the 24h window and the totals, and one late for 24h to the totals only', async () => {
    await world.send([
      itemEvent({ source: 'late', seq: 1, itemId: 'on-time', kind: 'VIEW', atMs: now - 60_000, receivedAtMs: now }),
      // its minute left the 1h window an hour after it; received 2 h after: late for 1h (grace 5 min), not for 24h
      itemEvent({
        source: 'late',
        seq: 2,
        itemId: 'two-hours',
        kind: 'VIEW',
        atMs: now - 2 * 3_600_000,
        receivedAtMs: now,
      }),
      // received 30 h after: late for both
      itemEvent({
        source: 'late',
        seq: 3,
        itemId: 'thirty-hours',
        kind: 'VIEW',
        atMs: now - 30 * 3_600_000,
        receivedAtMs: now,
      }),
    ]);
    await world.caughtUp();
    expect([
      await score('views', '1h', 'on-time'),
      await score('views', '24h', 'on-time'),
      await score('views', 'all', 'on-time'),
    ]).toEqual([1, 1, 1]);
    expect([
      await score('views', '1h', 'two-hours'),
      await score('views', '24h', 'two-hours'),
      await score('views', 'all', 'two-hours'),
    ]).toEqual([undefined, 1, 1]);
    expect([
      await score('views', '1h', 'thirty-hours'),
      await score('views', '24h', 'thirty-hours'),
      await score('views', 'all', 'thirty-hours'),
    ]).toEqual([undefined, undefined, 1]);
    expect((await world.counts(service, 'thirty-hours')).body.views).toBe(1);
    const { rows } = await world.pool.query(
      `SELECT count(*)::int AS n FROM ${world.schema}.item_minutes WHERE item_id = 'thirty-hours'`,
    );
    expect(rows[0].n).toBe(0); // no minute row no window will ever read

    const late = (await world.lateRecords(2)).sort((a, b) => a.writeId.localeCompare(b.writeId));
    expect(late.map((l) => [l.writeId, l.reasonCode, l.windows, l.otherEffectsApplied])).toEqual([
      ['late:2', 'AFTER_GRACE', ['counters.ranking.1h'], true],
      ['late:3', 'AFTER_GRACE', ['counters.ranking.1h', 'counters.ranking.24h'], true],
    ]);
    expect(late[0]!.reason).toMatch(/window ended; the window allows 5 min/);
    const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    expect(metrics).toMatch(/tally_late_records_total\{[^}]*reason="AFTER_GRACE"[^}]*\} 2/);
  });

  it('reports a late write once however often it is retried', async () => {
    const retried = itemEvent({
      source: 'late-retry',
      seq: 9,
      itemId: 'retried',
      kind: 'VIEW',
      atMs: now - 3 * 3_600_000,
      receivedAtMs: now,
    });
    await world.send([retried, retried, { ...retried, receivedAtMs: now + 5000 }]);
    await world.caughtUp();
    expect((await world.counts(service, 'retried')).body.views).toBe(1);
    // all three deliveries are committed, so every report was acknowledged before: read what is there
    const late = await world.lateRecords(4, 3000);
    expect(late.filter((l) => l.writeId === 'late-retry:9')).toHaveLength(1);
  });

  it('counts a late retry after 1,500 newer views of its source exactly once', async () => {
    const view = (seq: number) =>
      itemEvent({ source: 'phone-1', seq, itemId: 'clip', kind: 'VIEW', atMs: now, receivedAtMs: now });
    await world.send(Array.from({ length: 1500 }, (_, i) => view(i + 2)));
    await world.send([view(1)]); // its first try got no answer
    await world.send([view(1), view(700)]); // retried again, and an old one repeated
    await world.caughtUp();
    expect((await world.counts(service, 'clip')).body.views).toBe(1501);
  });
});
