import { fileURLToPath } from 'node:url';
import { defineScripts, script, type Redis, type ScriptRunner } from '@tally/storage';
import { eventTime } from '../domain/viewers.js';

export interface HeartbeatToApply {
  sessionId: string;
  atMs: number;
  receivedAtMs: number;
  ended: boolean;
}

/**
 * Current viewers in Redis: per stream a sorted set of live sessions by newest heartbeat time, so the count
 * is one ZCOUNT (O(log n)) whatever the history. Keys: `<prefix>:{<streamId>}:live|ended`.
 */
export class ViewerStore {
  private readonly applyScript: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowMs: number,
  ) {
    defineScripts(redis, { applyHeartbeats: { file: fileURLToPath(new URL('./lua/apply-heartbeats.lua', import.meta.url)), keys: 2 } });
    this.applyScript = script(redis, 'applyHeartbeats');
  }

  private keys(streamId: string): [string, string] {
    const tag = `${this.prefix}:{${streamId}}`;
    return [`${tag}:live`, `${tag}:ended`];
  }

  /** Applies one stream's heartbeats atomically and returns its current viewers at `nowMs`. */
  async apply(streamId: string, heartbeats: HeartbeatToApply[], nowMs: number): Promise<number> {
    const args: (string | number)[] = [nowMs, this.windowMs];
    for (const hb of heartbeats) args.push(hb.sessionId, eventTime(hb), hb.ended ? 1 : 0);
    return Number(await this.applyScript(...this.keys(streamId), ...args));
  }

  async currentViewers(streamId: string, nowMs: number): Promise<number> {
    return this.redis.zcount(this.keys(streamId)[0], nowMs - this.windowMs, '+inf');
  }
}
