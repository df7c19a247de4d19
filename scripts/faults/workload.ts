/**
 * The load of the fault run: every product's writes through the gateway at a steady rate, each write retried
 * with its own (source, seq) until accepted, and a model of everything sent, so invariants.ts can say exactly
 * what every service must count. Mix (of `ratePerSecond`): 20% heartbeats (players every 5 s), 30% likes,
 * views and counter increments, 22% credits, debits, transfers and grants (`?wait=true`), 8% queue joins and
 * leaves (completes follow the clients' polling), 20% ballots in every region.
 *
 * While paused, a heartbeating keeper session per stream goes on (see workload/viewers.ts): a check long
 * after the pause still has live viewers to count. Its timer does not hold the process open.
 *
 * Faults of time (issue 17) are the workload's own doing: skewed device clocks (workload/clocks.ts) while the
 * load runs, and late retries beyond the idempotency window and a burst of late data while it is paused
 * (workload/late-data.ts), each with what the services must make of it in the models.
 */
import { DEFAULT_REGIONS } from '@tally/contracts';
import type { FaultEnvironment } from './environment.js';
import { LateTopic, lateMetricsCheck, readLateMetrics } from './workload/check-late.js';
import { ahead, behind, RIGHT, unset, type Clock, type ClockName } from './workload/clocks.js';
import { RepeatSample, type TrafficContext } from './workload/context.js';
import { CounterModel, CounterTraffic } from './workload/counters.js';
import { Gateway } from './workload/gateway.js';
import { registerInternals, type WorkloadInternals } from './workload/internals.js';
import { injectLateBurst, injectLateRetries, LATE_HEARTBEATS, LATE_VIEWS, LateModel } from './workload/late-data.js';
import { LoadLoop } from './workload/load-loop.js';
import { QUEUE_SETTINGS, QueueModel, QueueTraffic } from './workload/queue.js';
import { seededRandom } from './workload/random.js';
import { redeliverReversed, repostShuffled } from './workload/redeliver.js';
import {
  groupsByProduct,
  LoadStats,
  PRODUCTS,
  productOfService,
  type Injected,
  type PerProduct,
  type Product,
} from './workload/stats.js';
import { Keepers, ViewerModel, ViewerTraffic } from './workload/viewers.js';
import { POLL_OPTIONS, regionWeights, VoteModel, VoteTraffic } from './workload/votes.js';
import { WalletModel, WalletTraffic } from './workload/wallet.js';

export interface Workload {
  /** Begins steady load through the gateway at options.ratePerSecond (all products). */
  start(): void;
  /**
   * Stops new writes; resolves when every write sent so far has been accepted (2xx), or after 3 minutes
   * without (the gateway answering 5xx all along): the checks then report those writes as pending.
   */
  pause(): Promise<void>;
  resume(): void;
  /** Pauses, and ends the keeper sessions too: from then on nothing of the workload's reaches the gateway. */
  stop(): Promise<void>;
  /**
   * While paused: `duplicated` accepted writes POSTed again with their (source, seq), in shuffled order, and
   * `reordered` records of every input topic read back and produced again, each partition's in reverse order.
   */
  injectDuplicatesAndReordered(): Promise<{ duplicated: number; reordered: number }>;
  /**
   * From now on a share of the players' devices (from each one's next session) and of the counter sources run
   * with a wrong clock: a third of the share 60 s behind, a third 45 s ahead, a third never set (`at` near 1970).
   * Resolves after `durationMs` with what was sent meanwhile; the clocks stay wrong until setClocksRight.
   */
  skewClocks(durationMs: number): Promise<Injected>;
  /** Every clock right again (players end their skewed session and start another). */
  setClocksRight(): void;
  /** While paused: a source's held-back write after thousands of newer ones, and old writes of it again. */
  injectLateRetries(): Promise<Injected>;
  /** While paused: views 2 h old and heartbeats 20 min old; the next check compares the services' late-record counts. */
  injectLateBurst(): Promise<Injected>;
  stats(): WorkloadStats;
}

