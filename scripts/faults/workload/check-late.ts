/**
 * The late topic against the workload's writes: exactly the writes sent too late for a window (LateModel) are
 * there, each reported for one source record (a record reported again, by a rebuild or a retried batch, names
 * the same source topic, partition and offset, so it is one), with reasonCode AFTER_GRACE and the windows it
 * missed; no other write of the workload's is there (neither one on time, nor one "forgotten" by the seq
 * archive). Read from the beginning with the reader `tally late` uses; read again only when the topic grew.
 *
 * And the services' own count of it: tally_late_records_total{group,topic,reason} in each one's /metrics.
 */
import { TOPICS } from '@tally/contracts';
import type { LateRecord } from '@tally/schemas';
import { readSideTopic } from '@tally/stack';
import type { InvariantResult } from '../invariant-result.js';
import type { LateModel } from './late-data.js';
import { faultsKafka, withAdmin } from './settle.js';
import type { Product } from './stats.js';
import { ruleVerdict, unreadable } from './verdicts.js';

/** The services' LATE_TOPIC (the catalogue's name, which the fault run keeps). */
export const LATE_TOPIC = TOPICS.late.name;

interface LateEntry {
  record: LateRecord;
}

export class LateTopic {
  private cached: { ends: string; entries: LateEntry[]; unreadable: number } | undefined;

  constructor(
    private readonly brokers: string[],
    private readonly registryUrl: string,
    readonly topic = LATE_TOPIC,
  ) {}

  /** Every record of the topic (decoded), read again only when its end offsets moved. */
  async read(): Promise<{ entries: LateEntry[]; unreadable: number }> {
    const ends = await withAdmin(this.brokers, async (admin) =>
      (await admin.fetchTopicOffsets(this.topic)).map((p) => `${p.partition}:${p.high}`).join(','),
    );
    if (this.cached?.ends === ends) return this.cached;
    const read = await readSideTopic(
      faultsKafka(this.brokers, 'tally-faults-late'),
      this.registryUrl,
      'late',
      this.topic,
    );
    const entries = read.entries.flatMap((e) => (e.kind === 'late' ? [{ record: e.record }] : []));
    this.cached = { ends, entries, unreadable: read.unreadable.length };
    return this.cached;
  }
}

/** One verdict per product whose services set records aside (viewers: history minutes; counters: ranking windows). */
export async function checkLateTopic(
  topic: LateTopic,
  model: LateModel,
  tag: string,
  product: Product,
  productOfGroup: (group: string) => Product | undefined,
): Promise<InvariantResult> {
  const invariant = `late topic (${topic.topic}): exactly the workload's writes sent too late for a window, each once (by source record), AFTER_GRACE with the windows it missed; no other write of the workload's`;
  let read: Awaited<ReturnType<LateTopic['read']>>;
  try {
    read = await topic.read();
  } catch (error) {
    return unreadable(product, invariant, error);
  }
  const expected = [...model.expected].filter(([, late]) => late.product === product);
  const ours = read.entries.filter(
    (e) =>
      e.record.writeId.startsWith(`${tag}.`) &&
      (productOfGroup(e.record.consumerGroup) ?? model.expected.get(e.record.writeId)?.product) === product,
  );
  // one source record reported more than once (again after a rebuild, or a batch retried) is one
  const bySourceRecord = new Map<string, LateRecord>();
  for (const { record } of ours)
    bySourceRecord.set(`${record.consumerGroup} ${record.sourceTopic}/${record.partition}/${record.offset}`, record);
  const byWrite = new Map<string, LateRecord[]>();
  for (const record of bySourceRecord.values())
    byWrite.set(record.writeId, [...(byWrite.get(record.writeId) ?? []), record]);
  const broken: string[] = [];
  let lost = 0;
  let doubled = 0;
  let matched = 0;
  for (const [writeId, late] of expected) {
    const records = byWrite.get(writeId) ?? [];
    if (records.length === 0) {
      lost++;
      broken.push(`${writeId} (${late.what}) is not in the late topic`);
      continue;
    }
    matched++;
    // a write set aside from two source records was applied twice
    doubled += records.length - 1;
    if (records.length > 1)
      broken.push(
        `${writeId} set aside from ${records.length} source records: ${records.map((r) => `${r.sourceTopic}/${r.partition}/${r.offset}`).join(', ')}`,
      );
    for (const r of records) {
      const windows = [...r.windows].sort().join(',');
      if (r.reasonCode !== 'AFTER_GRACE' || windows !== late.windows.join(','))
        broken.push(
          `${writeId}: ${r.reasonCode} for [${windows}], expected AFTER_GRACE for [${late.windows.join(',')}]`,
        );
    }
  }
  const unexpected = [...byWrite].filter(([writeId]) => !model.expected.has(writeId));
  for (const [writeId, records] of unexpected)
    broken.push(
      `${writeId} is not late but was set aside (${records.map((r) => `${r.reasonCode} [${r.windows.join(',')}] by ${r.consumerGroup}: ${r.reason}`).join('; ')})`,
    );
  if (read.unreadable > 0) broken.push(`${read.unreadable} records of the topic are not LateRecords`);
  const cases = expected.length + unexpected.length;
  return {
    ...ruleVerdict(product, invariant, `${expected.length} late writes`, cases, broken),
    observed:
      `${matched} late writes matched (${ours.length} records, ${ours.length - bySourceRecord.size} of them repeats of a source record), ${unexpected.length} others of the workload's; ` +
      `lost ${lost}, doubled ${doubled}${broken.length ? `; ${broken.slice(0, 3).join('; ')}` : ''}`,
    lost,
    doubled,
    matched,
  };
}

