import type { Admin } from 'kafkajs';
import { consumerLag, type PartitionLag } from '@tally/streaming';

/**
 * Lag of consumer groups, per topic and partition, as Kafka's kafka-consumer-groups reports it. Without groups
 * named, every group the cluster knows (narrowed by `prefix`).
 */
export async function groupLag(
  admin: Admin,
  options: { groups?: string[]; prefix?: string } = {},
): Promise<PartitionLag[]> {
  const groups = options.groups?.length
    ? options.groups
    : (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => !options.prefix || g.startsWith(options.prefix));
  const rows: PartitionLag[] = [];
  for (const group of groups.sort()) {
    const topics = (await admin.fetchOffsets({ groupId: group })).map((t) => t.topic);
    if (topics.length > 0) rows.push(...(await consumerLag(admin, group, topics)));
  }
  return rows;
}

/** The rows as an aligned text table, with a total per group. */
export function lagTable(rows: PartitionLag[]): string {
  const header = ['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'];
  const body = rows.map((r) => [
    r.group,
    r.topic,
    String(r.partition),
    r.committed < 0 ? '-' : String(r.committed),
    String(r.end),
    String(r.lag),
  ]);
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.group, (totals.get(r.group) ?? 0) + r.lag);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const totalLines = [...totals].map(([group, lag]) => `${group}: total lag ${lag}`);
  return [line(header), ...body.map(line), '', ...totalLines].join('\n');
}
