import { describe, expect, it } from 'vitest';
import type { DeadLetter, LateRecord } from '@tally/schemas';
import { REGIONAL_TOPICS, TOPICS, regionalTopicName } from '@tally/contracts';
import {
  REDRIVEN_FROM_HEADER,
  SideTopicRefusedError,
  choose,
  countByReason,
  countLines,
  describeFilter,
  entryJson,
  findEntry,
  keyText,
  listLines,
  parseSideRef,
  parseSince,
  reasonCodes,
  redriveLines,
  redriveMessages,
  repeats,
  showLines,
  shorten,
  type SideEntry,
} from './side-topics.js';

const T = 1_800_000_000_000;

function dead(partition: number, offset: number, more: Partial<DeadLetter> = {}): SideEntry {
  return {
    kind: 'dlq',
    partition,
    offset,
    key: 'k',
    record: {
      service: 'wallet-ledger',
      consumerGroup: 'wallet-ledger',
      sourceTopic: TOPICS.walletCommands.name,
      partition: 0,
      offset: 100 + offset,
      reasonCode: 'REJECTED',
      reason: 'amount must be positive',
      key: Buffer.from('user-1'),
      value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
      headers: { trace: 't1' },
      recordTimestampMs: T - 1000,
      failedAtMs: T + offset,
      ...more,
    },
  };
}

function late(partition: number, offset: number, more: Partial<LateRecord> = {}): SideEntry {
  return {
    kind: 'late',
    partition,
    offset,
    key: `${TOPICS.viewerHeartbeats.name}/1/${offset}`,
    record: {
      service: 'viewer-aggregator',
      consumerGroup: 'viewer-aggregator',
      sourceTopic: TOPICS.viewerHeartbeats.name,
      partition: 1,
      offset,
      writeId: `player:${offset}`,
      reasonCode: 'AFTER_GRACE',
      reason: 'received 900 s after its minute ended; the minute allows 300 s',
      windows: ['viewers.history.minute'],
      otherEffectsApplied: true,
      eventTimeMs: T - 900_000,
      receivedAtMs: T,
      key: Buffer.from('stream-1'),
      value: Buffer.from([0, 0, 0, 0, 9]),
      headers: {},
      recordTimestampMs: T,
      setAsideAtMs: T + offset,
      ...more,
    },
  };
}

describe('reading a side-topic reference and a time', () => {
  it('takes <partition>:<offset> or an offset alone, and refuses anything else', () => {
    expect(parseSideRef('2:15')).toEqual({ partition: 2, offset: 15 });
    expect(parseSideRef(' 15 ')).toEqual({ offset: 15 });
    expect(() => parseSideRef(`${TOPICS.deadLetters.name}/2/15`)).toThrow(SideTopicRefusedError);
    expect(() => parseSideRef('-1')).toThrow(/<partition>:<offset>/);
  });

  it('takes epoch ms or ISO-8601 for --since', () => {
    expect(parseSince('1800000000000')).toBe(T);
    expect(parseSince('2027-01-15T08:00:00Z')).toBe(Date.parse('2027-01-15T08:00:00Z'));
    expect(() => parseSince('yesterday')).toThrow(/--since/);
  });

  it('knows each side topic’s reason codes from its schema', () => {
    expect(reasonCodes('dlq')).toEqual(['DECODE_FAILED', 'REJECTED', 'PROCESSING_FAILED']);
    expect(reasonCodes('late')).toEqual(['AFTER_GRACE', 'BEYOND_IDEMPOTENCY_HORIZON']);
  });
});

