/**
 * The invariants of every product, checked exactly against what the workload got accepted, through the public
 * API of the gateway (and, for "every region serves the same result", each region's own vote service; for the
 * wallet, also the ledger's own invariants over its whole Postgres schema, as `tally ledger verify` checks
 * them). Called while the workload is paused: first every consumer group must have read everything (lag 0,
 * twice in a row with nothing new), then each product's checks are read until they all hold or the time is up,
 * since some state settles a moment after the commit (the queue admits on a timer, results travel region →
 * merger → regions). A lost or doubled count never settles into the right one, so waiting hides nothing.
 */
import type { FaultControls, FaultEnvironment } from './environment.js';
import type { InvariantResult } from './invariant-result.js';
import { schemaOf } from './rebuild.js';
import type { Workload } from './workload.js';
import { checkCounters } from './workload/check-counters.js';
import { checkLateTopic } from './workload/check-late.js';
import { checkLedgerVerify } from './workload/check-ledger.js';
import { checkQueue } from './workload/check-queue.js';
import { checkViewers } from './workload/check-viewers.js';
import { checkVotes } from './workload/check-votes.js';
import { checkWallet } from './workload/check-wallet.js';
import { Gateway } from './workload/gateway.js';
import { internalsOf } from './workload/internals.js';
import { seededRandom } from './workload/random.js';
import { consumedTopics, waitUntilQuiet, withAdmin, type Quiet } from './workload/settle.js';
import { groupsByProduct, PRODUCTS, type LoadStats, type Product } from './workload/stats.js';

export type { InvariantResult } from './invariant-result.js';

const DEFAULT_TIMEOUT_MS = 90_000;
/** However long catching up took, the reads get at least this long to settle. */
const MIN_SETTLE_READS_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function checkInvariants(
  env: FaultEnvironment & Pick<FaultControls, 'services'>,
  workload: Workload,
  options: { timeoutMs?: number } = {},
): Promise<InvariantResult[]> {
  const internals = internalsOf(workload);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const gateway = new Gateway(env.gatewayUrl, env.apiKey);
  const groups = groupsByProduct(env.consumerGroups);
  const walletSchema = ledgerSchema(env);
  return withAdmin(env.brokers, async (admin) => {
    // the keepers heartbeat on through the wait: their topic may grow, it only has to be read
    const heartbeatTopics = new Set(
      (await Promise.all((groups.get('viewers') ?? []).map((g) => consumedTopics(admin, g)))).flat(),
    );
    const quiet = await waitUntilQuiet(admin, [...groups.values()].flat(), deadline, heartbeatTopics);
    const results: InvariantResult[] = PRODUCTS.map((product) => lagVerdict(product, groups.get(product) ?? [], quiet));
    const readsUntil = Math.max(deadline, Date.now() + MIN_SETTLE_READS_MS);
    const random = seededRandom(`${Date.now()}`);
    const productOfGroup = (group: string) => [...groups].find(([, ids]) => ids.includes(group))?.[0];
    const late = (product: Product) =>
      checkLateTopic(internals.lateTopic, internals.late, internals.tag, product, productOfGroup);
    const checks: Record<Product, () => Promise<InvariantResult[]>> = {
      viewers: async () => [
        ...(await checkViewers(gateway, internals.viewers, internals.keepers, () =>
          waitUntilQuiet(admin, groups.get('viewers') ?? [], Date.now() + 15_000),
        )),
        await late('viewers'),
      ],
      counters: async () => [...(await checkCounters(gateway, internals.counters)), await late('counters')],
      wallet: async () => [
        ...(await checkWallet(gateway, internals.wallet, internals.repeatDisagreements.get('wallet') ?? [])),
        await checkLedgerVerify(env.databaseUrl, walletSchema),
      ],
      queue: () => checkQueue(gateway, internals.queue, random, internals.repeatDisagreements.get('queue') ?? []),
      votes: () => checkVotes(gateway, internals.votes, voteServers(env)),
    };
    for (const product of PRODUCTS) {
      const checked = await untilAllHold(checks[product], quiet.settled ? readsUntil : 0);
      results.push(...checked, acceptedVerdict(product, internals.stats));
      internals.countedAtLastCheck[product] = countedSummary(checked);
    }
    for (const once of internals.onceChecks.splice(0))
      results.push(...(await untilAllHold(once, quiet.settled ? readsUntil : 0)).map((r) => ({ ...r, once: true })));
    return results;
  });
}

/** The wallet ledger's Postgres schema, as its process reads its DB_SCHEMA (a rebuild drops and remakes the same one). */
const ledgerSchema = (env: Pick<FaultControls, 'services'>) => {
  const ledger = env.services.find((s) => s.spec.name === 'wallet-ledger');
  if (!ledger) throw new Error('no wallet-ledger in the fault environment');
  return schemaOf(ledger.spec);
};

/** Where each region's vote service (and the merger) answers, to see they all serve one result. */
const voteServers = (env: FaultEnvironment) =>
  Object.fromEntries(Object.entries(env.serviceUrls).filter(([name]) => name.startsWith('vote-')));

async function untilAllHold(check: () => Promise<InvariantResult[]>, untilMs: number): Promise<InvariantResult[]> {
  for (;;) {
    const results = await check();
    if (results.every((r) => r.ok) || Date.now() > untilMs) return results;
    await sleep(500);
  }
}

function lagVerdict(product: Product, groups: string[], quiet: Quiet): InvariantResult {
  const behind = groups.flatMap((g) => (quiet.behind.get(g) ?? []).map((p) => `${g}: ${p}`));
  return {
    product,
    invariant: 'every consumer group read everything sent (lag 0)',
    ok: groups.length > 0 && behind.length === 0 && quiet.settled,
    expected: `lag 0 for ${groups.join(', ') || 'its groups (none named by the environment)'}`,
    observed:
      behind.length === 0 && quiet.settled
        ? `lag 0 after ${(quiet.waitedMs / 1000).toFixed(1)} s`
        : `after ${(quiet.waitedMs / 1000).toFixed(1)} s: ${behind.slice(0, 4).join('; ') || 'topics still growing'}`,
  };
}

/**
 * Every write sent must have been accepted before the checks: one still pending (the gateway kept answering
 * 5xx through the whole pause) or refused with 4xx (the workload sent something the API refuses) voids them.
 */
function acceptedVerdict(product: Product, stats: LoadStats): InvariantResult {
  const examples = stats.refusals.filter((r) => r.startsWith(`${product}:`)).slice(0, 2);
  const pending = stats.pending()[product];
  return {
    product,
    invariant: 'the gateway accepted every write the workload sent (retried until 2xx, none refused)',
    ok: stats.refused[product] === 0 && pending === 0,
    expected: `${stats.sent[product]} accepted, 0 refused`,
    observed: `${stats.accepted[product]} accepted, ${stats.refused[product]} refused, ${pending} still not accepted${examples.length ? ` (${examples.join('; ')})` : ''}`,
  };
}

/** "Events counted" for the report: the observed side of every count the checks compared. */
function countedSummary(results: InvariantResult[]): string {
  return results
    .filter((r) => r.lost !== undefined)
    .map((r) => r.observed.split(';')[0])
    .join(', ');
}
