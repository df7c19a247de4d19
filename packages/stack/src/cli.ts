#!/usr/bin/env -S npx tsx
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { TOPICS } from '@tally/contracts';
import { createSchemaRegistry } from '@tally/schemas';
import { kafkaSecurity } from '@tally/streaming';
import { registerImageCommands } from './images/commands.js';
import { groupLag, lagTable } from './lag.js';
import { CANNOT_VERIFY, runLedgerVerify } from './ledger-verify.js';
import { describeWindow, runLoad } from './load/runner.js';
import { JOBS, type Job } from './load/traffic.js';
import { moveGroupBack, parseReplayStart, watchCatchUp, type PartitionMove } from './replay.js';
import { checkSchemas, registerSchemas } from './schemas.js';
import { setupCluster } from './setup.js';
import { decodeOriginal, readSideTopic, redrive } from './side-topic-io.js';
import {
  SIDE_NOUN,
  SIDE_SCHEMA,
  SideTopicRefusedError,
  choose,
  countByReason,
  countLines,
  describeFilter,
  entryJson,
  findEntry,
  listLines,
  parseSideRef,
  parseSince,
  reasonCodes,
  redriveLines,
  repeats,
  showLines,
  type SideFilter,
  type SideKind,
} from './side-topics.js';
import { prepareStack, stackDown, stackEndpoints, stackEnvironment, stackStatus, stackUp } from './stack.js';
import {
  applyTopics,
  declaredTopics,
  parsePartitionsOverride,
  repartitionWarning,
  withPartitions,
  type TopicChange,
} from './topics.js';

const log = (line: string) => console.log(line);
const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

const program = new Command('tally')
  .description(
    'Operate Tally: the local stack, topics and schemas, consumer lag, replays, dead-lettered and late records.',
  )
  .option(
    '--brokers <list>',
    'Kafka bootstrap servers for setup, topics, lag, replay, dlq and late (default: KAFKA_BROKERS, else the local stack)',
  )
  .option(
    '--registry <url>',
    'schema registry for setup, schemas, dlq and late (default: SCHEMA_REGISTRY_URL, else the local stack)',
  )
  .showHelpAfterError();

/** Any schema registry for the schema commands: --registry, SCHEMA_REGISTRY_URL, or the local stack's. */
function registryUrlChosen(): string {
  return (
    (program.opts() as { registry?: string }).registry ??
    process.env.SCHEMA_REGISTRY_URL ??
    stackEndpoints().registryUrl
  );
}

/** Any cluster for the operating commands: --brokers, KAFKA_BROKERS, or the local stack. */
function clusterBrokers(): string[] {
  const chosen = (program.opts() as { brokers?: string }).brokers ?? process.env.KAFKA_BROKERS;
  return chosen ? list(chosen) : stackEndpoints().brokers;
}

// with the deployment's TLS and SASL settings (KAFKA_SECURITY_PROTOCOL, ...), as every service connects: the setup Job runs this
const clusterKafka = () =>
  new Kafka({
    brokers: clusterBrokers(),
    clientId: 'tally-cli',
    logLevel: logLevel.ERROR,
    ...kafkaSecurity(process.env),
  });

const ALLOW_REPARTITION = [
  '--allow-repartition',
  'grow keyed topics too: re-hashes their keys, so a key’s records before and after land on different partitions (stop producers and drain consumers first)',
] as const;

/**
 * After the changes are printed: each refused growth explained on stderr, and exit 2 naming the topics, so a setup
 * job or script stops there while every other topic was still applied.
 */
function reportRefusals(changes: TopicChange[]): void {
  const refused = changes.filter((c) => c.refused);
  if (refused.length === 0) return;
  for (const c of refused) console.error(`\n${repartitionWarning(c.topic, c.refused!)}`);
  console.error(
    `\ntally: refused to grow ${refused.length} keyed topic(s): ${refused.map((c) => c.topic).join(', ')} (everything else was applied)`,
  );
  process.exitCode = 2;
}

