/**
 * Hot streams: how one stream's heartbeats are spread over shards, written once for the gateway (the Kafka record
 * key), viewer-aggregator (Redis sub-keys, who publishes the count) and the benchmarks and tests.
 *
 * A stream has 1 shard unless configured otherwise (VIEWER_STREAM_SHARDS, the same value in the gateway and the
 * aggregator). With n > 1 shards, a session belongs to shard `sessionShard(sessionId, n)`, a stable hash: all of
 * a session's heartbeats carry the record key `<streamId>#<shard>` (one partition, so a session's heartbeats stay
 * in order) and live in one Redis sub-key, and the stream's count is the exact sum over its shards, since a
 * session is in exactly one of them. `#` is outside the id alphabet (params.ts), so a shard's key never names a
 * stream. A stream with 1 shard keeps the plain `<streamId>` key, as before shards existed.
 *
 * A stream's shard count can change while sessions are live: an entry with `@<time>` (epoch ms or ISO time) takes
 * effect for heartbeats the gateway receives from that time on. Which layout a heartbeat belongs to depends on its
 * own receipt time only, so a replay or a rebuild decides the same way. See `writeLayouts`/`readLayout` for how
 * the aggregator changes over without counting a session twice or losing one.
 */

/** The most shards one stream may have (more sub-keys than Redis Cluster nodes, or partitions, buy nothing). */
export const MAX_STREAM_SHARDS = 256;

/** A stream's shard count from a receipt time on (-Infinity: from the beginning). */
export interface ShardStep {
  fromMs: number;
  shards: number;
}

/** Per configured stream, its shard counts over time, oldest first (a stream not listed has 1 shard, always). */
export type StreamShards = ReadonlyMap<string, readonly ShardStep[]>;

export const NO_SHARDS: StreamShards = new Map();

const utf8 = new TextEncoder();

/**
 * FNV-1a (32 bits) over the UTF-8 bytes of the session id, modulo `shards`: stable across processes, versions and
 * languages, and spread evenly enough for session ids however they are formed.
 */
export function sessionShard(sessionId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(sessionId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** A stream's shard count for heartbeats received at `receivedAtMs`. */
export function shardsAt(config: StreamShards, streamId: string, receivedAtMs: number): number {
  const steps = config.get(streamId);
  if (!steps) return 1;
  let shards = 1;
  for (const step of steps) if (step.fromMs <= receivedAtMs) shards = step.shards;
  return shards;
}

/** The shard's name in keys: the stream itself when it has one shard, else `<streamId>#<shard>`. */
export function shardKey(streamId: string, shard: number, shards: number): string {
  return shards <= 1 ? streamId : `${streamId}#${shard}`;
}

/** The Kafka record key of a heartbeat: its stream's shard of its session, by the layout of its receipt time. */
export function heartbeatRecordKey(
  config: StreamShards,
  heartbeat: { streamId: string; sessionId: string; receivedAtMs: number },
): string {
  const shards = shardsAt(config, heartbeat.streamId, heartbeat.receivedAtMs);
  return shardKey(heartbeat.streamId, sessionShard(heartbeat.sessionId, shards), shards);
}

/**
 * Reads VIEWER_STREAM_SHARDS: `<streamId>=<shards>[@<from>]` entries separated by commas, e.g.
 * `final=16` or `final=16,final=32@2026-12-04T20:00:00Z` (16 shards, 32 for heartbeats received from 20:00 on).
 * Empty: every stream has 1 shard. Throws with every problem at once.
 */
export function parseStreamShards(text: string): StreamShards {
  const problems: string[] = [];
  const steps = new Map<string, ShardStep[]>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9._:@-]+)=(\d+)(?:@(.+))?$/.exec(entry);
    if (!match) {
      problems.push(`"${entry}" is not <streamId>=<shards>[@<epoch ms or ISO time>]`);
      continue;
    }
    const [, streamId, count, from] = match as unknown as [string, string, string, string | undefined];
    const shards = Number(count);
    if (shards < 1 || shards > MAX_STREAM_SHARDS)
      problems.push(`"${entry}": shards must be between 1 and ${MAX_STREAM_SHARDS}`);
    const fromMs = from === undefined ? Number.NEGATIVE_INFINITY : /^\d+$/.test(from) ? Number(from) : Date.parse(from);
    if (Number.isNaN(fromMs)) problems.push(`"${entry}": "${from}" is neither epoch ms nor an ISO time`);
    const list = steps.get(streamId) ?? [];
    if (list.some((s) => s.fromMs === fromMs)) problems.push(`"${entry}": ${streamId} has two entries from one time`);
    list.push({ fromMs, shards });
    steps.set(streamId, list);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  for (const list of steps.values()) list.sort((a, b) => a.fromMs - b.fromMs);
  return steps;
}
