import { writes, type Tally, type WriteRequest } from '@tally/client';
import { DEFAULT_REGIONS } from '@tally/contracts';
/**
 * Realistic traffic for each of Tally's jobs, as writes of the SDK (@tally/client): what `tally load` sends.
 * Pure: each job is a small state machine that says its next write; the runner hands them to the SDK, which
 * names each with its (source, seq), batches, retries and counts them like any app's.
 */
export type Job = 'viewers' | 'counters' | 'wallet' | 'queue' | 'votes';
export const JOBS: readonly Job[] = ['viewers', 'counters', 'wallet', 'queue', 'votes'];

export interface LoadWrite {
  job: Job;
  request: WriteRequest;
}

/** Draws from [0, 1); injectable so tests are deterministic. */
export type Random = () => number;

/** Popular things get most of the traffic: index in [0, n) skewed to the low end. */
const skewed = (random: Random, n: number) => Math.floor(n * random() ** 2);

export interface TrafficOptions {
  /** Names this run's queue and poll (`load-<run>`) and its sessions. */
  run: string;
  random?: Random;
  regions?: readonly string[];
}

/** The one-off setup a job needs before its traffic (a queue's capacity, a poll's options). */
export function setUp(tally: Tally, jobs: readonly Job[], run: string, regions = DEFAULT_REGIONS): Promise<unknown> {
  return Promise.all([
    jobs.includes('queue') ? tally.queues.configure(`load-${run}`, { capacity: 100, activeSeconds: 60 }) : undefined,
    jobs.includes('votes')
      ? tally.polls.configure(`load-${run}`, {
          options: ['aria', 'blue', 'coda', 'dawn'],
          regions: Object.fromEntries(regions.map((r, i) => [r, { weight: i === 0 ? 2 : 1 }])),
        })
      : undefined,
  ]);
}

/** The next write of each job, forever. */
export function trafficOf(job: Job, options: TrafficOptions): () => LoadWrite {
  const random = options.random ?? Math.random;
  const next = (request: WriteRequest): LoadWrite => ({ job, request });
  switch (job) {
    case 'viewers': {
      // 2,000 players over 20 streams; a player heartbeats, and now and then ends its session
      return () => {
        const player = Math.floor(random() * 2000);
        const ended = random() < 0.01;
        return next(
          writes.heartbeat(`stream-${player % 20}`, {
            sessionId: `session-${options.run}-${player}`,
            userId: `viewer-${player}`,
            positionMs: Math.floor(random() * 3_600_000),
            ...(ended ? { state: 'ended' as const } : {}),
          }),
        );
      };
    }
    case 'counters':
      // 500 items, popular ones most: likes (some taken back) and views
      return () => {
        const itemId = `item-${skewed(random, 500)}`;
        const userId = `fan-${Math.floor(random() * 20_000)}`;
        return next(
          random() < 0.3 ? writes.like(itemId, { userId, liked: random() < 0.9 }) : writes.view(itemId, { userId }),
        );
      };
    case 'wallet':
      // credits (quest rewards) and debits (store purchases), some of which overdraw and are refused
      return () => {
        const userId = `player-${Math.floor(random() * 1000)}`;
        const credit = random() < 0.6;
        const amount = credit ? `${1 + Math.floor(random() * 20)}.00` : `${1 + Math.floor(random() * 30)}.50`;
        return next(writes.transaction(userId, { type: credit ? 'credit' : 'debit', asset: 'coins', amount }));
      };
    case 'queue':
      return () => next(writes.join(`load-${options.run}`, { userId: `fan-${Math.floor(random() * 100_000)}` }));
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
        return next(
          writes.vote(`load-${options.run}`, {
            region,
            userId: `${region}-voter-${Math.floor(random() * 50_000)}`,
            optionId,
          }),
        );
      };
    }
  }
}