async function withClusterAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = clusterKafka().admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

const CLUSTER = [
  '--cluster',
  'the cluster profile (as TALLY_STACK_PROFILE=cluster): three KRaft brokers (replication 3, min.insync.replicas 2) and a Redis Cluster of six nodes, under .stack/cluster on ports of their own',
] as const;

const stack = program
  .command('stack')
  .description(
    'the local stack: Kafka (KRaft), the schema registry, and the machine’s Redis and Postgres (or, with --cluster, a three-broker Kafka and a Redis Cluster)',
  );
// --cluster on any stack command selects the profile for everything the command does
stack.hook('preAction', (_stack, command) => {
  if ((command.opts() as { cluster?: boolean }).cluster) process.env.TALLY_STACK_PROFILE = 'cluster';
});
stack
  .command('prepare')
  .description('resolve the Kafka and schema-registry jars from Maven Central (skipped when already built)')
  .action(() => {
    prepareStack(log);
  });
stack
  .command('up')
  .description('start Kafka and the schema registry if not running, check Redis and Postgres, apply topics and schemas')
  .option(...ALLOW_REPARTITION)
  .option(...CLUSTER)
  .action(async (options: { allowRepartition?: boolean }) => {
    const changes = await stackUp(log, { allowRepartition: options.allowRepartition ?? false });
    const e = stackEndpoints();
    log(
      `\nstack is up. ${Object.entries(stackEnvironment())
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')}`,
    );
    if (e.profile === 'cluster') log('(`eval "$(pnpm -s tally stack env --cluster)"` sets these in a shell)');
    reportRefusals(changes);
  });
stack
  .command('status')
  .description('report each component; exit 1 if any is down')
  .option('--json', 'print JSON')
  .option(...CLUSTER)
  .action(async (options: { json?: boolean }) => {
    const status = await stackStatus();
    if (options.json) console.log(JSON.stringify(status, null, 2));
    else for (const s of status) log(`${s.name.padEnd(16)} ${s.up ? 'up  ' : 'DOWN'}  ${s.detail}`);
    if (status.some((s) => !s.up)) process.exitCode = 1;
  });
stack
  .command('env')
  .description('print the variables services and tests need to use the stack, as shell exports')
  .option(...CLUSTER)
  .action(() => {
    for (const [name, value] of Object.entries(stackEnvironment())) log(`export ${name}=${value}`);
  });
stack
  .command('down')
  .description(
    'stop the registry and Kafka (data is kept in .stack/), and the cluster profile’s Redis Cluster; the machine’s Redis and Postgres are left running',
  )
  .option(...CLUSTER)
  .action(async () => {
    await stackDown(log);
  });

program
  .command('setup')
  .description(
    'once per cluster (a deployment’s setup job): create or grow the topics of the catalogue (@tally/contracts, as in deploy/topics.yaml) and register their value schemas; safe to run again, and a schema change that breaks BACKWARD compatibility fails here, before any service starts. A keyed topic is grown only with --allow-repartition: else it is reported as refused and setup exits 2 after applying the rest',
  )
  .option(...ALLOW_REPARTITION)
  .action(async (options: { allowRepartition?: boolean }) => {
    const { changes, schemas, topics } = await setupCluster(clusterKafka(), registryUrlChosen(), {
      allowRepartition: options.allowRepartition ?? false,
    });
    for (const c of changes) log(`topic   ${c.topic}: ${c.action}${c.detail ? ` (${c.detail})` : ''}`);
    for (const r of schemas) log(`schema  ${r.subject}: ${r.schema} id ${r.id}`);
    log(
      `setup ${changes.some((c) => c.refused) ? 'done but for the refused topics' : 'done'}: ${topics} topics on ${clusterBrokers().join(',')}, schemas in ${registryUrlChosen()}`,
    );
    reportRefusals(changes);
  });

