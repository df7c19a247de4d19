import { describe, expect, it } from 'vitest';
import { bearer, call, gatewayForThisFile, json, keys, testVoteRegions } from './fixtures/gateway.js';

const receivedAt = 1_750_000_000_000;
// a pinned clock, so definedAtMs, castAtMs and the gateway's seqs can be checked exactly
const world = gatewayForThisFile('poll-writes', {}, () => receivedAt);

const send = (method: string, path: string, key: { key: string }, body: unknown) =>
  call(world().base, method, path, { headers: { ...json, ...bearer(key) }, body: JSON.stringify(body) });

/** The seq of an id the gateway named: `<source>:<seq>` with the receipt time in microseconds, or later. */
function gatewaySeq(id: unknown, source: string): number {
  expect(typeof id).toBe('string');
  expect((id as string).startsWith(`${source}:`), id as string).toBe(true);
  const seq = Number((id as string).slice(source.length + 1));
  expect(Number.isSafeInteger(seq)).toBe(true);
  expect(seq).toBeGreaterThanOrEqual(receivedAt * 1000);
  return seq;
}

describe('writing polls and votes', () => {
  it('a definition reaches the polls topic keyed by pollId, with the options and each region weight', async () => {
    const definition = { options: ['song-a', 'song-b', 'song-c'], regions: { kr: { weight: 1 }, jp: { weight: 2.5 } } };
    const answer = await send('PUT', '/v1/polls/mama-2025', keys.pollAdmin, definition);
    expect(answer.status).toBe(202);
    expect(Object.keys(answer.body)).toEqual(['id']);
    const seq = gatewaySeq(answer.body.id, 'gateway.test-poll-admin');

    // acknowledged means already on the topic: read right away, no waiting for it to appear
    expect(await world().pollDefinitions.records()).toEqual([
      {
        key: 'mama-2025',
        value: {
          source: 'gateway.test-poll-admin',
          seq,
          pollId: 'mama-2025',
          options: ['song-a', 'song-b', 'song-c'],
          regionWeights: { kr: 1, jp: 2.5 },
          definedAtMs: receivedAt,
        },
      },
    ]);
  });

  it("a vote in each configured region reaches that region's topic only, keyed by pollId/userId", async () => {
    const ids: unknown[] = [];
    for (const [i, region] of testVoteRegions.entries()) {
      const answer = await send('POST', '/v1/polls/mama-2025/votes', keys.polls, {
        source: `app:${region}`,
        seq: i + 1,
        region,
        userId: `user-${region}`,
        optionId: 'song-b',
      });
      expect(answer.status, region).toBe(202);
      ids.push(answer.body.id);
    }
    expect(ids).toEqual(testVoteRegions.map((region, i) => `app:${region}:${i + 1}`));
    for (const [i, region] of testVoteRegions.entries()) {
      expect(await world().ballots[region].records(), region).toEqual([
        {
          key: `mama-2025/user-${region}`,
          value: {
            source: `app:${region}`,
            seq: i + 1,
            pollId: 'mama-2025',
            region,
            userId: `user-${region}`,
            optionId: 'song-b',
            castAtMs: receivedAt,
          },
        },
      ]);
    }
  });

  it('passes a repeated vote on as is, under the same id: the region counts the first and ignores the rest', async () => {
    const vote = { source: 'app:kr', seq: 100, region: 'kr', userId: 'fan@example', optionId: 'song-a' };
    const first = await send('POST', '/v1/polls/p-retry/votes', keys.polls, vote);
    const retried = await send('POST', '/v1/polls/p-retry/votes', keys.polls, vote);
    const changedMind = await send('POST', '/v1/polls/p-retry/votes', keys.polls, {
      ...vote,
      seq: 101,
      optionId: 'song-c',
    });
    expect([first.body, retried.body, changedMind.body]).toEqual([
      { id: 'app:kr:100' },
      { id: 'app:kr:100' },
      { id: 'app:kr:101' },
    ]);
    const ballots = (await world().ballots.kr.records()).filter((r) => r.value.pollId === 'p-retry');
    // one key, so one partition: the counter sees them in this order
    expect(ballots.map((r) => [r.key, r.value.seq, r.value.optionId])).toEqual([
      ['p-retry/fan@example', 100, 'song-a'],
      ['p-retry/fan@example', 100, 'song-a'],
      ['p-retry/fan@example', 101, 'song-c'],
    ]);
  });

  it('names definitions and queue writes from one sequence, so no two of this process share a seq even within a millisecond', async () => {
    const poll = await send('PUT', '/v1/polls/p-seq', keys.pollAdmin, {
      options: ['a', 'b'],
      regions: { kr: { weight: 1 } },
    });
    const queue = await send('PUT', '/v1/queues/q-seq', keys.queueAdmin, { capacity: 10, activeSeconds: 60 });
    const again = await send('PUT', '/v1/polls/p-seq', keys.pollAdmin, {
      options: ['a', 'b', 'c'],
      regions: { kr: { weight: 1 } },
    });
    const seqs = [
      gatewaySeq(poll.body.id, 'gateway.test-poll-admin'),
      gatewaySeq(queue.body.id, 'gateway.test-queue-admin'),
      gatewaySeq(again.body.id, 'gateway.test-poll-admin'),
    ];
    expect(seqs[1]).toBeGreaterThan(seqs[0]!);
    expect(seqs[2]).toBeGreaterThan(seqs[1]!);
    // both definitions reach the topic; the newest one wins downstream
    const options = (await world().pollDefinitions.records())
      .filter((r) => r.key === 'p-seq')
      .map((r) => r.value.options);
    expect(options).toEqual([
      ['a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });

  it('writes nothing to the other topics', async () => {
    expect(await world().count()).toBe(0);
    expect(await world().itemEvents.count()).toBe(0);
    expect(await world().walletCommands.count()).toBe(0);
    expect(await world().queueCommands.count()).toBe(1);
  });
});
