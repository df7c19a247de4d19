import { describe, expect, it } from 'vitest';
import { Flusher } from './flusher.js';

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
});