const topics = program
  .command('topics')
  .description('the topics of the catalogue (@tally/contracts; deploy/topics.yaml is generated from it)');
topics
  .command('apply')
  .description(
    'create missing topics, grow partitions, align configs (never deletes); a keyed topic is grown only with --allow-repartition, else it is reported as refused and the command exits 2 after applying the rest',
  )
  .option(...ALLOW_REPARTITION)
  .option(
    '--partitions <topic=n>',
    'give this topic of the catalogue n partitions instead of the declared count (repeatable; growing a keyed topic still needs --allow-repartition)',
    (value: string, previous: Map<string, number> | undefined) => {
      try {
        const { topic, partitions } = parsePartitionsOverride(value);
        return new Map(previous).set(topic, partitions);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    },
  )
  .action(async (options: { allowRepartition?: boolean; partitions?: Map<string, number> }) => {
    const declared = withPartitions(declaredTopics(), options.partitions ?? new Map());
    const changes = await withClusterAdmin((admin) =>
      applyTopics(admin, declared, '', { allowRepartition: options.allowRepartition ?? false }),
    );
    for (const c of changes) log(`${c.topic}: ${c.action}${c.detail ? ` (${c.detail})` : ''}`);
    reportRefusals(changes);
  });
topics
  .command('list')
  .description('print the declared topics')
  .action(() => {
    for (const t of declaredTopics().topics)
      log(
        `${t.name.padEnd(32)} ${String(t.partitions).padStart(3)} partitions  ${t.cleanupPolicy.padEnd(8)} ${t.retention.padEnd(8)} ${t.valueSchema}`,
      );
  });

const schemaCommand = program.command('schemas').description('the Avro schemas of schemas/ in the schema registry');
schemaCommand
  .command('register')
  .description('register every topic value schema under BACKWARD compatibility')
  .action(async () => {
    for (const r of await registerSchemas(registryUrlChosen(), declaredTopics()))
      log(`${r.subject}: ${r.schema} id ${r.id}`);
  });
schemaCommand
  .command('check')
  .description('fail (exit 1) if any schema in schemas/ is incompatible with what the registry holds')
  .action(async () => {
    const results = await checkSchemas(registryUrlChosen(), declaredTopics());
    for (const r of results)
      log(`${r.subject}: ${r.compatible ? 'compatible' : `INCOMPATIBLE ${r.messages.join('; ')}`}`);
    if (results.some((r) => !r.compatible)) process.exitCode = 1;
  });

program
  .command('lag')
  .description('consumer lag per group, topic and partition (committed, end, lag), as kafka-consumer-groups reports it')
  .option('-g, --group <groups>', 'comma-separated groups (default: every group)', list)
  .option('-p, --prefix <prefix>', 'only groups whose name starts with this')
  .option('--json', 'print JSON')
  .action(async (options: { group?: string[]; prefix?: string; json?: boolean }) => {
    const rows = await withClusterAdmin((admin) =>
      groupLag(admin, {
        ...(options.group ? { groups: options.group } : {}),
        ...(options.prefix ? { prefix: options.prefix } : {}),
      }),
    );
    log(
      options.json
        ? JSON.stringify(rows, null, 2)
        : rows.length
          ? lagTable(rows)
          : 'no committed offsets for the groups asked',
    );
  });

/** Follows a group until it has caught up, with a progress bar (a line every few seconds when not on a terminal). */
async function followReplay(admin: Admin, group: string, topics: string[], from?: PartitionMove[]): Promise<void> {
  const bar = new SingleBar({
    format: `${group} [{bar}] {percentage}% {value}/{total} records | {rate}/s | eta {eta}s`,
    noTTYOutput: true,
    notTTYSchedule: 2000,
    etaBuffer: 20,
  });
  let started = false;
  const t0 = Date.now();
  const summary = await watchCatchUp(
    admin,
    group,
    topics,
    ({ done, total }) => {
      const rate = Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000));
      if (!started) bar.start(total, done, { rate });
      started = true;
      bar.setTotal(total);
      bar.update(done, { rate });
    },
    from ? { from } : {},
  );
  bar.stop();
  log(
    `replayed ${summary.records} records on ${topics.join(', ')} in ${summary.seconds.toFixed(1)} s (${Math.round(summary.records / Math.max(summary.seconds, 0.001))}/s); group ${group} has caught up`,
  );
}

