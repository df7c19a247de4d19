import { describe, expect, it } from 'vitest';
import { JOBS, trafficOf } from './traffic.js';

/** A fixed sequence, so the requests are the same every run. */
const fixed = () => {
  let s = 7;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
};

describe('load traffic', () => {
  it('every write may travel in its batch route, and leaves its (source, seq) to the SDK', () => {
    const batchRoutes: Record<string, string> = {
      viewers: '/v1/heartbeats/batch',
      counters: '/v1/items/batch',
      wallet: '/v1/wallets/transactions/batch',
      queue: '/v1/queues/tickets/batch',
      votes: '/v1/polls/votes/batch',
    };
    for (const job of JOBS) {
      const next = trafficOf(job, { run: 'r1', random: fixed() });
      for (let i = 0; i < 50; i++) {
        const { request } = next();
        expect(request.batch?.url).toBe(batchRoutes[job]);
        expect(request.body).not.toHaveProperty('seq');
      }
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
      for (let i = 0; i < 100; i++) expect(next().request.path).toMatch(routes[job]!);
    }
  });

  it('votes come from regions of very different sizes', () => {
    const next = trafficOf('votes', { run: 'r1', random: fixed() });
    const perRegion: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) {
      const region = (next().request.body as { region: string }).region;
      perRegion[region] = (perRegion[region] ?? 0) + 1;
    }
    expect(perRegion.na!).toBeGreaterThan(perRegion.tw! * 5);
    expect(perRegion.tw!).toBeGreaterThan(perRegion.jp! * 5);
  });
});
