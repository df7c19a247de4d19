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
    'counter-materializer ÷ Kafka Streams peer',
    'Postgres-bound, by design of its state: every like costs a (partition, source) seq-window row and a like-register row, each ' +
      'read (a primary-key probe) and written (an upsert) in the flush’s transaction, plus the per-minute rows and the Redis ' +
      'projection the peer does not keep. SQL time per statement in a traced drain of 200,000 likes (before the sparse bits): ' +
      'window upsert 31%, window probe 21%, register upsert 17%, archived blocks 9%, register probe 9%, minute rows 3%, items 2%, ' +
      'snapshots 4%, fences 3% (3 statements per partition then, 2 per flush now). The Node process was busy 33 of 75 s (GC 22% ' +
      'of that, socket writes 9%). This run’s changes (group commit that adapts, two flush lanes, sparse window bits, one fence ' +
      'statement per flush) took the same-machine A/B from 11,133 / 15,180 to 19,347 / 23,540 events/s (the peer: 29,629 / ' +
      '34,932). The peer keeps the same state in local RocksDB stores and writes changelog topics in bulk. Next step: the same ' +
      'for Tally: the owned partitions’ windows and registers in process memory (loaded on assignment, trusted while the ' +
      'partition fence is ours), Postgres written as a changelog by COPY into a staging table and one merge per flush, and ' +
      'insert-first for keys never seen (one statement instead of a probe and an upsert).',
  ],
  [
    'viewer-aggregator: heartbeats/s',
    'CPU-bound in its own process. A CPU profile of the viewers benchmark run alone after the suite (drain and half ' +
      'load; 17,291 heartbeats/s there) shows the aggregator busy 62 of 70 s sampled, 89% of one core, where Node runs ' +
      'its JavaScript: GC 15%, the batch loop of aggregator.ts 11%, the session-history fold (history.ts, ' +
      'record-history.ts, coverage.ts, the marks cache) 19%, socket writes to Redis and Postgres 10%, the (source, seq) ' +
      'windows 4%, pg 5%, kafkajs 5%. The gateway that fed it was busy 45 of 97 s. Next step: fewer allocations per ' +
      'heartbeat in the history fold (GC is the largest single share), then the partitions spread over two processes ' +
      '(a second consumer in the group) so the second core works too.',
  ],
  [
    'viewers: write → visible',
    'The same profile: under half load the aggregator is busy most of a core, so a probe’s heartbeat waits for the batch ' +
      'under way and its own (p50 11 ms idle, 314 ms at half load in that run). Next step as for the rate.',
  ],
  [
    'queue-admitter: commands/s',
    'The batches of all partitions and the 200 ms admission rounds run one at a time (admission decides under the queue’s lock), so ' +
      'the service is serial by design; no peer was written for it yet.',
  ],
  [
    'vote-merger region: ballots/s',
    'Each ballot is one "already voted" probe and one insert per (poll, user) in the region’s transaction; GC ~15% and socket ' +
      'writes ~11% of the busy CPU, the rest waiting on Postgres. No peer was written for it yet.',
  ],
  [
    'counters: write → visible, idle',
    'The probe’s path: gateway → Kafka (acks=all) → the consumer’s fetch → the flusher’s 5 ms linger → one transaction (~20 ms) → ' +
      'Redis → the GET; before this run’s adaptive group commit the linger was a fixed 100 ms (p99 171–184 ms in the A/B, 64–74 ms ' +
      'after).',
  ],
  [
    'counters: write → visible at half load',
    'The group commit now takes whatever waited the moment the previous write ends, so at half load the flushes are ~100 ' +
      'records and ~115 ms each (A/B: p99 1,910 / 1,211 ms before at 5,566 / 7,590 likes/s, 366 / 507 ms after at 9,674 / ' +
      '11,770/s). What is left is the flush’s own time: two probes and two upserts per like (see the throughput row), on cores ' +
      'the gateway, Kafka and the load client share. Next step as for throughput.',
  ],
  [
    'wallet: write → visible, idle',
    'p50 ~15 ms; the p99 is the slowest 2 of 200 probes, each a command, its outcome published (acks=all) and read back. Not ' +
      'profiled in this run.',
  ],
  [
    'wallet: write → visible',
    'Under steady load the batches are small and each pays its fixed round trips (the account locks, the write records, the ' +
      'entries, the commit, the outcome publish with acks=all, the offset commit). The load is grants through the gateway, which ' +
      'competes for the same 2 cores. Not profiled in this run.',
  ],
  [
    'votes: write → visible, idle',
    'p50 ~42 ms, as in earlier runs; the p99 is the slowest 2 of 200 probes (the path is gateway → region → snapshot → merger → ' +
      'world result → region). Not profiled in this run.',
  ],
  [
    'votes: write → visible',
    'Under steady load the region’s batches are small and each pays its fixed round trips (the already-voted probes, the insert, ' +
      'the counts, the snapshot), then the snapshot goes through the merger and back before the region shows the world result.',
  ],
  [
    'queue: write → visible',
    'The admitter is serial by design (every partition’s batch and the 200 ms admission rounds one at a time).',
  ],
  [
    'read ',
    'The machine’s own floor: the bare Fastify anchor (a constant JSON, no owner, no Redis) at 32 connections on the same 2 ' +
      'cores is in the gateway section of this run, and its p99 is of the same order. The gateway profile at 32 connections ' +
      'showed it busy 71–93% of a core, 43% of that in socket writes (answers to clients, requests to owners), the gateway’s own ' +
      'JavaScript a few percent. Public reads now join an identical GET already in flight to the owner and pass the owner’s bytes ' +
      'through. Next step: serve viewers, queue figures and poll results from the change topics the gateway already reads ' +
      '(invalidated by key), so a public read is one hop.',
  ],
  [
    'wallet: GET balance p99 ÷ naive SUM',
    'Both are one indexed read behind the same HTTP server; below ~1,000 entries the SUM is as cheap as the balance row and ' +
      'the p99s tie within scheduling noise (the SQL-only rows of the wallet section show the database’s share apart from HTTP). ' +
      'The balance read is one primary-key lookup; it pulls ahead as histories grow.',
  ],
  [
    'gateway: single like ÷ bare',
    'A single write waits for its Kafka acknowledgement (acks=all, idempotent producer, one request in flight so a key’s order ' +
      'holds): at 64 connections the gateway was ~50% busy, the rest waiting for acks; kafkajs, GC and socket writes lead its ' +
      'profile, the gateway’s own code a few percent.',
  ],
  [
    'gateway: batch ingestion',
    'Per item the gateway validates (ajv), builds the record, encodes Avro (now without the registry client’s second lookup and ' +
      'copy per record) and kafkajs frames it; with one produce request in flight per producer, a 500-item batch waits for the ' +
      'batches queued before it. Next step: pipelined produce requests (the Java client’s max.in.flight=5 with idempotence keeps ' +
      'order) and validating items with one compiled schema for the whole array.',
  ],
  [
    'growth: queue curve: GET',
    'Both queue reads are answered from Redis (a ZRANK, O(log n), and a hash read), which the seeded finished tickets do not ' +
      'enter; their p50s moved 1.26 → 1.60 and 1.24 → 1.45 ms between the sizes. The p99 of 2,000 reads at 4 at a time is ' +
      'the slowest 20, taken on 2 cores right after the drain while Postgres vacuums what the seeding and the drain wrote; ' +
      'the step is scheduling on a shared machine, not the state. Next step: repeat the reads three times per size and report ' +
      'the median p99.',
  ],
  [
    'growth: ',
    'See the growth section: the seeded state is Postgres rows the load does not touch, so what grows is table and index size.',
  ],
  [
    'sustained: lag',
    'Measured in the sustained section: the drain rate itself falls as the state grows. Fresh, the service drained 13,710 ' +
      'likes/s; after the 10 minutes (6.3 M more likes: like registers and seq windows, their indexes) it drained the ' +
      'remaining 668,120 in 80.5 s, about 8,300/s, below the 10,968/s offered, so the lag grew from the second minute on. ' +
      'The service itself was busy only 43–68% of one core (mean 56%, GC 17% of that): the rest of each flush is waiting on ' +
      'its Postgres transaction (two probes and two upserts per like, on tables that grow), on cores Kafka, Postgres and the ' +
      'load client share (load average 2.9 on 2 cores at the end). Next step: the one named for throughput (the owned ' +
      'partitions’ state in memory, Postgres written as a changelog by COPY and one merge), which takes the probes out of ' +
      'the flush and makes its cost independent of the tables’ size.',
  ],
  [
    'sustained: GC share',
    'prom-client times GC pauses on the wall clock, so when the process waits for a core the pauses look longer; the GC pause ' +
      'share of wall time is printed beside it.',
  ],
];

export function missedCauses(targets: Target[]): string[] {
  const missed = targets.filter((t) => !t.met);
  if (missed.length === 0) return ['## Targets missed', '', 'None.', ''];
  return [
    '## Targets missed: why, and where the time goes',
    '',
    ...missed.map((t) => {
      const cause = Number.isNaN(t.measured)
        ? 'Not run in this run (see the top of the page).'
        : causes.find(([prefix]) => t.what.startsWith(prefix))?.[1];
      return `- **${t.what}**: ${t.measured} against ${t.target}. ${cause ?? 'Not analysed: no profile of this miss has been taken yet.'}`;
    }),
    '',
  ];
}