const replay = program
  .command('replay')
  .description(
    'reprocess topics into a service’s state: move its group back (while stopped), or follow a fresh group rebuilding a new state',
  )
  .addHelpText(
    'after',
    `
Two modes, both safe:
  re-run over the existing state   stop the service, \`tally replay reset --group <its group> --topics …\`, start it:
                                   every write it already applied is recognised (offset fences, (source, seq)
                                   records, the ledger's keys, the queue's fold), so nothing changes.
  rebuild into an empty state      start a second deployment with a new CONSUMER_GROUP, DB_SCHEMA and REDIS_PREFIX
                                   (queue-admitter also QUEUE_ROLE=follower); it reads from the earliest record;
                                   \`tally replay watch --group <new group> --topics …\` shows when it caught up.
                                   Its state equals the live one (within the topics' retention); then switch
                                   readers to it and stop the old one.`,
  );
replay
  .command('reset')
  .description(
    'move a stopped service’s consumer group back to the earliest record or a time; it reprocesses from there when started',
  )
  .requiredOption('-g, --group <group>', 'the service’s consumer group (CONSUMER_GROUP)')
  .requiredOption('-t, --topics <topics>', 'comma-separated topics to replay', list)
  .option('--from <when>', '"earliest", epoch ms, or an ISO-8601 time', 'earliest')
  .option('--dry-run', 'print the plan, move nothing')
  .option('--watch', 'then follow the group until it has caught up again (start the service meanwhile)')
  .action(async (options: { group: string; topics: string[]; from: string; dryRun?: boolean; watch?: boolean }) => {
    await withClusterAdmin(async (admin) => {
      const moves = await moveGroupBack(
        admin,
        options.group,
        options.topics,
        parseReplayStart(options.from),
        !options.dryRun,
      );
      for (const m of moves)
        log(
          `${m.topic}[${m.partition}]: ${m.from < 0 ? 'none' : m.from} -> ${m.to}  (${m.records} records to reprocess)`,
        );
      const total = moves.reduce((sum, m) => sum + m.records, 0);
      log(
        `${options.dryRun ? 'would move' : 'moved'} group ${options.group} back on ${options.topics.length} topic(s): ${total} records to reprocess`,
      );
      if (options.watch && !options.dryRun) await followReplay(admin, options.group, options.topics, moves);
    });
  });
replay
  .command('watch')
  .description(
    'follow a group until it has caught up: after a reset, or a fresh group rebuilding a new state namespace before the switch-over',
  )
  .requiredOption('-g, --group <group>', 'the consumer group')
  .requiredOption('-t, --topics <topics>', 'comma-separated topics', list)
  .action(async (options: { group: string; topics: string[] }) => {
    await withClusterAdmin((admin) => followReplay(admin, options.group, options.topics));
  });

interface SideOptions {
  topic: string;
  reason?: string;
  service?: string;
  sourceTopic?: string;
  since?: string;
  limit?: number;
  offsets?: string[];
  json?: boolean;
  dryRun?: boolean;
}

const positiveInteger = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a whole number above 0');
  return Number(value);
};

const sideFilter = (o: SideOptions): SideFilter => ({
  ...(o.reason === undefined ? {} : { reason: o.reason }),
  ...(o.service === undefined ? {} : { service: o.service }),
  ...(o.sourceTopic === undefined ? {} : { sourceTopic: o.sourceTopic }),
  ...(o.since === undefined ? {} : { sinceMs: parseSince(o.since) }),
  ...(o.limit === undefined ? {} : { limit: o.limit }),
  ...(o.offsets === undefined ? {} : { refs: o.offsets.map(parseSideRef) }),
});

