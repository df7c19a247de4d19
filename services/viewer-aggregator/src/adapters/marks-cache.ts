import type { MinuteMarks } from '../domain/coverage.js';

/** Entries kept per partition before the cache of that partition starts over (about 40 MB). */
const MAX_ENTRIES = 200_000;

const markKey = (streamId: string, sessionId: string, minuteMs: number) =>
  `${streamId}\u0000${sessionId}\u0000${minuteMs}`;

/**
 * The marks this instance last read or wrote, per partition, so a batch does not probe Postgres again for
 * sessions it has just seen (the probes were a third of a batch's time). Valid only while nobody else wrote
 * the partition's history: each partition's cache remembers the offset fence this instance left behind, and a
 * batch that finds another fence (a rebalance, another owner in between) starts that partition's cache over.
 * A row that does not exist is cached as empty marks. Updated only after a commit, dropped on a failure.
 *
 * It assumes what the deployment modes guarantee: one consumer group writes a state schema at a time (a
 * re-run stops the service first; a rebuild writes a schema of its own).
 */
export class MarksCache {
  private readonly partitions = new Map<number, { fence: number; marks: Map<string, MinuteMarks> }>();

  /** The partition's cached marks if its fence is still the one this instance left, else an empty start. */
  valid(partition: number, fence: number): Map<string, MinuteMarks> {
    const held = this.partitions.get(partition);
    if (held && held.fence === fence) return held.marks;
    const fresh = { fence, marks: new Map<string, MinuteMarks>() };
    this.partitions.set(partition, fresh);
    return fresh.marks;
  }

  get(marks: Map<string, MinuteMarks>, streamId: string, sessionId: string, minuteMs: number): MinuteMarks | undefined {
    return marks.get(markKey(streamId, sessionId, minuteMs));
  }

  /** After the batch committed: what it read and wrote, and the fence it moved to. */
  committed(
    partition: number,
    fence: number,
    marks: Map<string, MinuteMarks>,
    seen: { streamId: string; sessionId: string; minuteMs: number; marks: MinuteMarks }[],
  ): void {
    if (marks.size + seen.length > MAX_ENTRIES) marks.clear();
    for (const m of seen) marks.set(markKey(m.streamId, m.sessionId, m.minuteMs), m.marks);
    this.partitions.set(partition, { fence, marks });
  }

  forget(partition: number): void {
    this.partitions.delete(partition);
  }
}
