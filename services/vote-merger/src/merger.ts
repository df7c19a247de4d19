import type { GlobalResult, PollDefinition, RegionalTally, TopicCodec } from '@tally/schemas';
import type { BatchHandler, TypedProducer } from '@tally/streaming';
import { mergeDefinitions, mergeSnapshots, type MergerPort } from './merge-results.js';

export type MergerRecord = PollDefinition | RegionalTally;

export interface MergerDeps {
  store: MergerPort;
  producer: TypedProducer;
  results: TopicCodec<GlobalResult>;
  pollsTopic: string;
  /** The snapshot topic of each region merged; a snapshot from elsewhere is not ours to merge. */
  regionOfTopic: ReadonlyMap<string, string>;
}

/**
 * Definitions and every region's snapshots, one consumer group at the hub. After the batch's transaction, the
 * current result of every poll it touched is published (acks=all), and only then are the offsets committed: a
 * crash in between publishes the same results again, which regions recognise by their version.
 */
export function mergerHandler(deps: MergerDeps): BatchHandler<MergerRecord> {
  const publish = (results: GlobalResult[]) =>
    deps.producer.sendAll(
      deps.results,
      results.map((r) => ({ key: r.pollId, value: r })),
    );
  return async ({ topic, records }) => {
    if (topic === deps.pollsTopic) {
      await publish(
        await mergeDefinitions(
          deps.store,
          records.map((r) => r.value as PollDefinition),
        ),
      );
      return;
    }
    const region = deps.regionOfTopic.get(topic);
    const regionOf = (record: (typeof records)[number]) => (record.value as RegionalTally).region;
    const ours = records.filter((r) => regionOf(r) === region);
    await publish(
      await mergeSnapshots(
        deps.store,
        ours.map((r) => r.value as RegionalTally),
      ),
    );
    const foreign = records.filter((r) => regionOf(r) !== region);
    return {
      rejected: foreign.map((record) => ({
        record,
        reason: `snapshot of region ${regionOf(record)} on region ${region}'s topic`,
      })),
    };
  };
}
