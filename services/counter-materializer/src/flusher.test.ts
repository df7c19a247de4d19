import { describe, expect, it } from 'vitest';
import { FlushLanes, Flusher } from './flusher.js';

describe('the group-commit flusher', () => {
  it('writes batches that arrive within the interval together, and resolves each after the write', async () => {
    const writes: number[][] = [];
    const flusher = new Flusher<number>(async (b) => void writes.push(b), 20, 1000);
    await Promise.all([flusher.submit(1, 1), flusher.submit(2, 1), flusher.submit(3, 1)]);
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('writes at once when enough events wait', async () => {
    const writes: number[][] = [];
    const flusher = new Flusher<number>(async (b) => void writes.push(b), 60_000, 5);
    await Promise.all([flusher.submit(1, 2), flusher.submit(2, 3)]);
    expect(writes).toEqual([[1, 2]]);
  });

  it('takes a group when its write starts: what arrived during a slow write goes in the next one together', async () => {
    const writes: number[][] = [];
    const flusher = new Flusher<number>(
      async (b) => {
        writes.push(b);
        await new Promise((r) => setTimeout(r, 50));
      },
      1,
      1000,
    );
    const first = flusher.submit(1, 1);
    await new Promise((r) => setTimeout(r, 10));
    const later = [flusher.submit(2, 1)];
    await new Promise((r) => setTimeout(r, 10));
    later.push(flusher.submit(3, 1));
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('isolates a batch that cannot be written: the others still land', async () => {
    const written: number[] = [];
    const flusher = new Flusher<number>(
      async (b) => {
        if (b.includes(13)) throw new Error('poison');
        written.push(...b);
      },
      10,
      1000,
    );
    const results = await Promise.allSettled([flusher.submit(1, 1), flusher.submit(13, 1), flusher.submit(2, 1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual([1, 2]);
  });

  it('never overlaps writes with exclusive work', async () => {
    const log: string[] = [];
    const flusher = new Flusher<number>(
      async () => {
        log.push('write start');
        await new Promise((r) => setTimeout(r, 20));
        log.push('write end');
      },
      1,
      1000,
    );
    const write = flusher.submit(1, 1);
    await new Promise((r) => setTimeout(r, 5));
    await flusher.exclusive(async () => void log.push('exclusive'));
    await write;
    expect(log).toEqual(['write start', 'write end', 'exclusive']);
  });

  it('writes a lone batch after the linger when idle, not after a long interval', async () => {
    const flusher = new Flusher<number>(async () => undefined, 5, 1000);
    const started = performance.now();
    await flusher.submit(1, 1);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('starts the next group the moment a slow write ends, with everything that arrived during it', async () => {
    const writes: number[][] = [];
    const flusher = new Flusher<number>(
      async (b) => {
        writes.push(b);
        await new Promise((r) => setTimeout(r, 30));
      },
      0,
      1000,
    );
    const first = flusher.submit(1, 1);
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([first, flusher.submit(2, 1), flusher.submit(3, 1), flusher.submit(4, 1)]);
    expect(writes).toEqual([[1], [2, 3, 4]]);
  });
});

describe('flush lanes', () => {
  const slowLanes = (log: string[]) =>
    new FlushLanes(
      [0, 1].map(
        (lane) =>
          new Flusher<number>(
            async (b) => {
              log.push(`lane ${lane} start ${b.join(',')}`);
              await new Promise((r) => setTimeout(r, 20));
              log.push(`lane ${lane} end`);
            },
            1,
            1000,
          ),
      ),
      (batch) => batch,
    );

  it('writes each lane’s batches in its own group, the lanes side by side', async () => {
    const log: string[] = [];
    const lanes = slowLanes(log);
    await Promise.all([lanes.submit(0, 1), lanes.submit(1, 1), lanes.submit(2, 1)]);
    expect(log.slice(0, 2).sort()).toEqual(['lane 0 start 0,2', 'lane 1 start 1']);
  });

  it('runs exclusive work only when no lane writes', async () => {
    const log: string[] = [];
    const lanes = slowLanes(log);
    const writes = Promise.all([lanes.submit(0, 1), lanes.submit(1, 1)]);
    await new Promise((r) => setTimeout(r, 5));
    await lanes.exclusive(async () => void log.push('exclusive'));
    await writes;
    expect(log.indexOf('exclusive')).toBe(4);
  });
});
