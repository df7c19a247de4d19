// The rule of poll definitions, for regions and the merger alike: the newest definition of a poll wins.
/**
 * The newest of several definitions of each poll, in the order they come: a later definedAtMs wins, and within
 * one millisecond the higher seq (the gateway's receipt order). Replaying an older definition changes nothing.
 */
export function newestPerPoll<T extends { pollId: string; definedAtMs: number; seq: number }>(
  definitions: readonly T[],
): T[] {
  const newest = new Map<string, T>();
  for (const d of definitions) {
    const seen = newest.get(d.pollId);
    if (!seen || d.definedAtMs > seen.definedAtMs || (d.definedAtMs === seen.definedAtMs && d.seq >= seen.seq))
      newest.set(d.pollId, d);
  }
  return [...newest.values()];
}
