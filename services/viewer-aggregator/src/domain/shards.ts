/**
 * Hot streams (VIEWER_STREAM_SHARDS, @tally/contracts' viewer-shards.ts): where a heartbeat's presence is kept
 * and which layout a count is read from. A stream of n shards keeps one presence sub-key per shard, each holding
 * the sessions of that shard only (a session is in exactly one), so the stream's count is the exact sum of its
 * sub-keys' counts: presence is decided per session (domain/viewers.ts), never across sessions.
 *
 * Changing a stream's shard count while sessions are live (an entry `<streamId>=<n>@<T>`): heartbeats received
 * from T on belong to the new layout, those before to the old one. Counting from the new layout at T would miss
 * sessions last heard before T, and counting from both would count twice the sessions heard on both sides. So
 * for `memory` (the window plus the clock tolerance: everything presence remembers of a session) after T, a
 * heartbeat is applied to both layouts, and counts are read from the old one; from T + memory on they are read
 * from the new one, which by then has received every heartbeat the rule still remembers (anything received since
 * T), so it holds exactly what the old one holds. Each layout is exact at every moment; the switch from one to
 * the other is exact too. The price: the old layout takes the writes for `memory` longer (10.5 min by default),
 * so a hot stream is relieved that much after T; schedule T ahead of the peak.
 *
 * Which layouts a heartbeat goes to depends on its receipt time alone (the gateway's clock, in the record), so
 * a replay, a redelivery or a rebuild applies it to the same sub-keys.
 */
import { sessionShard, shardsAt, type StreamShards } from '@tally/contracts';
import type { PresenceBeat } from './viewers.js';

/** One presence sub-key of a stream: shard `shard` of its layout of `shards` shards. */
export interface SubKey {
  shards: number;
  shard: number;
}

/** The layouts (shard counts) a heartbeat received at `receivedAtMs` is applied to: one, or two while changing over. */
export function writeLayouts(config: StreamShards, streamId: string, receivedAtMs: number, memoryMs: number): number[] {
  const now = shardsAt(config, streamId, receivedAtMs);
  const read = shardsAt(config, streamId, receivedAtMs - memoryMs);
  return now === read ? [now] : [now, read];
}

/** The layout a stream's count is read from at `nowMs`: the one every remembered heartbeat was applied to. */
export function readLayout(config: StreamShards, streamId: string, nowMs: number, memoryMs: number): number {
  return shardsAt(config, streamId, nowMs - memoryMs);
}

/**
 * A stream's heartbeats split by the sub-key each goes to (a heartbeat may go to two while the stream changes
 * over), each sub-key's in their batch order. A stream of one shard, the common case, is one group.
 */
export function bySubKey(
  config: StreamShards,
  streamId: string,
  beats: PresenceBeat[],
  memoryMs: number,
): { subKey: SubKey; beats: PresenceBeat[] }[] {
  if (!config.has(streamId)) return [{ subKey: { shards: 1, shard: 0 }, beats }];
  const groups = new Map<string, { subKey: SubKey; beats: PresenceBeat[] }>();
  for (const beat of beats)
    for (const shards of writeLayouts(config, streamId, beat.receivedAtMs, memoryMs)) {
      const shard = sessionShard(beat.sessionId, shards);
      const name = `${shards}/${shard}`;
      let group = groups.get(name);
      if (!group) groups.set(name, (group = { subKey: { shards, shard }, beats: [] }));
      group.beats.push(beat);
    }
  return [...groups.values()];
}

/**
 * Does this heartbeat's batch announce its stream's count? One publisher per stream: whoever consumes the
 * stream's shard 0 (by the layout of the heartbeat's receipt, the layout its record key was chosen by), so the
 * compacted count topic gets one writer per stream and its counts follow each other in the order they were read.
 * Other shards' batches change the count without announcing it; the publisher's expiry tick, every
 * EXPIRY_TICK_MS, reads the whole stream and announces what changed. A stream of one shard: always.
 */
export function announcesCount(
  config: StreamShards,
  streamId: string,
  sessionId: string,
  receivedAtMs: number,
): boolean {
  return sessionShard(sessionId, shardsAt(config, streamId, receivedAtMs)) === 0;
}
