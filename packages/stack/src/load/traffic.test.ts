import { describe, expect, it } from 'vitest';
import { JOBS, setupRequests, trafficOf } from './traffic.js';

/** A fixed sequence, so the requests are the same every run. */
const fixed = () => {
  let s = 7;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
};

describe('load traffic', () => {
  it('every job names its writes with its own source and growing seqs', () => {
    for (const job of JOBS) {
      const next = trafficOf(job, { run: 'r1', random: fixed() });
      const bodies = Array.from({ length: 50 }, () => next().body as { source: string; seq: number });
      expect(new Set(bodies.map((b) => b.source))).toEqual(new Set([`load.${job}.r1`]));
      expect(bodies.map((b) => b.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
  });

  it('requests go to the public routes of docs/API.md', () => {
    const routes: Record<string, RegExp> = {
      viewers: /^\/v1\/streams\/stream-\d+\/heartbeats$/,
      counters: /^\/v1\/items\/item-\d+\/(likes|views)$/,
      wallet: /^\/v1\/wallets\/player-\d+\/transactions$/,
      queue: /^\/v1\/queues\/load-r1\/tickets$/,
      votes: /^\/v1\/polls\/load-r1\/votes$/,
    };
    for (const job of JOBS) {
      const next = trafficOf(job, { run: 'r1', random: fixed() });
      for (let i = 0; i < 100; i++) expect(next().path).toMatch(routes[job]!);
    }
  });

  it('votes come from regions of very different sizes', () => {
    const next = trafficOf('votes', { run: 'r1', random: fixed() });
    const perRegion: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) {
      const region = (next().body as { region: string }).region;
      perRegion[region] = (perRegion[region] ?? 0) + 1;
    }
    expect(perRegion.na!).toBeGreaterThan(perRegion.tw! * 5);
    expect(perRegion.tw!).toBeGreaterThan(perRegion.jp! * 5);
  });

  it('sets up the queue and the poll it votes in', () => {
    expect(setupRequests('r1').map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /v1/queues/load-r1',
      'PUT /v1/polls/load-r1',
    ]);
  });
});
