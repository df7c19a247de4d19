import { fileURLToPath } from 'node:url';
import { defineScripts, script, type Redis, type ScriptRunner } from '@tally/storage';
import type { PresenceBeat } from '../domain/viewers.js';
import type { ViewersPort } from '../aggregator.js';

/**
 * Current viewers in Redis: per stream a sorted set of live sessions by the receipt time of their newest
 * heartbeat, so the count is one ZCOUNT (O(log n)) whatever the history, plus each session's newest mark.
 * Keys: `<prefix>:{<streamId>}:live|marks|heard`.
 */
export class ViewerStore implements ViewersPort {
  private readonly applyScript: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
    private readonly clockToleranceMs: number,
  ) {
    defineScripts(redis, {
      applyHeartbeats: { file: fileURLToPath(new URL('./lua/apply-heartbeats.lua', import.meta.url)), keys: 3 },
    });
    this.applyScript = script(redis, 'applyHeartbeats');
  }

  private keys(streamId: string): [string, string, string] {
    const tag = `${this.prefix}:{${streamId}}`;
    return [`${tag}:live`, `${tag}:marks`, `${tag}:heard`];
  }

  /** Applies one stream's heartbeats atomically and returns its current viewers at `nowMs`. */
  async apply(streamId: string, heartbeats: PresenceBeat[], nowMs: number): Promise<number> {
    const args: (string | number)[] = [nowMs, this.windowMs, this.clockToleranceMs];
    for (const hb of heartbeats)
      args.push(hb.sessionId, hb.orderingMs, hb.receivedAtMs, hb.ended ? 1 : 0, hb.withinTolerance ? 1 : 0);
    return Number(await this.applyScript(...this.keys(streamId), ...args));
  }

  async currentViewers(streamId: string, nowMs: number): Promise<number> {
    return this.redis.zcount(this.keys(streamId)[0], nowMs - this.windowMs, '+inf');
  }
}
