import { fileURLToPath } from 'node:url';
import { NO_SHARDS, type StreamShards } from '@tally/contracts';
import { defineScripts, script, type Redis, type ScriptRunner } from '@tally/storage';
import { bySubKey, readLayout, type SubKey } from '../domain/shards.js';
import type { PresenceBeat } from '../domain/viewers.js';
import type { ViewersPort } from '../aggregator.js';

/**
 * Current viewers in Redis: per stream a sorted set of live sessions by the receipt time of their newest
 * heartbeat, so the count is one ZCOUNT (O(log n)) whatever the history, plus each session's newest mark.
 * Keys: `<prefix>:{<streamId>}:live|marks|heard`.
 *
 * A hot stream of n shards (VIEWER_STREAM_SHARDS, domain/shards.ts) has those three keys per shard instead,
 * `<prefix>:{<streamId>#<shard>/<n>}:live|marks|heard`: a hash tag per shard, so its shards spread over a Redis
 * Cluster's slots, and each script call still touches the keys of one slot. A session is in one shard, so the
 * stream's count is the sum of its shards' ZCOUNTs, each its own command (never a multi-key command, MULTI or
 * pipeline across slots; the client's auto-pipelining sends them together). The layout's `n` is in the name, so
 * two layouts of a stream never share a key while it changes over.
 */
export class ViewerStore implements ViewersPort {
  private readonly applyScript: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
    private readonly clockToleranceMs: number,
    private readonly shards: StreamShards = NO_SHARDS,
  ) {
    defineScripts(redis, {
      applyHeartbeats: { file: fileURLToPath(new URL('./lua/apply-heartbeats.lua', import.meta.url)), keys: 3 },
    });
    this.applyScript = script(redis, 'applyHeartbeats');
  }

  private keys(streamId: string, { shards, shard }: SubKey): [string, string, string] {
    const tag = shards <= 1 ? `${this.prefix}:{${streamId}}` : `${this.prefix}:{${streamId}#${shard}/${shards}}`;
    return [`${tag}:live`, `${tag}:marks`, `${tag}:heard`];
  }

  /** Everything presence remembers of a session: heartbeats within it may still decide it. */
  private get memoryMs(): number {
    return this.windowMs + this.clockToleranceMs;
  }

  /**
   * Applies one stream's heartbeats, atomically per sub-key (each sub-key's in their order), and returns its
   * current viewers at `nowMs`: the sum over the shards of the layout counts are read from (domain/shards.ts), the
   * sub-keys just applied answering their own count.
   */
  async apply(streamId: string, heartbeats: PresenceBeat[], nowMs: number): Promise<number> {
    const applied = await Promise.all(
      bySubKey(this.shards, streamId, heartbeats, this.memoryMs).map(async ({ subKey, beats }) => {
        const args: (string | number)[] = [nowMs, this.windowMs, this.clockToleranceMs];
        for (const hb of beats)
          args.push(hb.sessionId, hb.orderingMs, hb.receivedAtMs, hb.ended ? 1 : 0, hb.withinTolerance ? 1 : 0);
        return [subKey, Number(await this.applyScript(...this.keys(streamId, subKey), ...args))] as const;
      }),
    );
    const shards = readLayout(this.shards, streamId, nowMs, this.memoryMs);
    if (shards === 1 && applied.length === 1 && applied[0]![0].shards === 1) return applied[0]![1];
    const known = new Map(applied.filter(([k]) => k.shards === shards).map(([k, count]) => [k.shard, count]));
    return this.sumOfShards(streamId, shards, nowMs, known);
  }

  /** The stream's current viewers at `nowMs`: one ZCOUNT per shard of its read layout, summed. */
  async currentViewers(streamId: string, nowMs: number): Promise<number> {
    return this.sumOfShards(streamId, readLayout(this.shards, streamId, nowMs, this.memoryMs), nowMs, new Map());
  }

  private async sumOfShards(
    streamId: string,
    shards: number,
    nowMs: number,
    known: ReadonlyMap<number, number>,
  ): Promise<number> {
    const counts = await Promise.all(
      Array.from(
        { length: shards },
        (_, shard) =>
          known.get(shard) ??
          this.redis.zcount(this.keys(streamId, { shards, shard })[0], nowMs - this.windowMs, '+inf'),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }
}
