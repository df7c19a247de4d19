/**
 * Why a target is missed on this machine: the analysis behind each miss, from CPU profiles of the service
 * (BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js", summarised by scripts/bench/profile-summary.ts)
 * and its batch timings. Written by hand from those runs; suite.ts prints it under every target it finds missed,
 * and says so plainly where a miss has no analysis yet.
 */
export interface Target {
  what: string;
  measured: number;
  target: string;
  met: boolean;
}

/** The start of a target's `what` → the cause and the profile that shows it. */
const causes: [string, string][] = [
  [
    'counter-materializer: events/s',
    'Postgres-bound: the Node process was busy 20 s of a 63 s drain, the rest waiting on Postgres. Each like costs two row upserts ' +
      'in its flush (its (source, seq) window, since every user is its own source, and its like register) plus the per-minute rows. ' +
      'Timed per flush of ~7,800 events before this run’s fixes: seq windows 167 ms, like upserts 97 ms, register reads 36 ms, Redis ' +
      '44 ms, snapshots 25, minute rows 23, decide() 19, offset fences 15, items 12, commit 7. CPU profile (busy samples): GC 24.4%, ' +
      'decide 5.5%, socket writev 4.7%, seq-window code 3.7%, counter store 3.0%, pg escapeElement 2.6%. Fixed in this code: key ' +
      'reads as primary-key probes (the planner had hashed whole tables) and flushes that take everything waiting (11,500 → 13,000–19,600/s ' +
      'by machine load). Left: the two upserts per event, which correctness needs.',
  ],
  [
    'vote-merger region',
    'The "already voted" read was planned as a hash of the whole ballots table (41 → 157 ms per 400-ballot chunk as it filled); now one ' +
      'primary-key probe per ballot (9,581 → 14,000–22,400/s by machine load). CPU profile (busy samples): GC 15.4%, socket writev 11.2%, ' +
      'writeBuffer 7.0%, decideBallots 2.8%, region store 2.4%, kafkajs 2.0%: the rest is waiting on Postgres.',
  ],
  [
    'wallet-ledger: commands/s',
    'Each command is decided against the ledger and its outcome encoded and published (acks=all) for ?wait=true in the same batch; ' +
      'GC is ~20% of the busy CPU. The "already recorded" lookup was a whole-ledger hash (174–234 ms per 1,000 commands at 80,000 ' +
      'entries against 23 ms as probes); now probes.',
  ],
  [
    'queue-admitter: commands/s',
    'The batches of all partitions and the 200 ms admission rounds run one at a time (admission decides under the queue’s lock), so ' +
      'the service is serial by design. The lookup of a batch’s tickets read every ticket ever held (36 ms per chunk at 160,000 tickets ' +
      'against 0.35 ms as probes); now probes.',
  ],
  [
    'viewers: write → visible',
    'At half the drain rate the gateway (writes through it), the aggregator, Kafka and the load client share 2 cores: the gateway ' +
      'accepts heartbeats one request each, and its event-loop lag under that load is the probe’s wait. Idle, the same path is p99 ' +
      '< 100 ms. Not profiled further.',
  ],
  [
    'counters: write → visible',
    'Group commit is the delay: under steady load at half the drain rate, consumer batches of ~360 records took ~410 ms each on ' +
      'average (the batch waits for the flusher’s group, up to FLUSH_INTERVAL_MS = 100 ms, then for a transaction that pays two upserts ' +
      'per event, the seq windows and the Redis projection, and the write before it), so a like is visible after p50 ~430 ms. Idle, ' +
      'p99 is ~155 ms. A shorter interval trades throughput (the 20,000/s drain needs large flushes); not tuned further here. The ' +
      'load is produced straight to the topic (the gateway cannot take half the rate on this machine beside the service).',
  ],
  [
    'votes: write → visible',
    'As for counters, smaller: under steady load the region’s batches are small and each pays its fixed round trips (the ' +
      'already-voted probes, the insert, the counts, the snapshot); the load is produced straight to the topic. Idle p99 ~42 ms.',
  ],
  [
    'wallet: write → visible',
    'Under steady load the batches are small and each pays its fixed round trips (five statements, the commit, the outcome ' +
      'publish with acks=all, the offset commit), 4 partitions worked at once; measured before this run’s fixes, 86–220 ms per ' +
      'batch of 90–322 records. The load is grants through the gateway (one request credits many users), which competes for the ' +
      'same 2 cores. Idle p99 ~20 ms.',
  ],
  [
    'queue: write → visible',
    'The admitter is serial by design (every partition’s batch and the 200 ms admission rounds one at a time), and the gateway ' +
      'takes single joins only (no batch route), so on 2 cores the half rate is not delivered.',
  ],
  [
    'read ',
    'Two HTTP hops on 2 shared cores: the p50 is ~1 ms, the tail is scheduling delay (the gateway’s event-loop lag p99 was 16–27 ms ' +
      'while other processes ran). The owner alone is in the gateway section ("at its owner directly"). A gateway profile on counts ' +
      'reads showed fetch’s machinery at 28% of its CPU (undici 17.5%, a timeout AbortSignal per request 8%); this code routes reads ' +
      'over kept-alive node:http instead. A minimal node:http proxy in front of the same owner also missed 5 ms p99 under that load.',
  ],
];

export function missedCauses(targets: Target[]): string[] {
  const missed = targets.filter((t) => !t.met);
  if (missed.length === 0) return ['## Targets missed', '', 'None.', ''];
  return [
    '## Targets missed: why, and where the time goes',
    '',
    ...missed.map((t) => {
      const cause = causes.find(([prefix]) => t.what.startsWith(prefix))?.[1];
      return `- **${t.what}**: ${t.measured} against ${t.target}. ${cause ?? 'Not analysed: no profile of this miss has been taken yet.'}`;
    }),
    '',
  ];
}