describe('choosing records', () => {
  const entries = [
    dead(0, 3, {
      reasonCode: 'DECODE_FAILED',
      service: 'viewer-aggregator',
      consumerGroup: 'viewer-aggregator',
      sourceTopic: TOPICS.viewerHeartbeats.name,
      failedAtMs: T + 30,
    }),
    dead(1, 0, { failedAtMs: T + 10 }),
    dead(0, 1, {
      service: 'vote-merger',
      consumerGroup: 'vote-merger.kr',
      sourceTopic: regionalTopicName(REGIONAL_TOPICS.ballots.template, 'kr'),
      failedAtMs: T + 20,
    }),
    dead(1, 1, { failedAtMs: T + 40 }),
  ];
  const at = (chosen: SideEntry[]) => chosen.map((e) => `${e.partition}:${e.offset}`);

  it('orders the oldest first, by when they went aside', () => {
    expect(at(choose('dlq', entries, {}))).toEqual(['1:0', '0:1', '0:3', '1:1']);
  });

  it('filters by reason (any case), service or consumer group, source topic, time and position, then limits', () => {
    expect(at(choose('dlq', entries, { reason: 'decode_failed' }))).toEqual(['0:3']);
    expect(at(choose('dlq', entries, { service: 'vote-merger' }))).toEqual(['0:1']);
    expect(at(choose('dlq', entries, { service: 'vote-merger.kr' }))).toEqual(['0:1']);
    expect(at(choose('dlq', entries, { sourceTopic: TOPICS.walletCommands.name }))).toEqual(['1:0', '1:1']);
    expect(at(choose('dlq', entries, { sinceMs: T + 20 }))).toEqual(['0:1', '0:3', '1:1']);
    expect(at(choose('dlq', entries, { refs: [{ partition: 1, offset: 1 }, { offset: 3 }] }))).toEqual(['0:3', '1:1']);
    expect(at(choose('dlq', entries, { sourceTopic: TOPICS.walletCommands.name, limit: 1 }))).toEqual(['1:0']);
    expect(choose('dlq', entries, { reason: 'REJECTED', service: 'viewer-aggregator' })).toEqual([]);
  });

  it('refuses a reason the side topic does not have, and an offset alone that two partitions have', () => {
    expect(() => choose('dlq', entries, { reason: 'AFTER_GRACE' })).toThrow(
      /reasons are DECODE_FAILED, REJECTED, PROCESSING_FAILED/,
    );
    expect(() => choose('dlq', entries, { refs: [{ offset: 1 }] })).toThrow(/partitions 0, 1 .*<partition>:1/);
  });

  it('finds the record show names, or says there is none', () => {
    expect(findEntry('dlq', 'dl', entries, { partition: 0, offset: 3 }).record.reasonCode).toBe('DECODE_FAILED');
    expect(() => findEntry('dlq', 'dl', entries, { partition: 2, offset: 3 })).toThrow(/dl has no record at 2:3/);
  });

  it('says the filter in words', () => {
    expect(describeFilter({})).toBe('');
    expect(
      describeFilter({
        reason: 'rejected',
        service: 'wallet-ledger',
        refs: [{ partition: 0, offset: 4 }, { offset: 9 }],
      }),
    ).toBe(' (reason REJECTED, service wallet-ledger, at 0:4, 9)');
  });
});

describe('repeats and counts', () => {
  // the same source record reported twice by one group (at least once), and once by a rebuild's group
  const first = late(0, 5);
  const again = late(2, 9, { offset: 5 });
  const rebuild = late(1, 7, { offset: 5, consumerGroup: 'viewer-aggregator-rebuild' });
  const horizon = late(0, 6, { reasonCode: 'BEYOND_IDEMPOTENCY_HORIZON', windows: [], otherEffectsApplied: false });
  const twoWindows = late(0, 8, {
    service: 'counter-materializer',
    consumerGroup: 'counter-materializer',
    windows: ['counters.ranking.1h', 'counters.ranking.24h'],
  });
  const entries = [first, horizon, again, rebuild, twoWindows];

  it('a repeat is the same source record of the same consumer group; another group’s report is its own', () => {
    const repeated = repeats(entries);
    expect([...repeated]).toEqual([[again, first]]);
  });

  it('counts each source record once per service, group and reason, and late ones per window', () => {
    const count = countByReason(entries);
    expect(count).toMatchObject({ read: 5, distinct: 4 });
    expect(count.rows).toEqual([
      {
        service: 'counter-materializer',
        consumerGroup: 'counter-materializer',
        reasonCode: 'AFTER_GRACE',
        records: 1,
        windows: { 'counters.ranking.1h': 1, 'counters.ranking.24h': 1 },
      },
      {
        service: 'viewer-aggregator',
        consumerGroup: 'viewer-aggregator',
        reasonCode: 'AFTER_GRACE',
        records: 1,
        windows: { 'viewers.history.minute': 1 },
      },
      {
        service: 'viewer-aggregator',
        consumerGroup: 'viewer-aggregator',
        reasonCode: 'BEYOND_IDEMPOTENCY_HORIZON',
        records: 1,
        windows: { '(none)': 1 },
      },
      {
        service: 'viewer-aggregator',
        consumerGroup: 'viewer-aggregator-rebuild',
        reasonCode: 'AFTER_GRACE',
        records: 1,
        windows: { 'viewers.history.minute': 1 },
      },
    ]);
    const text = countLines('late', TOPICS.late.name, count).join('\n');
    expect(text).toMatch(/counter-materializer\s+counter-materializer\s+AFTER_GRACE\s+1/);
    expect(text).toMatch(/window counters\.ranking\.24h\s+1/);
    expect(text).toContain(
      `${TOPICS.late.name}: 4 late source record(s) from 5 record(s) read; deduplicated by consumer group and source topic/partition/offset (1 repeat not counted again)`,
    );
  });

  it('counts dead letters without windows', () => {
    const count = countByReason([
      dead(0, 1),
      dead(0, 2, { reasonCode: 'PROCESSING_FAILED' }),
      dead(0, 3, { offset: 101 }),
    ]);
    expect(count.rows).toEqual([
      { service: 'wallet-ledger', consumerGroup: 'wallet-ledger', reasonCode: 'PROCESSING_FAILED', records: 1 },
      { service: 'wallet-ledger', consumerGroup: 'wallet-ledger', reasonCode: 'REJECTED', records: 1 },
    ]);
    expect(countLines('dlq', 'dl', count).at(-1)).toContain('2 dead-lettered source record(s) from 3 record(s) read');
  });
});

