/**
 * The workload's choices come from one generator seeded by the run id, so a run's mix of writes (who likes
 * what, which debit overdraws) can be told again from its id; only timing differs between runs.
 */
export interface Random {
  /** [0, 1) */
  next(): number;
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An index in [0, n), skewed to the low end: popular things get most of the traffic. */
  skewed(n: number): number;
  shuffle<T>(items: T[]): T[];
}

/** mulberry32: small, fast and good enough for picking test traffic (not for anything secret). */
export function seededRandom(seedText: string): Random {
  let state = [...seedText].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0, 0x811c9dc5);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('cannot pick from nothing');
      return items[int(items.length)]!;
    },
    skewed: (n) => Math.floor(n * next() ** 2),
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
  };
}