/** A side-topic command: a refusal (nothing matches, a topic gone, a bad reference) is one sentence and exit 2. */
const refusable =
  <A extends unknown[]>(work: (...args: A) => Promise<void>) =>
  async (...args: A): Promise<void> => {
    try {
      await work(...args);
    } catch (error) {
      if (!(error instanceof SideTopicRefusedError)) throw error;
      console.error(`tally: ${error.message}`);
      process.exitCode = 2;
    }
  };

const SIDE_TOPICS: {
  kind: SideKind;
  variable: 'DLQ_TOPIC' | 'LATE_TOPIC';
  topic: string;
  what: string;
  redrive: string;
}[] = [
  {
    kind: 'dlq',
    variable: 'DLQ_TOPIC',
    topic: TOPICS.deadLetters.name,
    what: 'the dead-letter topic: records a service could not decode, refused, or kept failing on, each with its reason and original bytes',
    redrive:
      'A dead-lettered record sent back is processed again like any new record: fix the cause first (a deployment, a schema, the data).',
  },
  {
    kind: 'late',
    variable: 'LATE_TOPIC',
    topic: TOPICS.late.name,
    what: 'the late topic: records too late for a windowed result (after its allowed lateness) or older than the idempotency record, each with its reason and original bytes',
    redrive:
      'A late record sent back is judged again by the same rule: it is applied only where the service now takes it (e.g. after its allowed lateness was raised), else it is set aside again.',
  },
];