/** Every row per product, so a report can print it as one table. */
export interface WorkloadStats {
  /** Writes sent (each once, however many attempts). */
  sent: PerProduct;
  /** Writes accepted (2xx); equal to sent whenever the load is paused. */
  accepted: PerProduct;
  /** Attempts beyond the first (5xx, 429, timeouts, lost connections), same (source, seq). */
  retried: PerProduct;
  /** Writes refused with 4xx: the workload's own bugs, must be 0. */
  refused: PerProduct;
  /** Writes sent and neither accepted nor refused yet (still being retried). */
  pending: PerProduct;
  /** Accepted writes the domain decides against: overdrawing debits, second ballots. */
  rejectedByDomain: PerProduct;
  /** Writes not made because every source of the product was busy retrying. */
  skipped: PerProduct;
  /** Writes POSTed again on purpose (the duplicates fault). */
  repostedDuplicates: PerProduct;
  /** Kafka records produced again on purpose, in reverse order (the duplicates fault). */
  redeliveredRecords: PerProduct;
  /** What the services must count from the accepted writes. */
  expectedCounts: Record<Product, string>;
  /** What the last invariant check read the services count. */
  countedAtLastCheck: Record<Product, string>;
  /** Writes the services must set aside as late (to the late topic), per product. */
  expectedLate: PerProduct;
}

const KAFKA_REDELIVERY_PER_PARTITION = 40;
/** Out of every 10 players and counter sources, these run with a wrong clock during the skewed-clocks fault. */
const SKEWED_CLOCKS: readonly (ClockName | undefined)[] = ['behind', 'ahead', 'unset'];
/** How long pause() waits for every write to be accepted before it gives up and lets the checks report them. */
const PAUSE_LIMIT_MS = 180_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Ids and sources are `[A-Za-z0-9._:-]`, and counter names `[a-z0-9_]`: the run id made fit for both. */
const safeTag = (runId: string) => runId.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 24);
const counterName = (tag: string) => `bookings_${tag.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;

/** The regions whose counters the environment runs (`vote-region-<r>`), else the local stack's four. */
const voteRegions = (env: FaultEnvironment) => {
  const regions = Object.keys(env.serviceUrls).flatMap((name) => /^vote-region-(.+)$/.exec(name)?.[1] ?? []);
  return regions.length > 0 ? regions : DEFAULT_REGIONS;
};

export function createWorkload(env: FaultEnvironment, options: { ratePerSecond: number; runId: string }): Workload {
  const tag = safeTag(options.runId);
  const random = seededRandom(options.runId);
  const stats = new LoadStats();
  const ctx: TrafficContext = {
    tag,
    gateway: new Gateway(env.gatewayUrl, env.apiKey),
    stats,
    random,
    repeats: new RepeatSample(random),
  };
  const internals = models(env, ctx);
  const traffic = trafficOf(ctx, internals, options.ratePerSecond);
  const loop = traffic.loop;
  let setUp: Promise<void> | undefined;
  const ready = () => (setUp ??= setUpQueueAndPoll(ctx, internals));
  let paused = false;
  const run = () => {
    paused = false;
    void ready().then(() => !paused && loop.start());
  };

  const workload: Workload = {
    start() {
      internals.keepers.start();
      run();
    },
    async pause() {
      paused = true;
      // bounded, so a gateway that never accepts again fails the checks (writes still pending) instead of hanging the run
      await Promise.race([ready().then(() => loop.stop()), sleep(PAUSE_LIMIT_MS)]);
    },
    resume: run,
    async stop() {
      await workload.pause();
      await internals.keepers.hold();
      internals.keepers.stop();
    },
    injectDuplicatesAndReordered: () => injectDuplicates(env, ctx, internals),
    skewClocks: async (durationMs) => {
      const devices = new Map<ClockName, Clock>([
        ['behind', behind],
        ['ahead', ahead],
        ['unset', unset(Date.now())],
      ]);
      const clockOf = (index: number) => devices.get(SKEWED_CLOCKS[index % 10] ?? 'right') ?? RIGHT;
      const before = { counters: { ...internals.counters.sent }, beats: { ...internals.viewers.heartbeatsByClock } };
      const players = traffic.viewers.setClocks(clockOf);
      const sources = traffic.counters.setClocks(clockOf);
      // not unref'd: the run waits for it
      await new Promise<void>((resolve) => setTimeout(resolve, durationMs));
      const beats = (c: ClockName) => internals.viewers.heartbeatsByClock[c] - before.beats[c];
      const share = (c: Record<ClockName, number>) =>
        `${c.behind} 60 s behind, ${c.ahead} 45 s ahead, ${c.unset} never set (of ${c.right + c.behind + c.ahead + c.unset})`;
      const numbers = {
        skewedPlayers: players.behind + players.ahead + players.unset,
        skewedCounterSources: sources.behind + sources.ahead + sources.unset,
        heartbeatsBehind: beats('behind'),
        heartbeatsAhead: beats('ahead'),
        heartbeatsUnset: beats('unset'),
        counterWritesSkewed: internals.counters.sent.skewedClock - before.counters.skewedClock,
        likeStatesOlderThanRegister: internals.counters.sent.olderLikeStates - before.counters.olderLikeStates,
      };
      return {
        detail:
          `players: ${share(players)}; counter sources: ${share(sources)}; in ${durationMs / 1000} s: ${numbers.heartbeatsBehind + numbers.heartbeatsAhead + numbers.heartbeatsUnset} heartbeats ` +
          `(${numbers.heartbeatsBehind} behind, ${numbers.heartbeatsAhead} ahead, ${numbers.heartbeatsUnset} never set) and ${numbers.counterWritesSkewed} likes, views and increments on skewed clocks, ` +
          `${numbers.likeStatesOlderThanRegister} like-states older than the fan's register by event time (they lose)`,
        numbers,
      };
    },
    setClocksRight: () => {
      traffic.viewers.setClocks(() => RIGHT);
      traffic.counters.setClocks(() => RIGHT);
    },
    injectLateRetries: () => injectLateRetries(ctx, internals.counters),
    injectLateBurst: async () => {
      const groups = groupsByProduct(env.consumerGroups);
      const before = await readLateMetrics(env.serviceUrls);
      const injected = await injectLateBurst(ctx, internals.counters, internals.viewers, internals.late);
      internals.onceChecks.push(
        lateMetricsCheck(
          env.serviceUrls,
          (p) => groups.get(p) ?? [],
          'tally_late_records_total grew by the burst’s late writes',
          before,
          { viewers: LATE_HEARTBEATS, counters: LATE_VIEWS },
        ),
      );
      return injected;
    },
    stats: () => workloadStats(stats, internals),
  };
  registerInternals(workload, internals);
  return workload;
}

