/**
 * The side topics, as an operator reads them: the dead-letter topic (DeadLetter records: what a service could not
 * decode or apply) and the late topic (LateRecord records: what came too late for a windowed result). Pure: which
 * records a filter chooses, which are repeats of one source record, counts by service and reason, and the text the
 * CLI prints. Reading the topics and sending records back is side-topic-io.ts.
 */
import { schemas, type DeadLetter, type LateRecord } from '@tally/schemas';
import { TOPICS } from '@tally/contracts';

export type SideKind = 'dlq' | 'late';

/** The value schema of each side topic. */
export const SIDE_SCHEMA = { dlq: TOPICS.deadLetters.valueSchema, late: TOPICS.late.valueSchema } as const;

/** What went aside, in words: "dead-lettered" or "late". */
export const SIDE_NOUN: Record<SideKind, string> = { dlq: 'dead-lettered', late: 'late' };

/** A refusal the operator can act on (nothing matches, a source topic is gone, a reference is ambiguous): exit 2. */
export class SideTopicRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SideTopicRefusedError';
  }
}

/** One record of a side topic: where it sits in the side topic, and what it says. */
export type SideEntry = { partition: number; offset: number; key: string | null } & (
  { kind: 'dlq'; record: DeadLetter } | { kind: 'late'; record: LateRecord }
);

/** Epoch ms when the record went aside: dead-lettered (failedAtMs) or set aside (setAsideAtMs). */
export const asideAt = (entry: SideEntry): number =>
  entry.kind === 'dlq' ? entry.record.failedAtMs : entry.record.setAsideAtMs;

/** The source record it reports, `<topic>/<partition>/<offset>` (the late topic's key has the same form). */
export const sourceOf = (entry: SideEntry): string =>
  `${entry.record.sourceTopic}/${entry.record.partition}/${entry.record.offset}`;

/** Where it sits in the side topic, as `show` and `--offsets` take it: `<partition>:<offset>`. */
export const sideRefOf = (entry: Pick<SideEntry, 'partition' | 'offset'>): string =>
  `${entry.partition}:${entry.offset}`;

/** The reason codes of a side topic, from its schema's enum. */
export function reasonCodes(kind: SideKind): string[] {
  const schema = schemas[SIDE_SCHEMA[kind]] as unknown as { fields: { name: string; type: unknown }[] };
  const type = schema.fields.find((f) => f.name === 'reasonCode')!.type as { symbols: string[] };
  return [...type.symbols];
}

/** A record of the side topic, named as `<partition>:<offset>`, or `<offset>` alone (any partition). */
export interface SideRef {
  partition?: number;
  offset: number;
}

export function parseSideRef(text: string): SideRef {
  const match = /^(?:(\d+):)?(\d+)$/.exec(text.trim());
  if (!match)
    throw new SideTopicRefusedError(
      `"${text}" is not a record of the side topic: write <partition>:<offset> (as \`list\` prints it), or an offset alone`,
    );
  return { ...(match[1] === undefined ? {} : { partition: Number(match[1]) }), offset: Number(match[2]) };
}

/** `--since`: epoch milliseconds or an ISO-8601 time. */
export function parseSince(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new SideTopicRefusedError(
      `--since takes epoch milliseconds or an ISO-8601 time (got ${JSON.stringify(text)})`,
    );
  return ms;
}

export interface SideFilter {
  /** A reason code (case does not matter); refused when the side topic has no such code. */
  reason?: string;
  /** The service, or its consumer group. */
  service?: string;
  sourceTopic?: string;
  /** Only records that went aside at or after this time (epoch ms). */
  sinceMs?: number;
  /** Only these records of the side topic. */
  refs?: SideRef[];
  /** At most this many, the oldest first. */
  limit?: number;
}

/**
 * The records a filter chooses, oldest first (by when they went aside, then partition and offset). A `--reason`
 * the topic does not know is refused rather than matching nothing; so is an offset alone that names a record in
 * more than one partition.
 */