/** tally_late_records_total by `<group> <reason>`, summed over topics and over the given services. */
export type LateMetrics = Map<string, number>;

const METRIC = /^tally_late_records_total\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export async function readLateMetrics(serviceUrls: Record<string, string>): Promise<LateMetrics> {
  const metrics: LateMetrics = new Map();
  for (const [service, url] of Object.entries(serviceUrls)) {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${service} /metrics answered ${response.status}`);
    for (const line of (await response.text()).split('\n')) {
      const match = METRIC.exec(line);
      if (!match) continue;
      const labels = Object.fromEntries([...match[1]!.matchAll(LABEL)].map((m) => [m[1]!, m[2]!]));
      const key = `${labels.group} ${labels.reason}`;
      metrics.set(key, (metrics.get(key) ?? 0) + Number(match[2]));
    }
  }
  return metrics;
}

/**
 * The services' count of late records against what it must have become: per product, the AFTER_GRACE records
 * counted since `baseline` (an empty map: since the services started) must be `expected`, and none reported as
 * beyond the idempotency horizon.
 */
export function lateMetricsVerdicts(
  invariant: string,
  baseline: LateMetrics,
  now: LateMetrics,
  expected: Partial<Record<Product, number>>,
  groupsOf: (product: Product) => string[],
): InvariantResult[] {
  return (Object.entries(expected) as [Product, number][]).map(([product, want]) => {
    const grown = (reason: string) =>
      groupsOf(product).reduce(
        (sum, g) => sum + (now.get(`${g} ${reason}`) ?? 0) - (baseline.get(`${g} ${reason}`) ?? 0),
        0,
      );
    const [afterGrace, forgotten] = [grown('AFTER_GRACE'), grown('BEYOND_IDEMPOTENCY_HORIZON')];
    const broken = [
      ...(afterGrace === want ? [] : [`AFTER_GRACE grew by ${afterGrace}, expected ${want}`]),
      ...(forgotten === 0 ? [] : [`BEYOND_IDEMPOTENCY_HORIZON grew by ${forgotten}`]),
    ];
    return {
      ...ruleVerdict(
        product,
        invariant,
        `+${want} AFTER_GRACE, +0 BEYOND_IDEMPOTENCY_HORIZON (${groupsOf(product).join(', ')})`,
        1,
        broken,
      ),
      observed: `+${afterGrace} AFTER_GRACE, +${forgotten} BEYOND_IDEMPOTENCY_HORIZON`,
      once: true,
    };
  });
}

/** A check made once (after a fault): the services' late-record counts against `expected`, from `baseline`. */
export function lateMetricsCheck(
  serviceUrls: Record<string, string>,
  groupsOf: (product: Product) => string[],
  invariant: string,
  baseline: LateMetrics,
  expected: Partial<Record<Product, number>>,
): () => Promise<InvariantResult[]> {
  return async () => {
    try {
      return lateMetricsVerdicts(invariant, baseline, await readLateMetrics(serviceUrls), expected, groupsOf);
    } catch (error) {
      return (Object.keys(expected) as Product[]).map((product) => ({
        ...unreadable(product, invariant, error),
        once: true,
      }));
    }
  };
}