/** What the workload sends to, and remembers of it: one stream set, item set, queue and poll per run. */
function models(env: FaultEnvironment, ctx: TrafficContext): WorkloadInternals {
  const { tag } = ctx;
  const viewers = new ViewerModel(Array.from({ length: 6 }, (_, i) => `${tag}-stream-${i}`));
  return {
    tag,
    stats: ctx.stats,
    viewers,
    counters: new CounterModel(
      Array.from({ length: 30 }, (_, i) => `${tag}-item-${i}`),
      counterName(tag),
    ),
    wallet: new WalletModel(),
    queue: new QueueModel(`${tag}-queue`),
    votes: new VoteModel(`${tag}-poll`, voteRegions(env)),
    keepers: new Keepers(ctx, viewers),
    late: new LateModel(),
    lateTopic: new LateTopic(env.brokers, env.registryUrl),
    onceChecks: [],
    repeatDisagreements: new Map(),
    countedAtLastCheck: {},
  };
}

/** The mix of the module comment, with as many sources per product as its writes need in flight at once. */
function trafficOf(
  ctx: TrafficContext,
  m: WorkloadInternals,
  rate: number,
): { loop: LoadLoop; viewers: ViewerTraffic; counters: CounterTraffic } {
  const queue = new QueueTraffic(ctx, m.queue, 16);
  const counters = new CounterTraffic(ctx, m.counters, 48);
  // 20% of the rate: players heartbeating every 5 s, each its own source (a device)
  const players = Math.max(m.viewers.streams.length, Math.round(rate * 0.2 * 5));
  const viewers = new ViewerTraffic(ctx, m.viewers, players, players);
  const loop = new LoadLoop(
    rate * 0.8,
    [
      { product: 'counters', weight: 30, traffic: counters },
      { product: 'wallet', weight: 22, traffic: new WalletTraffic(ctx, m.wallet, 48) },
      { product: 'queue', weight: 8, traffic: queue },
      { product: 'votes', weight: 20, traffic: new VoteTraffic(ctx, m.votes, 32) },
    ],
    viewers,
    () => queue.poll(),
    ctx.stats,
    ctx.random,
  );
  return { loop, viewers, counters };
}

