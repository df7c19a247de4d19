import { Counter } from 'prom-client';
import { writeConflicts, type Metrics } from '@tally/observability';
import type { Ballot, GlobalResult, PollDefinition, RegionalTally, TopicCodec } from '@tally/schemas';
import type { BatchHandler, ConsumedRecord, Rejection, TypedProducer } from '@tally/streaming';
import { formatWriteKey } from '@tally/contracts';
import {
  applyRegionDefinitions,
  countBallots,
  keepGlobalResults,
  type RegionCounts,
  type RegionPort,
} from './count-ballots.js';
import type { BallotConflict } from './domain/ballot-writes.js';
import type { BallotIn } from './domain/ballots.js';

export type RegionRecord = Ballot | PollDefinition | GlobalResult;

export interface RegionDeps {
  region: string;
  store: RegionPort;
  producer: TypedProducer;
  snapshots: TopicCodec<RegionalTally>;
  topics: { ballots: string; polls: string; results: string };
  metrics: Metrics;
}

/**
 * What became of ballots: counted, pending (poll not known yet), superseded (not the user's first, or a retry of
 * it), refused, reused (its id named another ballot before: also in tally_write_conflicts_total, by field).
 */
function ballotOutcomes(metrics: Metrics) {
  return new Counter({
    name: 'tally_votes_ballots_total',
    help: "Ballots a region decided, by outcome: counted, pending, superseded (not the user's first), refused, reused (an id of another ballot).",
    labelNames: ['region', 'outcome'],
    registers: [metrics],
  });
}

/**
 * A region's three inputs, one consumer group: its own ballots (counted here, never sent on), poll definitions
 * and global results (both from the hub). After a batch is committed to Postgres, the current counts of every
 * poll it touched leave the region as snapshots (acks=all), and only then are the offsets committed: a crash in
 * between sends the same snapshots again, which the merger recognises by their version.
 */
const ballotOf = (b: Ballot): BallotIn => ({
  pollId: b.pollId,
  userId: b.userId,
  optionId: b.optionId,
  region: b.region,
  id: formatWriteKey(b),
  castAtMs: b.castAtMs,
});

/** The dead letter of a ballot refused as a reused id: the reason first (a stable code), then what a person needs. */
const reusedId = ({ ballot, field, reason }: BallotConflict) =>
  `${reason}: ballot ${ballot.id} was already taken with another ${field}; the first ballot stands`;

export function regionHandler(deps: RegionDeps): BatchHandler<RegionRecord> {
  const outcomes = ballotOutcomes(deps.metrics);
  const conflicts = writeConflicts(deps.metrics);
  const publish = (counts: RegionCounts[]) =>
    deps.producer.sendAll(
      deps.snapshots,
      counts.map((c) => ({ key: c.pollId, value: { region: deps.region, ...c } })),
    );
  return async ({ topic, partition, records }) => {
    if (topic === deps.topics.ballots) {
      // each refused ballot is the very object made from its record: identity finds the record, even for repeats
      const recordOf = new Map(
        (records as ConsumedRecord<Ballot>[]).map((record) => [ballotOf(record.value), record] as const),
      );
      const counted = await countBallots(deps.store, deps.region, partition, [...recordOf.keys()]);
      const { decision, counts } = counted;
      await publish(counts);
      const pending = decision.accepted.filter((b) => b.status === 'pending').length;
      outcomes.inc({ region: deps.region, outcome: 'counted' }, decision.accepted.length - pending);
      outcomes.inc({ region: deps.region, outcome: 'pending' }, pending);
      outcomes.inc({ region: deps.region, outcome: 'superseded' }, decision.superseded.length);
      outcomes.inc({ region: deps.region, outcome: 'refused' }, decision.refused.length);
      outcomes.inc({ region: deps.region, outcome: 'reused' }, counted.conflicts.length);
      for (const c of counted.conflicts) conflicts.count(c.reason);
      const rejected: Rejection<RegionRecord>[] = decision.refused.map(({ ballot, reason }) => ({
        record: recordOf.get(ballot)!,
        reason:
          reason === 'wrong_region'
            ? `ballot of region ${ballot.region} on region ${deps.region}'s topic`
            : `poll ${ballot.pollId} has no option ${ballot.optionId}`,
      }));
      rejected.push(...counted.conflicts.map((c) => ({ record: recordOf.get(c.ballot)!, reason: reusedId(c) })));
      return { rejected };
    }
    if (topic === deps.topics.polls) {
      await publish(
        await applyRegionDefinitions(
          deps.store,
          deps.region,
          records.map((r) => r.value as PollDefinition),
        ),
      );
      return;
    }
    await keepGlobalResults(
      deps.store,
      records.map((r) => r.value as GlobalResult),
    );
  };
}
