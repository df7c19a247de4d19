import { DEFAULT_REGIONS } from '@tally/contracts';
/**
 * Realistic traffic for each of Tally's jobs, as requests to the public API: what `tally load` sends. Pure:
 * each job is a small state machine that names its next request; the runner sends them at the chosen rate.
 */
export type Job = 'viewers' | 'counters' | 'wallet' | 'queue' | 'votes';
export const JOBS: readonly Job[] = ['viewers', 'counters', 'wallet', 'queue', 'votes'];

export interface LoadRequest {
  job: Job;
  method: 'POST' | 'PUT';
  path: string;
  body: unknown;
}

/** Draws from [0, 1); injectable so tests are deterministic. */
export type Random = () => number;

/** Popular things get most of the traffic: index in [0, n) skewed to the low end. */
const skewed = (random: Random, n: number) => Math.floor(n * random() ** 2);

export interface TrafficOptions {
  /** Names this run's writes: `source` is `load.<job>.<run>`; seqs count up from 0. */
  run: string;
  random?: Random;
  regions?: readonly string[];
}

/** The one-off setup a job needs before its traffic (a queue's capacity, a poll's options). */
export function setupRequests(run: string, regions: readonly string[] = DEFAULT_REGIONS): LoadRequest[] {
  return [
    { job: 'queue', method: 'PUT', path: `/v1/queues/load-${run}`, body: { capacity: 100, activeSeconds: 60 } },
    {
      job: 'votes',
      method: 'PUT',
      path: `/v1/polls/load-${run}`,
      body: {
        options: ['aria', 'blue', 'coda', 'dawn'],
        regions: Object.fromEntries(regions.map((r, i) => [r, { weight: i === 0 ? 2 : 1 }])),
      },
    },
  ];
}

/** The next request of each job, forever. */
export function trafficOf(job: Job, options: TrafficOptions): () => LoadRequest {
  const random = options.random ?? Math.random;
  const source = `load.${job}.${options.run}`;
  let seq = 0;
  const key = () => ({ source, seq: seq++ });
  switch (job) {
    case 'viewers': {
      // 2,000 players over 20 streams; a player heartbeats, and now and then ends its session
      return () => {
        const player = Math.floor(random() * 2000);
        const ended = random() < 0.01;
        return {
          job,
          method: 'POST',
          path: `/v1/streams/stream-${player % 20}/heartbeats`,
          body: {
            ...key(),
            sessionId: `session-${options.run}-${player}`,
            userId: `viewer-${player}`,
            positionMs: Math.floor(random() * 3_600_000),
            ...(ended ? { state: 'ended' } : {}),
          },
        };
      };
    }
    case 'counters':
      // 500 items, popular ones most: likes (some taken back) and views
      return () => {
        const itemId = `item-${skewed(random, 500)}`;
        const userId = `fan-${Math.floor(random() * 20_000)}`;
        return random() < 0.3
          ? {
              job,
              method: 'POST',
              path: `/v1/items/${itemId}/likes`,
              body: { ...key(), userId, liked: random() < 0.9 },
            }
          : { job, method: 'POST', path: `/v1/items/${itemId}/views`, body: { ...key(), userId } };
      };
    case 'wallet':
      // credits (quest rewards) and debits (store purchases), some of which overdraw and are refused
      return () => {
        const userId = `player-${Math.floor(random() * 1000)}`;
        const credit = random() < 0.6;
        const amount = credit ? `${1 + Math.floor(random() * 20)}.00` : `${1 + Math.floor(random() * 30)}.50`;
        return {
          job,
          method: 'POST',
          path: `/v1/wallets/${userId}/transactions`,
          body: { ...key(), type: credit ? 'credit' : 'debit', asset: 'coins', amount },
        };
      };
    case 'queue':
      return () => ({
        job,
        method: 'POST',
        path: `/v1/queues/load-${options.run}/tickets`,
        body: { ...key(), userId: `fan-${Math.floor(random() * 100_000)}` },
      });
    case 'votes': {
      // regions of very different sizes and tastes, as in seed 003; some users vote twice (the second loses)
      const regions = options.regions ?? DEFAULT_REGIONS;
      const sizes = regions.map((_, i) => 10 ** (i % 4));
      const total = sizes.reduce((a, b) => a + b, 0);
      const choices = ['aria', 'blue', 'coda', 'dawn'];
      return () => {
        let r = random() * total;
        const index = Math.max(
          0,
          sizes.findIndex((s) => (r -= s) < 0),
        );
        const region = regions[index]!;
        const optionId = choices[(index + skewed(random, choices.length)) % choices.length]!;
        return {
          job,
          method: 'POST',
          path: `/v1/polls/load-${options.run}/votes`,
          body: { ...key(), region, userId: `${region}-voter-${Math.floor(random() * 50_000)}`, optionId },
        };
      };
    }
  }
}