/** The duplicates fault (while paused): accepted writes POSTed again, then Kafka records produced again reversed. */
async function injectDuplicates(
  env: FaultEnvironment,
  ctx: TrafficContext,
  m: WorkloadInternals,
): Promise<{ duplicated: number; reordered: number }> {
  const reposted = await repostShuffled(ctx.gateway, ctx.repeats.all(), ctx.random, ctx.stats);
  for (const { product, problem } of reposted.disagreements)
    m.repeatDisagreements.set(product, [...(m.repeatDisagreements.get(product) ?? []), problem]);
  const groups = new Map<string, Product>();
  for (const [service, ids] of Object.entries(env.consumerGroups)) {
    const product = productOfService(service);
    if (product) for (const id of ids) groups.set(id, product);
  }
  const redelivered = await redeliverReversed(env.brokers, groups, KAFKA_REDELIVERY_PER_PARTITION);
  for (const product of PRODUCTS) ctx.stats.injected.redelivered[product] += redelivered[product];
  return { duplicated: reposted.reposted, reordered: PRODUCTS.reduce((sum, p) => sum + redelivered[p], 0) };
}

/** The queue's capacity and the poll's options and weights, accepted before the first join or ballot is sent. */
async function setUpQueueAndPoll(ctx: TrafficContext, internals: WorkloadInternals): Promise<void> {
  const { queue, votes } = internals;
  const setups = [
    { method: 'PUT' as const, path: `/v1/queues/${queue.queueId}`, body: QUEUE_SETTINGS },
    {
      method: 'PUT' as const,
      path: `/v1/polls/${votes.pollId}`,
      body: {
        options: [...POLL_OPTIONS],
        regions: Object.fromEntries(Object.entries(regionWeights(votes.regions)).map(([r, weight]) => [r, { weight }])),
      },
    },
  ];
  for (const request of setups) {
    await ctx.gateway
      .sendUntilAccepted(request)
      .catch((error: unknown) =>
        ctx.stats.refuse(request.path.startsWith('/v1/queues') ? 'queue' : 'votes', `setup: ${String(error)}`),
      );
  }
}

function workloadStats(stats: LoadStats, m: WorkloadInternals): WorkloadStats {
  const counters = m.counters.items.map((itemId) => m.counters.expected(itemId));
  const sum = (pick: (e: (typeof counters)[number]) => number) => counters.reduce((s, e) => s + pick(e), 0);
  const wallet = [...m.wallet.users.values()];
  const tickets = [...m.queue.tickets.values()];
  const firstBallots = m.votes.regions.reduce(
    (s, r) => s + Object.values(m.votes.expectedCounts(r)).reduce((a, b) => a + b, 0),
    0,
  );
  const sessions = [...m.viewers.sessions.values()];
  return {
    sent: { ...stats.sent },
    accepted: { ...stats.accepted },
    retried: { ...stats.retried },
    refused: { ...stats.refused },
    pending: stats.pending(),
    rejectedByDomain: { ...stats.rejectedByDomain },
    skipped: { ...stats.skipped },
    repostedDuplicates: { ...stats.injected.reposted },
    redeliveredRecords: { ...stats.injected.redelivered },
    expectedCounts: {
      viewers:
        `${m.viewers.heartbeats} heartbeats of ${sessions.length} sessions (${m.viewers.sessionsEnded} ended, ${sessions.filter((s) => s.keeper).length} keepers, ` +
        `${sessions.filter((s) => s.clock !== 'right').length} on skewed clocks, ${m.viewers.refused.certainly} heartbeats from beyond the clock tolerance)`,
      counters:
        `${sum((e) => e.likes)} standing likes (${m.counters.sent.likes} likes, ${m.counters.sent.unlikes} unlikes sent, ${m.counters.sent.olderLikeStates} of them older than the fan's register by event time), ` +
        `${sum((e) => e.views)} views (${sum((e) => e.views - e.viewsLastHour)} sent 2 h old), ${sum((e) => e.counter)} ${m.counters.counter}; ${m.counters.sent.skewedClock} writes from skewed clocks`,
      wallet: `${wallet.reduce((s, u) => s + u.lines.length, 0)} ledger entries of ${wallet.length} users (${m.wallet.sent.rejected} rejected debits and transfers, ${m.wallet.sent.transfers} transfers, ${m.wallet.sent.grants} grants)`,
      queue: `${tickets.length} tickets (+${m.queue.aliases.size} second joins), ${tickets.filter((t) => t.ended === 'left').length} left, ${tickets.filter((t) => t.ended === 'completed').length} completed`,
      votes: `${firstBallots} first ballots counted (${m.votes.sent.secondBallots} second ballots lose)`,
    },
    countedAtLastCheck: { viewers: '', counters: '', wallet: '', queue: '', votes: '', ...m.countedAtLastCheck },
    expectedLate: Object.fromEntries(PRODUCTS.map((p) => [p, m.late.count(p)])) as PerProduct,
  };
}
