/**
 * The Kafka record key of a heartbeat: its stream for a stream of one shard, its stream's shard of its session for
 * a hot stream (VIEWER_STREAM_SHARDS), on both write routes, by @tally/contracts' one key function.
 */
import { describe, expect, it } from 'vitest';
import { parseStreamShards, sessionShard } from '@tally/contracts';
import { bearer, json, keys } from '../../test-support/keys.js';
import { unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

const { topics, call } = unitGatewayForThisFile([], { streamShards: parseStreamShards('hot=8') });
const headers = { ...json, ...bearer(keys.writer) };
const beat = (seq: number, sessionId: string) => ({ source: 'player-1', seq, sessionId, positionMs: 1000 });

describe('heartbeat record keys', () => {
  it('keys a hot stream by session shard and any other stream by itself, on the single and the batch route', async () => {
    for (const [stream, seq, session] of [
      ['hot', 1, 'sess-a'],
      ['cold', 2, 'sess-a'],
    ] as const) {
      const answer = await call('POST', `/v1/streams/${stream}/heartbeats`, {
        headers,
        body: JSON.stringify(beat(seq, session)),
      });
      expect(answer.status).toBe(202);
    }
    const items = ['sess-b', 'sess-c', 'sess-d'].map((s, i) => ({ streamId: 'hot', ...beat(10 + i, s) }));
    expect((await call('POST', '/v1/heartbeats/batch', { headers, body: JSON.stringify({ items }) })).status).toBe(200);
    expect(topics.heartbeats.records.map((r) => r.key)).toEqual([
      `hot#${sessionShard('sess-a', 8)}`,
      'cold',
      ...['sess-b', 'sess-c', 'sess-d'].map((s) => `hot#${sessionShard(s, 8)}`),
    ]);
  });
});