export function choose(kind: SideKind, entries: readonly SideEntry[], filter: SideFilter): SideEntry[] {
  const reason = filter.reason?.toUpperCase();
  if (reason !== undefined && !reasonCodes(kind).includes(reason)) {
    throw new SideTopicRefusedError(
      `--reason ${filter.reason}: the ${SIDE_NOUN[kind]} records' reasons are ${reasonCodes(kind).join(', ')}`,
    );
  }
  for (const ref of filter.refs ?? []) {
    if (ref.partition !== undefined) continue;
    const partitions = entries.filter((e) => e.offset === ref.offset).map((e) => e.partition);
    if (partitions.length > 1)
      throw new SideTopicRefusedError(
        `offset ${ref.offset} is in partitions ${partitions.join(', ')} of the side topic: name one as <partition>:${ref.offset}`,
      );
  }
  const chosen = entries.filter(
    (e) =>
      (reason === undefined || e.record.reasonCode === reason) &&
      (filter.service === undefined ||
        e.record.service === filter.service ||
        e.record.consumerGroup === filter.service) &&
      (filter.sourceTopic === undefined || e.record.sourceTopic === filter.sourceTopic) &&
      (filter.sinceMs === undefined || asideAt(e) >= filter.sinceMs) &&
      (filter.refs === undefined ||
        filter.refs.some((r) => r.offset === e.offset && (r.partition === undefined || r.partition === e.partition))),
  );
  const ordered = [...chosen].sort(
    (a, b) => asideAt(a) - asideAt(b) || a.partition - b.partition || a.offset - b.offset,
  );
  return filter.limit === undefined ? ordered : ordered.slice(0, filter.limit);
}

/**
 * For each entry that reports a source record an earlier entry already reported, that earlier entry. The runtime
 * writes to the side topics at least once (a crash between the side write and the commit reports the record
 * again), so a repeat is the same source record of the same consumer group; two groups setting one record aside
 * (a rebuild beside the running service) are two reports. Entries are taken in the order given.
 */
export function repeats(
  entries: readonly SideEntry[],
  identity: (e: SideEntry) => string = (e) => `${e.record.consumerGroup} ${sourceOf(e)}`,
): Map<SideEntry, SideEntry> {
  const first = new Map<string, SideEntry>();
  const repeated = new Map<SideEntry, SideEntry>();
  for (const entry of entries) {
    const id = identity(entry);
    const earlier = first.get(id);
    if (earlier) repeated.set(entry, earlier);
    else first.set(id, entry);
  }
  return repeated;
}

export interface SideCountRow {
  service: string;
  consumerGroup: string;
  reasonCode: string;
  /** Distinct source records. */
  records: number;
  /** Late records only: distinct source records per window they missed ("(none)" for none, e.g. BEYOND_IDEMPOTENCY_HORIZON). */
  windows?: Record<string, number>;
}

export interface SideCount {
  /** Records read (that the filter chose). */
  read: number;
  /** Distinct source records among them. */
  distinct: number;
  rows: SideCountRow[];
}