for (const side of SIDE_TOPICS) {
  const { kind } = side;
  const noun = SIDE_NOUN[kind];
  const defaultTopic = process.env[side.variable] || side.topic;
  const topicOption = (c: Command) =>
    c.option('--topic <name>', `the side topic (${side.variable} when set)`, defaultTopic);
  const filters = (c: Command) =>
    topicOption(c)
      .option('--reason <code>', `only this reason: ${reasonCodes(kind).join(', ')}`)
      .option('--service <name>', 'only records of this service (or consumer group)')
      .option('--source-topic <topic>', 'only records that came from this topic')
      .option('--since <when>', 'only records that went aside at or after this time: epoch ms or ISO-8601')
      .option('--limit <n>', 'at most n records, the oldest first', positiveInteger);
  const read = async (topic: string) => {
    const result = await readSideTopic(clusterKafka(), registryUrlChosen(), kind, topic);
    for (const u of result.unreadable)
      console.error(
        `warning: ${topic} ${u.partition}:${u.offset} is not a ${SIDE_SCHEMA[kind]} record, skipped: ${u.error}`,
      );
    return result;
  };
  const command = program
    .command(kind)
    .description(
      `${side.what} (${side.variable}): list, count, show, redrive. Read from the beginning to the end it has when the command starts, in a throwaway consumer group that is deleted afterwards.`,
    );
  filters(
    command
      .command('list')
      .description(
        `a line per ${noun} record, the oldest first: where it is in the side topic (<partition>:<offset>), when, service, source topic[partition]@offset, reason code${kind === 'late' ? ', the write (<source>:<seq>)' : ''} and the reason, shortened; a repeat of the same source record is marked`,
      )
      .option('--json', 'print JSON (bytes as base64)'),
  ).action(
    refusable(async (options: SideOptions) => {
      const { entries } = await read(options.topic);
      const chosen = choose(kind, entries, sideFilter(options));
      const repeatOf = repeats(chosen);
      if (options.json)
        return log(
          JSON.stringify(
            chosen.map((e) => entryJson(e, repeatOf.get(e))),
            null,
            2,
          ),
        );
      if (chosen.length === 0)
        return log(`no ${noun} record in ${options.topic} matches${describeFilter(sideFilter(options))}`);
      for (const line of listLines(kind, chosen, repeatOf)) log(line);
      log(
        `\n${chosen.length} record(s) in ${options.topic}${repeatOf.size > 0 ? `, ${repeatOf.size} of them repeat(s) of a source record listed before` : ''}`,
      );
    }),
  );
  filters(
    command
      .command('count')
      .description(
        `${noun} records counted by service, consumer group and reason${kind === 'late' ? ' (and by window missed)' : ''}, each source record once (deduplicated by consumer group and source topic/partition/offset)`,
      )
      .option('--json', 'print JSON'),
  ).action(
    refusable(async (options: SideOptions) => {
      const { entries } = await read(options.topic);
      const count = countByReason(choose(kind, entries, sideFilter(options)));
      if (options.json)
        return log(
          JSON.stringify(
            { topic: options.topic, dedupedBy: 'consumerGroup+sourceTopic/partition/offset', ...count },
            null,
            2,
          ),
        );
      for (const line of countLines(kind, options.topic, count)) log(line);
    }),
  );
  topicOption(
    command
      .command('show')
      .description(
        `one ${noun} record whole: its fields, headers, and the original record decoded with the schema id inside its bytes`,
      )
      .argument(
        '<at>',
        'where it is in the side topic: <partition>:<offset>, as `list` prints it (an offset alone if only one partition has it)',
      )
      .option('--json', 'print JSON (bytes as base64, the original decoded)'),
  ).action(
    refusable(async (at: string, options: SideOptions) => {
      const ref = parseSideRef(at);
      const { entries } = await read(options.topic);
      const entry = findEntry(kind, options.topic, entries, ref);
      const original = await decodeOriginal(createSchemaRegistry(registryUrlChosen()), entry.record.value);
      if (options.json) return log(JSON.stringify(entryJson(entry, repeats(entries).get(entry), original), null, 2));
      for (const line of showLines(options.topic, entry, original)) log(line);
    }),
  );
  filters(
    command
      .command('redrive')
      .description(
        `send the chosen ${noun} records back to their source topics with their original key, value bytes and headers (plus tally-redriven-from: <side topic>/<partition>/<offset>), acks=all from an idempotent producer, with a progress bar and a summary; each source record once. ` +
          `Safe to do more than once: every Tally service applies a write at most once (the record keeps its (source, seq)), so a record that was applied before changes nothing. ${side.redrive} ` +
          'Refused (exit 2) when nothing matches or a source topic no longer exists.',
      )
      .option(
        '--offsets <list>',
        'only these records of the side topic, comma separated: <partition>:<offset> (or an offset alone)',
        list,
      )
      .option('--dry-run', 'print what would be sent, send nothing'),
  ).action(
    refusable(async (options: SideOptions) => {
      const filter = sideFilter(options);
      const kafka = clusterKafka();
      const result = await read(options.topic);
      const bar = new SingleBar({
        format: `redrive ${options.topic} [{bar}] {percentage}% {value}/{total} records`,
        noTTYOutput: true,
        notTTYSchedule: 2000,
      });
      let started = false;
      const summary = await redrive(kafka, result, kind, options.topic, filter, {
        dryRun: options.dryRun ?? false,
        onProgress: ({ done, total }) => {
          if (!started) bar.start(total, done);
          started = true;
          bar.update(done);
        },
      });
      if (started) bar.stop();
      for (const line of redriveLines(options.topic, summary)) log(line);
    }),
  );
}

