/**
 * Global votes: one poll, voters in regions of very different sizes and tastes (seed 003), and some voters
 * trying a second time with another option, which must lose (one vote per user and poll, the first wins). One
 * source sends all of a voter's ballots, in order, so "first" is known here exactly.
 */
import type { TrafficContext } from './context.js';
import { SourcePool, type Source } from './sources.js';

export const POLL_OPTIONS = ['aria', 'blue', 'coda', 'dawn'] as const;
/** The first region weighs double: the merger must weigh shares, not add counts. */
export const regionWeights = (regions: readonly string[]) =>
  Object.fromEntries(regions.map((r, i) => [r, i === 0 ? 2 : 1]));
/** Share of the ballots each region takes, in the order of `regions`: from half down to a few percent. */
const REGION_SHARES = [0.5, 0.25, 0.15, 0.1];
const shareOf = (regionIndex: number) => REGION_SHARES[regionIndex] ?? 0.05;

export class VoteModel {
  /** region → voter → the option of the first ballot. */
  private readonly firstVotes = new Map<string, Map<string, string>>();
  readonly sent = { ballots: 0, secondBallots: 0 };

  constructor(
    readonly pollId: string,
    readonly regions: readonly string[],
  ) {
    for (const region of regions) this.firstVotes.set(region, new Map());
  }

  /** Records a ballot; true when it is the voter's first (the one that counts). */
  cast(region: string, userId: string, optionId: string): boolean {
    const voters = this.firstVotes.get(region)!;
    this.sent.ballots++;
    if (voters.has(userId)) {
      this.sent.secondBallots++;
      return false;
    }
    voters.set(userId, optionId);
    return true;
  }

  /** Per option, the first ballots of the region's voters: what the region must count. */
  expectedCounts(region: string): Record<string, number> {
    const counts = Object.fromEntries(POLL_OPTIONS.map((o) => [o, 0]));
    for (const optionId of this.firstVotes.get(region)?.values() ?? []) counts[optionId]!++;
    return counts;
  }
}

export class VoteTraffic {
  readonly pool: SourcePool;
  /** Per source and region: the voters it has cast a ballot for. */
  private readonly voters: Map<string, string[]>[];
  private made = 0;

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: VoteModel,
    sourceCount: number,
  ) {
    this.pool = new SourcePool(`${ctx.tag}.votes`, sourceCount, ctx.gateway, ctx.stats);
    this.voters = this.pool.sources.map(() => new Map(model.regions.map((r) => [r, [] as string[]])));
  }

  next(): boolean {
    const { random } = this.ctx;
    const source = this.pool.pick(random);
    if (!source) return false;
    const regionIndex = this.pickRegion();
    const region = this.model.regions[regionIndex]!;
    const known = this.voters[source.index]!.get(region)!;
    // regions have their own tastes: each favours a different option
    const optionId = POLL_OPTIONS[(regionIndex + random.skewed(POLL_OPTIONS.length)) % POLL_OPTIONS.length]!;
    if (known.length > 0 && random.chance(0.2)) this.ballot(source, region, random.pick(known), optionId);
    else {
      const userId = `${region}-${this.ctx.tag}-voter-${this.made++}`;
      known.push(userId);
      this.ballot(source, region, userId, optionId);
    }
    return true;
  }

  private pickRegion(): number {
    let roll = this.ctx.random.next() * this.model.regions.reduce((sum, _, i) => sum + shareOf(i), 0);
    for (let i = 0; i < this.model.regions.length; i++) if ((roll -= shareOf(i)) < 0) return i;
    return this.model.regions.length - 1;
  }

  private ballot(source: Source, region: string, userId: string, optionId: string): void {
    if (!this.model.cast(region, userId, optionId)) this.ctx.stats.rejectedByDomain.votes++;
    const request = {
      method: 'POST' as const,
      path: `/v1/polls/${this.model.pollId}/votes`,
      body: { source: source.name, seq: source.nextSeq(), region, userId, optionId },
    };
    source.send({ product: 'votes', request, onAccepted: () => this.ctx.repeats.offer({ product: 'votes', request }) });
  }
}