describe('what the commands print', () => {
  it('lists a line per record with where, when, service, source, reason (and write) and the reason shortened', () => {
    const long = late(0, 5, { reason: `received ${'very '.repeat(40)}late` });
    const again = late(2, 9, { offset: 5 });
    const lines = listLines('late', [long, again], repeats([long, again]), 40);
    expect(lines[0]).toMatch(/^AT\s+WHEN\s+SERVICE\s+SOURCE\s+REASON\s+WRITE\s+WHY$/);
    expect(lines[1]).toContain(
      `0:5  ${new Date(T + 5).toISOString()}  viewer-aggregator  ${TOPICS.viewerHeartbeats.name}[1]@5  AFTER_GRACE  player:5`,
    );
    expect(lines[1]!.endsWith('…')).toBe(true);
    expect(lines[2]).toContain('(repeat of 0:5)');
    expect(listLines('dlq', [dead(0, 1)])[0]).not.toContain('WRITE');
  });

  it('shortens on one line', () => {
    expect(shorten('a\n  b', 10)).toBe('a b');
    expect(shorten('abcdefghij', 5)).toBe('abcd…');
  });

  it('shows one record whole, the original decoded or why not', () => {
    const entry = late(0, 5);
    const decoded = showLines(TOPICS.late.name, entry, {
      schemaId: 9,
      schemaName: TOPICS.viewerHeartbeats.valueSchema,
      value: { streamId: 'stream-1' },
    }).join('\n');
    expect(decoded).toContain('write           player:5');
    expect(decoded).toContain('windows missed  viewers.history.minute');
    expect(decoded).toContain('(900 s after)');
    expect(decoded).toContain(`original value  5 bytes, schema id 9 (${TOPICS.viewerHeartbeats.valueSchema}):`);
    expect(decoded).toContain('"streamId": "stream-1"');
    const undecodable = showLines('dl', dead(0, 1, { value: Buffer.from('not avro'), headers: { a: '1', b: '2' } }), {
      error: 'not a Confluent-framed record',
    }).join('\n');
    expect(undecodable).toContain('headers         a=1, b=2');
    expect(undecodable).toContain('original key    "user-1"');
    expect(undecodable).toContain(
      `8 bytes, not decodable: not a Confluent-framed record\n    ${Buffer.from('not avro').toString('hex')}`,
    );
  });

  it('prints a key as text where it is, else hex', () => {
    expect(keyText(Buffer.from('user-1'))).toBe('"user-1"');
    expect(keyText(Buffer.from([0xff, 0x00]))).toBe('0xff00');
    expect(keyText(null)).toBe('null');
  });

  it('gives JSON with bytes as base64 and the side-topic position apart from the source’s', () => {
    const entry = dead(2, 7);
    expect(entryJson(entry, dead(0, 1))).toMatchObject({
      at: '2:7',
      sidePartition: 2,
      sideOffset: 7,
      partition: 0,
      offset: 107,
      key: Buffer.from('user-1').toString('base64'),
      repeatOf: '0:1',
    });
  });
});

describe('redriving', () => {
  it('sends each source record once, whatever group reported it, with its bytes and headers and where it came from', () => {
    const a = dead(0, 1);
    const aAgain = dead(1, 4, { offset: a.record.offset, consumerGroup: 'wallet-ledger-rebuild' });
    const b = dead(0, 2, { key: null, headers: { [REDRIVEN_FROM_HEADER]: 'dl/0/0' } });
    const { messages, repeats: skipped } = redriveMessages('dl', [a, aAgain, b]);
    expect(skipped).toBe(1);
    expect(messages.map((m) => m.entry)).toEqual([a, b]);
    expect(messages[0]).toMatchObject({
      topic: TOPICS.walletCommands.name,
      key: a.record.key,
      value: a.record.value,
      headers: { trace: 't1', [REDRIVEN_FROM_HEADER]: 'dl/0/1' },
    });
    // sent back again: where it comes from now
    expect(messages[1]!.headers).toEqual({ [REDRIVEN_FROM_HEADER]: 'dl/0/2' });
    const summary = {
      chosen: 3,
      repeats: 1,
      messages,
      sent: 2,
      seconds: 0.25,
      perTopic: new Map([[TOPICS.walletCommands.name, 2]]),
    };
    expect(redriveLines('dl', { ...summary, dryRun: false })).toEqual([
      `sent 2 record(s) from dl back to their source topics (${TOPICS.walletCommands.name}: 2) in 0.3 s, acknowledged by all in-sync replicas; 1 repeat(s) of the same source record sent once`,
    ]);
    const dry = redriveLines('dl', { ...summary, sent: 0, dryRun: true });
    expect(dry[0]).toBe(
      `would send 0:1 → ${TOPICS.walletCommands.name} (from partition 0 offset 101, key "user-1", 7 bytes)`,
    );
    expect(dry.at(-1)).toContain('dry run: would send 2 of 3 chosen record(s) from dl back');
  });
});
