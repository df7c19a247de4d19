import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRedis, defineScripts, script } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { admitSeq, emptyWindow, luaInclude, type BoundedWindowVerdict as Verdict } from '../src/index.js';

const stack = inject('stack');
const redis = createRedis(stack.redisUrl);
defineScripts(redis, {
  admitSeqTest: { file: fileURLToPath(new URL('./fixtures/admit.lua', import.meta.url)), keys: 2 },
});
const admit = script(redis, 'admitSeqTest');
const verdicts: Record<string, Verdict> = { '1': 'new', '0': 'duplicate', '-1': 'stale' };

afterAll(() => redis.disconnect());

describe('the Redis seq window', () => {
  it('is shipped as an includable Lua file', () => {
    expect(luaInclude('seq-window.lua')).toMatch(/seq-window\.lua$/);
  });

  it('gives the same verdicts as the TypeScript window for shuffled, duplicated and very late seqs', async () => {
    const tag = `{${uniqueName('window')}}`;
    const local = emptyWindow(64);
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const seqs = Array.from({ length: 3000 }, (_, i) => Math.max(0, Math.floor(i / 3 + (random() - 0.5) * 150)));
    for (const seq of seqs) {
      const remote = verdicts[String(await admit(`${tag}:high`, `${tag}:bits`, seq, 64, 60))];
      expect(remote, `seq ${seq}`).toBe(admitSeq(local, seq));
    }
    expect(await redis.ttl(`${tag}:high`)).toBeGreaterThan(0); // idle windows expire: memory stays bounded
  });
});