/** Counts by service, consumer group and reason (late records also by window), each source record once. */
export function countByReason(entries: readonly SideEntry[]): SideCount {
  const repeated = repeats(entries);
  const rows = new Map<string, SideCountRow>();
  for (const entry of entries) {
    if (repeated.has(entry)) continue;
    const { service, consumerGroup, reasonCode } = entry.record;
    const id = `${service} ${consumerGroup} ${reasonCode}`;
    const row = rows.get(id) ?? {
      service,
      consumerGroup,
      reasonCode,
      records: 0,
      ...(entry.kind === 'late' ? { windows: {} } : {}),
    };
    row.records++;
    if (entry.kind === 'late') {
      for (const window of entry.record.windows.length > 0 ? entry.record.windows : ['(none)'])
        row.windows![window] = (row.windows![window] ?? 0) + 1;
    }
    rows.set(id, row);
  }
  const sorted = [...rows.values()].sort(
    (a, b) =>
      a.service.localeCompare(b.service) ||
      a.consumerGroup.localeCompare(b.consumerGroup) ||
      a.reasonCode.localeCompare(b.reasonCode),
  );
  return { read: entries.length, distinct: entries.length - repeated.size, rows: sorted };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A sentence cut to `max` characters (an ellipsis marks the cut), on one line. */
export function shorten(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Cells as aligned columns: the numeric columns (by index) right-aligned. */
function table(rows: string[][], numeric: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  '),
  );
}

/** `list`: a line per record, with a header; repeats marked with the record they repeat. */
export function listLines(
  kind: SideKind,
  entries: readonly SideEntry[],
  repeatOf: ReadonlyMap<SideEntry, SideEntry> = new Map(),
  reasonWidth = 80,
): string[] {
  const header = ['AT', 'WHEN', 'SERVICE', 'SOURCE', 'REASON', ...(kind === 'late' ? ['WRITE'] : []), 'WHY'];
  const body = entries.map((e) => {
    const earlier = repeatOf.get(e);
    return [
      sideRefOf(e),
      iso(asideAt(e)),
      e.record.service,
      `${e.record.sourceTopic}[${e.record.partition}]@${e.record.offset}`,
      e.record.reasonCode,
      ...(e.kind === 'late' ? [e.record.writeId] : []),
      `${earlier ? `(repeat of ${sideRefOf(earlier)}) ` : ''}${shorten(e.record.reason, reasonWidth)}`,
    ];
  });
  return table([header, ...body]);
}

/** `count`: the rows, then what was read and how repeats were counted. */
export function countLines(kind: SideKind, topic: string, count: SideCount): string[] {
  const lines: string[] = [];
  if (count.rows.length > 0) {
    const rows: string[][] = [['SERVICE', 'GROUP', 'REASON', 'RECORDS']];
    for (const row of count.rows) {
      rows.push([row.service, row.consumerGroup, row.reasonCode, String(row.records)]);
      for (const [window, n] of Object.entries(row.windows ?? {}).sort(([a], [b]) => a.localeCompare(b)))
        rows.push(['', '', `  window ${window}`, String(n)]);
    }
    lines.push(...table(rows, new Set([3])), '');
  }
  const repeated = count.read - count.distinct;
  lines.push(
    `${topic}: ${count.distinct} ${SIDE_NOUN[kind]} source record(s) from ${count.read} record(s) read; ` +
      `deduplicated by consumer group and source topic/partition/offset (${repeated} repeat${repeated === 1 ? '' : 's'} not counted again)` +
      (kind === 'late' ? '; a record that missed several windows counts once per window in its window lines' : ''),
  );
  return lines;
}

/** The original record's value, decoded with the schema id inside its bytes (or why it could not be). */
export type DecodedOriginal = { schemaId: number; schemaName: string; value: unknown } | { error: string };

const bytesText = (bytes: Buffer | null) => (bytes === null ? 'null' : `${bytes.length} bytes`);

/** A key as text where it is UTF-8, else as hex. */
export function keyText(key: Buffer | null): string {
  if (key === null) return 'null';
  const text = key.toString('utf8');
  const printable = Buffer.from(text, 'utf8').equals(key) && [...text].every((c) => c.charCodeAt(0) >= 32);
  return printable ? JSON.stringify(text) : `0x${key.toString('hex')}`;
}

/** `show`: one record whole, with the original record decoded. */
export function showLines(topic: string, entry: SideEntry, original: DecodedOriginal): string[] {
  const r = entry.record;
  const lines = [
    `${topic} ${sideRefOf(entry)}${entry.key === null ? '' : ` (key ${JSON.stringify(entry.key)})`}`,
    `  service         ${r.service} (consumer group ${r.consumerGroup})`,
    `  source          ${r.sourceTopic} partition ${r.partition} offset ${r.offset}, written ${iso(r.recordTimestampMs)}`,
    `  reason          ${r.reasonCode}: ${r.reason}`,
    `  ${entry.kind === 'dlq' ? 'dead-lettered' : 'set aside    '}   ${iso(asideAt(entry))}`,
  ];
  if (entry.kind === 'late') {
    const late = entry.record;
    lines.push(
      `  write           ${late.writeId}`,
      `  event time      ${iso(late.eventTimeMs)}, received ${iso(late.receivedAtMs)} (${Math.round((late.receivedAtMs - late.eventTimeMs) / 1000)} s after)`,
      `  windows missed  ${late.windows.length > 0 ? late.windows.join(', ') : '-'}`,
      `  other effects   ${late.otherEffectsApplied ? 'applied (what is not windowed took it)' : 'none: the record changed nothing'}`,
    );
  }
  const headers = Object.entries(r.headers);
  lines.push(
    `  original key    ${keyText(r.key)}`,
    `  headers         ${headers.length > 0 ? headers.map(([k, v]) => `${k}=${v}`).join(', ') : '-'}`,
    `  original value  ${bytesText(r.value)}${'error' in original ? `, not decodable: ${original.error}` : `, schema id ${original.schemaId} (${original.schemaName}):`}`,
  );
  if (!('error' in original))
    lines.push(
      ...JSON.stringify(original.value, null, 2)
        .split('\n')
        .map((l) => `    ${l}`),
    );
  else if (r.value !== null)
    lines.push(`    ${r.value.subarray(0, 64).toString('hex')}${r.value.length > 64 ? '…' : ''}`);
  return lines;
}

/**
 * A record as JSON: its fields (partition and offset are the source record's), bytes as base64, where it is in the
 * side topic, and the record it repeats if any.
 */
export function entryJson(entry: SideEntry, repeatOf?: SideEntry, original?: DecodedOriginal): Record<string, unknown> {
  const { key, value, ...rest } = entry.record;
  return {
    at: sideRefOf(entry),
    sidePartition: entry.partition,
    sideOffset: entry.offset,
    sideKey: entry.key,
    ...rest,
    key: key?.toString('base64') ?? null,
    value: value?.toString('base64') ?? null,
    ...(repeatOf ? { repeatOf: sideRefOf(repeatOf) } : {}),
    ...(original ? { original } : {}),
  };
}

/** The header a redriven record carries: where it was sent back from. */
export const REDRIVEN_FROM_HEADER = 'tally-redriven-from';

export interface RedriveMessage {
  entry: SideEntry;
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * What a redrive sends: each chosen source record once (a repeat adds nothing: the source topic is read by every
 * group, so one copy serves them all), with its original key, value bytes and headers, plus where it came from.
 */
export function redriveMessages(
  sideTopic: string,
  chosen: readonly SideEntry[],
): { messages: RedriveMessage[]; repeats: number } {
  const repeated = repeats(chosen, sourceOf);
  const messages = chosen
    .filter((e) => !repeated.has(e))
    .map((entry) => ({
      entry,
      topic: entry.record.sourceTopic,
      key: entry.record.key,
      value: entry.record.value,
      headers: { ...entry.record.headers, [REDRIVEN_FROM_HEADER]: `${sideTopic}/${entry.partition}/${entry.offset}` },
    }));
  return { messages, repeats: repeated.size };
}

/** The filter in words, for a refusal: " (reason REJECTED, service wallet-ledger)". */
export function describeFilter(filter: SideFilter): string {
  const parts = [
    filter.reason === undefined ? undefined : `reason ${filter.reason.toUpperCase()}`,
    filter.service === undefined ? undefined : `service ${filter.service}`,
    filter.sourceTopic === undefined ? undefined : `source topic ${filter.sourceTopic}`,
    filter.sinceMs === undefined ? undefined : `since ${iso(filter.sinceMs)}`,
    filter.refs === undefined
      ? undefined
      : `at ${filter.refs.map((r) => (r.partition === undefined ? String(r.offset) : `${r.partition}:${r.offset}`)).join(', ')}`,
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The one record `show` names; refused when the side topic has none there. */
export function findEntry(kind: SideKind, topic: string, entries: readonly SideEntry[], ref: SideRef): SideEntry {
  const [found] = choose(kind, entries, { refs: [ref] });
  if (!found)
    throw new SideTopicRefusedError(
      `${topic} has no record at ${ref.partition === undefined ? `offset ${ref.offset}` : `${ref.partition}:${ref.offset}`} (\`tally ${kind} list\` shows where each one is)`,
    );
  return found;
}

/** The end of a redrive: what was (or would be) sent where. */
export function redriveLines(
  sideTopic: string,
  summary: {
    dryRun: boolean;
    chosen: number;
    repeats: number;
    messages: readonly RedriveMessage[];
    sent: number;
    seconds: number;
    perTopic: ReadonlyMap<string, number>;
  },
): string[] {
  const lines: string[] = [];
  if (summary.dryRun)
    for (const m of summary.messages)
      lines.push(
        `would send ${sideRefOf(m.entry)} → ${m.topic} (from partition ${m.entry.record.partition} offset ${m.entry.record.offset}, key ${keyText(m.key)}, ${bytesText(m.value)})`,
      );
  const where = [...summary.perTopic].map(([topic, n]) => `${topic}: ${n}`).join(', ');
  const repeats = summary.repeats > 0 ? `; ${summary.repeats} repeat(s) of the same source record sent once` : '';
  if (summary.dryRun)
    lines.push(
      `dry run: would send ${summary.messages.length} of ${summary.chosen} chosen record(s) from ${sideTopic} back (${where})${repeats}; nothing was sent`,
    );
  else
    lines.push(
      `sent ${summary.sent} record(s) from ${sideTopic} back to their source topics (${where}) in ${summary.seconds.toFixed(1)} s, acknowledged by all in-sync replicas${repeats}`,
    );
  return lines;
}
