import type { Admin } from 'kafkajs';
import { consumerLag } from '@tally/streaming';

/** A replay that must not happen: the reason says what to do instead. */
export class ReplayRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}

export type ReplayStart = 'earliest' | { timestampMs: number };

export interface PartitionMove {
  topic: string;
  partition: number;
  /** The group's committed offset before the move (-1: none). */
  from: number;
  to: number;
  /** Records the service will read again (or anew) from `to` to the end. */
  records: number;
}

/**
 * Moves `group`'s committed offsets on `topics` back to the earliest retained record or to the first record at
 * or after a time, so the service reprocesses from there when it starts. Refused while the group has members:
 * a running service would overwrite the move with its next commit. Replaying is safe because every service
 * applies a write at most once (offset fences, (source, seq) windows, keys of their own).
 */
export async function moveGroupBack(
  admin: Admin,
  group: string,
  topics: string[],
  start: ReplayStart,
  apply = true,
): Promise<PartitionMove[]> {
  const [description] = (await admin.describeGroups([group])).groups;
  if (description && description.members.length > 0) {
    throw new ReplayRefusedError(
      `group ${group} has ${description.members.length} running member(s) (${description.state}): stop the service first, or its next commit undoes the replay`,
    );
  }
  const committed = await admin.fetchOffsets({ groupId: group, topics });
  const moves: PartitionMove[] = [];
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const targets =
      start === 'earliest'
        ? ends.map((e) => ({ partition: e.partition, offset: e.low }))
        : await admin.fetchTopicOffsetsByTimestamp(topic, start.timestampMs);
    for (const target of targets) {
      const end = Number(ends.find((e) => e.partition === target.partition)!.high);
      // a time after the last record gives -1: the end, nothing to replay
      const to = Number(target.offset) < 0 ? end : Number(target.offset);
      const from = Number(
        committed.find((c) => c.topic === topic)?.partitions.find((p) => p.partition === target.partition)?.offset ??
          -1,
      );
      moves.push({ topic, partition: target.partition, from, to, records: end - to });
    }
    if (apply)
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: moves
          .filter((m) => m.topic === topic)
          .map((m) => ({ partition: m.partition, offset: String(m.to) })),
      });
  }
  return moves;
}

export interface ReplayProgress {
  done: number;
  total: number;
}

/**
 * Waits until `group` has caught up on `topics`, reporting progress: records committed since the watch began
 * (or since the offsets were moved) against those there were to do (the end grows while producers write, so the total may grow too).
 */
export async function watchCatchUp(
  admin: Admin,
  group: string,
  topics: string[],
  onProgress: (p: ReplayProgress) => void,
  options: { everyMs?: number; timeoutMs?: number; from?: PartitionMove[] } = {},
): Promise<{ records: number; seconds: number }> {
  const started = Date.now();
  // from the moved offsets when there are some (the service may already be running), else from now
  const startAt = options.from
    ? new Map(options.from.map((m) => [`${m.topic}/${m.partition}`, m.to]))
    : new Map((await consumerLag(admin, group, topics)).map((p) => [`${p.topic}/${p.partition}`, p.end - p.lag]));
  for (;;) {
    const lag = await consumerLag(admin, group, topics);
    const done = lag.reduce(
      (sum, p) => sum + Math.max(0, p.end - p.lag - (startAt.get(`${p.topic}/${p.partition}`) ?? 0)),
      0,
    );
    const remaining = lag.reduce((sum, p) => sum + p.lag, 0);
    onProgress({ done, total: done + remaining });
    if (remaining === 0) return { records: done, seconds: (Date.now() - started) / 1000 };
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs)
      throw new Error(`group ${group} did not catch up within ${options.timeoutMs} ms (${remaining} records to go)`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 250));
  }
}

/** `earliest`, epoch milliseconds, or an ISO-8601 time. */
export function parseReplayStart(value: string): ReplayStart {
  if (value === 'earliest') return 'earliest';
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new ReplayRefusedError(
      `--from must be "earliest", epoch milliseconds or an ISO-8601 time (got ${JSON.stringify(value)})`,
    );
  return { timestampMs: ms };
}