const ledger = program.command('ledger').description('the wallet ledger’s state in Postgres');
ledger
  .command('verify')
  .description(
    'check every invariant of the wallet ledger by full scans: each balance and held amount = the sum of its applied entries, held = its pending holds, none below zero, the balanceAfter and heldAfter chains, transfers balanced, every entry’s write recorded. Prints each violation and a summary; exit 0 when none, 1 when any (the first named on the last line, on stderr), 2 when the ledger cannot be read (Postgres unreachable, no ledger in the schema)',
  )
  .option('--database-url <url>', 'Postgres (default: DATABASE_URL, else the local stack’s)')
  .option('--schema <name>', 'the ledger’s schema (its DB_SCHEMA)', 'wallet_ledger')
  .option('--limit <n>', 'at most n violations shown per invariant', positiveInteger, 10)
  .option('--json', 'print JSON')
  // a usage error is no verdict: 2, never the 1 that says the ledger is wrong
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : CANNOT_VERIFY))
  .action(async (options: { databaseUrl?: string; schema: string; limit: number; json?: boolean }) => {
    process.exitCode = await runLedgerVerify({
      databaseUrl: () => options.databaseUrl ?? process.env.DATABASE_URL ?? stackEndpoints().databaseUrl,
      schema: options.schema,
      limit: options.limit,
      json: options.json ?? false,
    });
  });

/** A few reads through the gateway, so the numbers the load moves are seen moving. */
async function readBack(baseUrl: string, run: string, jobs: readonly Job[]): Promise<string> {
  const get = async (path: string) => {
    const response = await fetch(`${baseUrl}${path}`).catch(() => undefined);
    return response?.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
  };
  const parts: string[] = [];
  if (jobs.includes('viewers'))
    parts.push(`stream-0 viewers ${(await get('/v1/streams/stream-0/viewers'))?.concurrent ?? '?'}`);
  if (jobs.includes('counters')) {
    const top = (await get('/v1/rankings/likes?window=1h&limit=1')) as unknown as
      { itemId: string; score: number }[] | { ranking?: { itemId: string; score: number }[] } | undefined;
    const first = Array.isArray(top) ? top[0] : top?.ranking?.[0];
    parts.push(`most liked ${first ? `${first.itemId} (${first.score})` : '?'}`);
  }
  if (jobs.includes('queue')) {
    const queue = await get(`/v1/queues/load-${run}`);
    parts.push(`queue ${queue ? `${String(queue.waiting)} waiting, ${String(queue.active)} active` : '?'}`);
  }
  if (jobs.includes('votes')) {
    const result = (await get(`/v1/polls/load-${run}/results`)) as
      { version?: number; global?: { optionId: string }[] } | undefined;
    parts.push(`world vote leader ${result?.global?.[0]?.optionId ?? '?'} (version ${result?.version ?? '-'})`);
  }
  return `  reads: ${parts.join(' | ')}`;
}

program
  .command('load')
  .description(
    'realistic traffic through the gateway for each job (players heartbeating, likes and views, credits and debits, queue joins, votes across regions), with a live summary',
  )
  .option('--url <url>', 'the gateway', process.env.TALLY_GATEWAY_URL ?? 'http://127.0.0.1:8080')
  .option(
    '--key <key>',
    'an API key with the write scopes (default: TALLY_API_KEY, else the development key)',
    process.env.TALLY_API_KEY ?? 'tally-dev-key',
  )
  .option('--rate <n>', 'requests per second over all jobs', (v) => Number(v), 200)
  .option('--seconds <n>', 'how long (0: until Ctrl-C)', (v) => Number(v), 0)
  .option('--jobs <jobs>', `comma-separated, of ${JOBS.join(', ')}`, list, [...JOBS])
  .option('--json', 'print the final summary as JSON')
  .action(
    async (options: { url: string; key: string; rate: number; seconds: number; jobs: string[]; json?: boolean }) => {
      const unknown = options.jobs.filter((j) => !JOBS.includes(j as Job));
      if (unknown.length > 0 || !(options.rate > 0) || !(options.seconds >= 0)) {
        throw new Error(
          `--jobs takes ${JOBS.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}; --rate must be above 0, --seconds 0 or more`,
        );
      }
      const jobs = options.jobs as Job[];
      const run = Date.now().toString(36);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      log(
        `load ${run}: ${options.rate} requests/s to ${options.url} (${jobs.join(', ')})${options.seconds ? ` for ${options.seconds} s` : '; Ctrl-C stops'}`,
      );
      const started = Date.now();
      const total = await runLoad({
        baseUrl: options.url,
        apiKey: options.key,
        rate: options.rate,
        seconds: options.seconds,
        jobs,
        run,
        signal: stop.signal,
        onSecond: (second, window) => {
          log(`t=${second}s`);
          for (const line of describeWindow(window)) log(line);
          if (second % 5 === 0) void readBack(options.url, run, jobs).then(log);
        },
      });
      const seconds = (Date.now() - started) / 1000;
      if (options.json)
        log(
          JSON.stringify(
            Object.fromEntries(
              [...total].map(([job, w]) => [
                job,
                { sent: w.sent, accepted: w.accepted, refused: w.refused, failed: w.failed, requests: w.requests },
              ]),
            ),
          ),
        );
      else {
        log(`total over ${seconds.toFixed(1)} s:`);
        for (const line of describeWindow(total, seconds)) log(line);
      }
    },
  );

