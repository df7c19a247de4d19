/**
 * A ballot's (source, seq) names one ballot. Sent again with another option (same poll and user: the same
 * partition) or for another user (another partition), it is a client's reused id: the first ballot stands, the
 * reuse goes to the dead-letter topic as id_reused_with_different_option / _user and is counted in
 * tally_write_conflicts_total. The same ballot again (received later) is a retry: no dead letter, nothing changes.
 */
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REGIONAL_TOPICS, conflictReason } from '@tally/contracts';
import { createSchemaRegistry, topicCodec, type Ballot } from '@tally/schemas';
import { withAdmin } from '@tally/testkit';
import type { RunningVoteMerger } from '../src/service.js';
import { votesWorld } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof votesWorld>>;
let region: RunningVoteMerger;

beforeAll(async () => {
  world = await votesWorld(stack, 'write-conflicts');
  region = await world.startRegion('kr');
});

afterAll(async () => {
  await world?.close();
});

/** The partition the producer puts a ballot on (the Java client's murmur2, keyed pollId/userId). */
const partitionOf = (pollId: string, userId: string) =>
  Partitioners.DefaultPartitioner()({
    topic: world.topics.ballots('kr'),
    partitionMetadata: [0, 1, 2, 3].map((partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key: `${pollId}/${userId}`, value: null },
  });

const POLL = 'song';
const ID = { source: 'app', seq: 7 };

describe('a ballot id reused with another body', () => {
  it('is dead-lettered with the field that differs and counted; the first ballot stands; a retry stays silent', async () => {
    await world.define(POLL, ['a', 'b'], { kr: 1 });
    const first: Ballot = { ...world.ballot('kr', POLL, 'u1', 'a'), ...ID };
    await world.sendBallots('kr', [first]);
    await world.caughtUp(world.regionGroup('kr'));
    const schema = world.schemaOf('kr');
    const state = async () => ({
      ballots: (await world.pool.query(`SELECT poll_id, user_id, option_id, write_id FROM ${schema}.ballots`)).rows,
      tallies: (await world.pool.query(`SELECT poll_id, option_id, votes::int FROM ${schema}.tallies`)).rows,
    });
    const before = await state();
    expect(before).toEqual({
      ballots: [{ poll_id: POLL, user_id: 'u1', option_id: 'a', write_id: 'app:7' }],
      tallies: [{ poll_id: POLL, option_id: 'a', votes: 1 }],
    });

    // another voter on another partition: the reuse is found across partitions
    const other = ['u2', 'u3', 'u4', 'u5', 'u6'].find((u) => partitionOf(POLL, u) !== partitionOf(POLL, 'u1'))!;
    await world.sendBallots('kr', [
      { ...first, optionId: 'b' },
      { ...first, userId: other },
      // the retry: received later, the same ballot
      { ...first, castAtMs: first.castAtMs + 1000 },
    ]);
    await world.caughtUp(world.regionGroup('kr'));

    const ballots = topicCodec(
      createSchemaRegistry(stack.registryUrl),
      world.topics.ballots('kr'),
      REGIONAL_TOPICS.ballots.valueSchema,
    );
    const letters = await world.deadLetters();
    const reused = await Promise.all(
      letters.map(async (l) => {
        const ballot = await ballots.decode(l.value);
        return [l.reasonCode, l.reason.split(':')[0], ballot.userId, ballot.optionId];
      }),
    );
    const byUser = (a: unknown[], b: unknown[]) => String(a[2]).localeCompare(String(b[2]));
    expect(reused.sort(byUser)).toEqual(
      [
        ['REJECTED', conflictReason('option'), 'u1', 'b'],
        ['REJECTED', conflictReason('user'), other, 'a'],
      ].sort(byUser),
    );
    // the retry is no dead letter: offsets are committed only once the batch's dead letters are acknowledged
    const ends = await withAdmin(stack.brokers, (a) => a.fetchTopicOffsets(world.topics.deadLetters));
    expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(2);

    // the first ballot stands: one vote, u1's, for a; the other user has none
    expect(await state()).toEqual(before);

    const metrics = await (await fetch(`http://127.0.0.1:${region.port}/metrics`)).text();
    for (const field of ['option', 'user'])
      expect(metrics).toMatch(
        new RegExp(`^tally_write_conflicts_total\\{reason="${conflictReason(field)}",service="vote-merger"\\} 1$`, 'm'),
      );
    expect(metrics).toMatch(/^tally_votes_ballots_total\{region="kr",outcome="reused",service="vote-merger"\} 2$/m);
  });
});
