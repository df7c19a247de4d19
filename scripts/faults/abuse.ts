/**
 * The abuse phase of the fault suite: the running Tally attacked from outside, through HTTP only, and counted.
 *   access     every private route (from the OpenAPI document's `security`, and the console's stream) without the
 *              right credentials, on real data: no key, garbage and malformed keys, keys lacking the scope, the
 *              tenant key on another tenant, ticket secrets of other tickets (abuse/access.ts);
 *   tickets    ids computed from joins (the old unkeyed scheme, the public development key) and random ids, with a
 *              full key and with forged secrets (abuse/tickets.ts);
 *   tokens     admission tokens tampered with, at the verify route and offline with jose (abuse/tokens.ts);
 *   transport  connection and stream floods, slow clients, header floods, oversized and nested bodies, rate
 *              limits, on a second gateway with tight limits (abuse/transport.ts).
 * A leak (a request without the right credentials answered anything but 401/403/429, a forged token judged
 * valid, a guessed ticket found), a 5xx, a connection dropped where an answer was due, a failed control or a
 * limit not enforced is a finding; the run fails on any.
 * Usage: node --import tsx scripts/faults/abuse.ts [--quick]   (starts a fault environment of its own, no load)
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  startFaultEnvironment,
  type ExposedGatewayLimits,
  type FaultControls,
  type FaultEnvironment,
} from './environment.js';
import { loadRoutes } from './fuzz/openapi.js';
import { attackAccess } from './abuse/access.js';
import { call } from './abuse/http.js';
import { setUpAbuseData } from './abuse/setup.js';
import { AbuseTally, totalsOf, type AbuseCategory, type AbuseFinding, type AbuseTotals } from './abuse/tally.js';
import { attackTicketIds } from './abuse/tickets.js';
import { attackTokens } from './abuse/tokens.js';
import { attackTransport } from './abuse/transport.js';

export interface AbuseOptions {
  quick: boolean;
  log: (line: string) => void;
  /** Random ticket ids tried (default 10,000). */
  guesses?: number;
}

export interface AbuseReport {
  seconds: number;
  /** The limits of the gateway the transport attacks went to. */
  limits: ExposedGatewayLimits;
  /** The private routes attacked, as "GET /v1/wallets/{userId}". */
  routes: string[];
  categories: AbuseCategory[];
  totals: AbuseTotals;
  findings: AbuseFinding[];
  findingsOmitted: number;
  /** The phase could not run to its end (its setup failed, ...). */
  error?: string;
}

/** Tight enough to reach with a few hundred requests and connections; the defaults are 512, 100/s, 5,000/s and 10. */
export const EXPOSED_LIMITS: ExposedGatewayLimits = {
  connectionsPerAddress: 64,
  addressRatePerSecond: 100,
  keyRatePerSecond: 200,
  consoleStreamsPerKey: 3,
};

/** Whether a report shows anything wrong: the run fails on it. */
export const abuseFailed = (report: AbuseReport) => {
  const t = report.totals;
  return report.error !== undefined || t.leaks + t.serverErrors + t.dropped + t.controlsFailed + t.unexpected > 0;
};

export async function runAbuseSuite(
  env: FaultEnvironment & FaultControls,
  options: AbuseOptions,
): Promise<AbuseReport> {
  const started = Date.now();
  const tally = new AbuseTally();
  const { keys } = env.credentials;
  const guesses = options.guesses ?? 10_000;
  let routes: string[] = [];
  let error: string | undefined;
  const step = async (name: string, work: () => Promise<void>) => {
    const begun = Date.now();
    await work();
    options.log(`  abuse: ${name} done in ${((Date.now() - begun) / 1000).toFixed(1)} s`);
  };
  try {
    const documented = await loadRoutes(env.gatewayUrl);
    const data = await setUpAbuseData(env.gatewayUrl, keys.full, `abuse-${started.toString(36)}`);
    options.log(
      `  abuse: data set up (2 wallets, 2 queues with ${data.queue.tickets.length} tickets each, ${data.queue.admitted.length} admitted)`,
    );
    await step('access to private routes', async () => {
      routes = (await attackAccess(env.gatewayUrl, documented, keys, data, tally, 1)).routes;
    });
    await step(`ticket ids (${guesses} random)`, () => attackTicketIds(env.gatewayUrl, keys, data, tally, guesses));
    await step('admission tokens', () => attackTokens(env.gatewayUrl, env.credentials, data, tally));
    const exposed = await env.startExposedGateway(EXPOSED_LIMITS);
    try {
      await step('transport and limits', () =>
        attackTransport(
          exposed.url,
          {
            limits: EXPOSED_LIMITS,
            routes: documented,
            keys,
            data,
            slowClients: 8,
            floodRequests: options.quick ? 400 : 800,
          },
          tally,
          options.log,
        ),
      );
    } finally {
      await exposed.stop();
    }
    // after all that, the run's gateway must still be ready
    const ready = await call(env.gatewayUrl, { method: 'GET', target: '/readyz' });
    tally
      .category('transport', 'the gateway afterwards', 'GET /readyz of the run’s gateway after every attack', '200')
      .record('GET /readyz', ready.status, ready.status === 200 ? 'ok' : 'control', ready.text);
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
    options.log(`  abuse: stopped: ${error}`);
  }
  return {
    seconds: Math.round((Date.now() - started) / 100) / 10,
    limits: EXPOSED_LIMITS,
    routes,
    categories: tally.categories,
    totals: totalsOf(tally.categories),
    findings: tally.findings,
    findingsOmitted: tally.findingsOmitted,
    ...(error ? { error } : {}),
  };
}

export function printAbuseReport(report: AbuseReport, log: (line: string) => void): void {
  const t = report.totals;
  log(
    `abuse: ${t.tried} requests, connections and tokens in ${report.seconds} s over ${report.routes.length} private routes`,
  );
  log(
    `  leaks ${t.leaks} (private reads ${t.privateReadLeaks}), 5xx ${t.serverErrors}, dropped ${t.dropped}, controls failed ${t.controlsFailed}, unexpected ${t.unexpected}`,
  );
  log(`  refusals by status ${JSON.stringify(t.refusalsByStatus)}`);
  for (const c of report.categories) {
    const bad = c.leaks + c.serverErrors + c.dropped + c.controlsFailed + c.unexpected;
    log(
      `  ${bad > 0 ? 'FAILED' : 'ok    '} ${c.group}: ${c.name}: ${c.tried} → ${JSON.stringify(c.outcomes)}${c.numbers ? ` ${JSON.stringify(c.numbers)}` : ''}`,
    );
  }
  for (const f of report.findings) log(`  FINDING [${f.verdict}] ${f.category}: ${f.request} → ${f.answer}`);
  if (report.error) log(`  ERROR ${report.error}`);
}

const isMain = () => process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, guesses: { type: 'string' } },
  });
  const started = Date.now();
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const env = await startFaultEnvironment(log);
  try {
    const report = await runAbuseSuite(env, {
      quick: values.quick,
      log,
      ...(values.guesses ? { guesses: Number(values.guesses) } : {}),
    });
    printAbuseReport(report, log);
    console.log(JSON.stringify(report));
    if (abuseFailed(report)) process.exitCode = 1;
  } finally {
    await env.stop();
  }
}

if (isMain()) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