program
  .command('admission-key')
  .description(
    "a new ES256 (P-256) key for the queue-admitter's admission tokens: prints one private JWK (stdout) and how to put it in ADMISSION_SIGNING_KEYS (stderr)",
  )
  .option('--kid <kid>', 'its key id, 1-64 of A-Z a-z 0-9 . _ : - (default: admission-<date>-<random>)')
  .action((options: { kid?: string }) => {
    const kid = options.kid ?? `admission-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(kid) || kid === 'tally-development')
      throw new InvalidArgumentError(
        '--kid must be 1-64 characters of A-Z a-z 0-9 . _ : - (and not tally-development, the built-in development key)',
      );
    const { kty, crv, x, y, d } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    });
    const jwk = JSON.stringify({ kty, crv, x, y, d, kid, alg: 'ES256', use: 'sig' });
    log(jwk);
    console.error(
      [
        `A private key (kid ${kid}): keep it in the Secret, never in the repository.`,
        `First key of a deployment:  ADMISSION_SIGNING_KEYS='[${jwk}]'`,
        'Rotation: append it to the end of ADMISSION_SIGNING_KEYS and deploy (verifiers learn it from /.well-known/jwks.json),',
        'then move it first (it signs), then drop the old key once the longest admission (activeSeconds) has passed.',
      ].join('\n'),
    );
  });

program
  .command('api-key')
  .description(
    'a new API key for the gateway: prints the secret once (stdout) and the API_KEYS entry holding only its SHA-256 (stderr)',
  )
  .requiredOption('--name <name>', 'who holds it, 1-64 of A-Z a-z 0-9 . _ : - (logs and rate limits use it)')
  .requiredOption('--scopes <list>', 'comma separated, e.g. wallets:read,queues:read')
  .option('--users <list>', 'limit it to these users: ids or prefixes ending in * (e.g. acme:*)')
  .option('--queues <list>', 'limit it to these queues: ids or prefixes ending in *')
  .action((options: { name: string; scopes: string; users?: string; queues?: string }) => {
    const list = (text: string) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    const secret = `tk_${randomBytes(32).toString('base64url')}`;
    const entry: Record<string, unknown> = {
      name: options.name,
      scopes: list(options.scopes),
      keySha256: createHash('sha256').update(secret).digest('hex'),
    };
    if (options.users) entry.users = list(options.users);
    if (options.queues) entry.queues = list(options.queues);
    log(secret);
    console.error(
      [
        'The secret above is shown once: hand it to its holder; Tally keeps only its hash.',
        `API_KEYS entry: ${JSON.stringify(entry)}`,
        'Rotation: add the new entry beside the old one, move the holder to the new secret, then remove the old entry.',
      ].join('\n'),
    );
  });

registerImageCommands(program);

program.parseAsync().catch((error: unknown) => {
  console.error(`tally: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
