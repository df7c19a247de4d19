/**
 * The rebuild of every service (issue 17): every consuming service stopped, its state dropped (its Postgres
 * schema, named by its own configuration's DB_SCHEMA, and its Redis keys: the run's Redis is private, so
 * FLUSHALL), its consumer groups deleted so it reads every topic from the beginning into empty state, then all
 * started again. Done when every group has read every record of every topic it read before (lag 0 on all of
 * them, twice in a row with the topics standing still, the keepers' heartbeats aside). Returns the records read
 * and the time it took; the runner then checks every invariant against the same model as after any fault.
 */
import { createPool } from '@tally/storage';
import { consumerLag } from '@tally/streaming';
import { loadConfig as counterConfig } from '@tally/counter-materializer';
import { loadConfig as queueConfig } from '@tally/queue-admitter';
import { loadConfig as viewerConfig } from '@tally/viewer-aggregator';
import { loadConfig as voteConfig } from '@tally/vote-merger';
import { loadConfig as walletConfig } from '@tally/wallet-ledger';
import type { FaultControls, FaultEnvironment } from './environment.js';
import type { ServiceSpec } from './environment/services.js';
import { consumedTopics, withAdmin, type Admin } from './workload/settle.js';
import type { Injected } from './workload/stats.js';

/** Each consuming service's own configuration, read as its process reads it. */
const CONFIGS: Record<string, (env: NodeJS.ProcessEnv) => { DB_SCHEMA: string }> = {
  'viewer-aggregator': viewerConfig,
  'counter-materializer': counterConfig,
  'wallet-ledger': walletConfig,
  'queue-admitter': queueConfig,
  'vote-merger': voteConfig,
};

/** The Postgres schema a service of the run keeps its state in (DB_SCHEMA, its default unless the spec sets it). */
export function schemaOf(spec: ServiceSpec): string {
  const load = CONFIGS[spec.dir];
  if (!load) throw new Error(`no configuration known for ${spec.dir}: add it to scripts/faults/rebuild.ts`);
  return load({ ...process.env, ...spec.env, HOST: '127.0.0.1', PORT: String(spec.port) }).DB_SCHEMA;
}

const CATCH_UP_LIMIT_MS = 20 * 60_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `growingGroups`: groups whose topics are written to through the rebuild (the keepers' heartbeats): lag 0 on them is enough. */
export async function rebuildEverything(
  env: FaultEnvironment & FaultControls,
  growingGroups: readonly string[],
): Promise<Injected> {
  const began = Date.now();
  const consumers = env.services.filter((s) => s.spec.consumerGroups.length > 0);
  const schemas = consumers.map((s) => schemaOf(s.spec));
  await Promise.all(consumers.map((s) => s.stop('SIGTERM')));
  const groups = consumers.flatMap((s) => s.spec.consumerGroups);
  // what each group read before, and how much of it there is: the rebuild reads all of it from the beginning
  const { topicsOf, records } = await withAdmin(env.brokers, async (admin) => {
    const topicsOf = new Map<string, string[]>();
    let records = 0;
    for (const group of groups) {
      const topics = await consumedTopics(admin, group);
      topicsOf.set(group, topics);
      for (const topic of topics)
        for (const p of await admin.fetchTopicOffsets(topic)) records += Number(p.high) - Number(p.low);
    }
    await deleteGroups(admin, groups);
    return { topicsOf, records };
  });
  const stillGrowing = new Set(growingGroups.flatMap((g) => topicsOf.get(g) ?? []));
  const dropped = await dropSchemas(env.databaseUrl, schemas);
  await env.flushRedis();
  const startedAt = Date.now();
  for (const service of consumers) await service.start();
  const caughtUp = await withAdmin(env.brokers, (admin) =>
    waitForEveryRecord(admin, topicsOf, stillGrowing, Date.now() + CATCH_UP_LIMIT_MS),
  );
  if (!caughtUp.done)
    throw new Error(
      `the rebuilt services did not read every record within ${CATCH_UP_LIMIT_MS / 60_000} min: ${caughtUp.behind.slice(0, 4).join('; ')}`,
    );
  const readSeconds = (Date.now() - startedAt) / 1000;
  const allSeconds = (Date.now() - began) / 1000;
  return {
    detail:
      `${consumers.length} services stopped; ${dropped.length} Postgres schemas dropped (${dropped.join(', ')}), Redis flushed, ${groups.length} consumer groups deleted; ` +
      `${records} records read from the beginning into empty state: lag 0 on every topic ${readSeconds.toFixed(1)} s after the restart (${allSeconds.toFixed(1)} s in all)`,
    numbers: {
      recordsRead: records,
      secondsToLagZero: Math.round(readSeconds * 10) / 10,
      secondsInAll: Math.round(allSeconds * 10) / 10,
      schemasDropped: dropped.length,
      groupsDeleted: groups.length,
    },
  };
}

/** Deletes the groups once their members are gone (a stopped service's member leaves as it stops). */
async function deleteGroups(admin: Admin, groups: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const described = (await admin.describeGroups(groups)).groups;
    const busy = described.filter((g) => g.members.length > 0).map((g) => `${g.groupId} (${g.members.length} members)`);
    if (busy.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(`consumer groups still have members after their services stopped: ${busy.join(', ')}`);
    await sleep(500);
  }
  await admin.deleteGroups(groups);
}

/** Drops each schema with everything in it (its migrations' bookkeeping too); answers the ones that existed. */
async function dropSchemas(databaseUrl: string, schemas: string[]): Promise<string[]> {
  const pool = createPool(databaseUrl, 1);
  try {
    const existing = (
      await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [schemas])
    ).rows.map((r) => r.nspname);
    const missing = schemas.filter((s) => !existing.includes(s));
    if (missing.length > 0)
      throw new Error(`schemas the services' configuration names do not exist: ${missing.join(', ')}`);
    for (const schema of existing) await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    return existing;
  } finally {
    await pool.end();
  }
}

/**
 * Every group has committed up to the end of every partition of every topic it read before (a partition it has
 * committed nothing for counts from its first offset), twice in a row with those ends standing still.
 */
async function waitForEveryRecord(
  admin: Admin,
  topicsOf: Map<string, string[]>,
  stillGrowing: ReadonlySet<string>,
  deadlineMs: number,
): Promise<{ done: boolean; behind: string[] }> {
  let previousEnds: string | undefined;
  for (;;) {
    const behind: string[] = [];
    const ends: string[] = [];
    for (const [group, topics] of topicsOf) {
      if (topics.length === 0) continue;
      const lags = await consumerLag(admin, group, topics).catch((error: unknown) => {
        behind.push(`${group}: lag unreadable (${error instanceof Error ? error.message : String(error)})`);
        return [];
      });
      for (const p of lags) {
        if (p.lag > 0) behind.push(`${group}: ${p.topic}[${p.partition}] lag ${p.lag}`);
        if (!stillGrowing.has(p.topic)) ends.push(`${p.topic}/${p.partition}=${p.end}`);
      }
    }
    const signature = ends.sort().join(',');
    if (behind.length === 0 && signature === previousEnds) return { done: true, behind };
    previousEnds = behind.length === 0 ? signature : undefined;
    if (Date.now() > deadlineMs) return { done: false, behind };
    await sleep(1000);
  }
}
