/**
 * How long an admission takes now that it is a record in the log (not a test: it prints numbers). Starts a
 * queue-admitter as its own process on per-run topics, group, schema and Redis prefix against the local stack
 * (or the TALLY_* variables), with the production tick (ADMISSION_TICK_MS=200, unless set), and sends joins to
 * a queue with free slots one at a time, at random moments of the tick. For each it polls Postgres every
 * millisecond and prints percentiles of:
 *   - decision → applied: from the ADMIT decision's time (its atMs, taken as the round read its view) to the
 *     ticket seen active: one produce and one consume round trip, plus the apply transaction;
 *   - join → applied: from sending the JOIN to its ticket waiting in Postgres;
 *   - join → admitted: from sending the JOIN to its ticket active (includes the wait for the next round).
 * The service also logs `decisions applied` with roundTripMs (record timestamp → applied) at LOG_LEVEL=debug.
 * Usage: node --import tsx services/queue-admitter/scripts/admission-latency.ts [--joins 200]
 */
import { localStack, startServiceProcess, stackFromEnvironment, type TestStack } from '@tally/testkit';
import { queueWorld, ticketIdOf } from '../test/fixtures/world.js';

const joinsArg = process.argv.indexOf('--joins');
const JOINS = joinsArg > 0 ? Number(process.argv[joinsArg + 1]) : 200;
const TICK_MS = process.env.ADMISSION_TICK_MS ?? '200';

function stack(): TestStack {
  return stackFromEnvironment() ?? localStack();
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted[sorted.length - 1]} ms (n=${sorted.length})`;
};

const world = await queueWorld(stack(), 'admission-latency');
const admitter = await startServiceProcess('queue-admitter', { ...world.environment(), ADMISSION_TICK_MS: TICK_MS });
const queueId = 'latency';
const decisionToApplied: number[] = [];
const joinToApplied: number[] = [];
const joinToAdmitted: number[] = [];
try {
  await world.send([world.configure(queueId, 100_000, 3600)]);
  await world.caughtUp();
  for (let i = 0; i < JOINS; i++) {
    await new Promise((r) => setTimeout(r, Math.random() * Number(TICK_MS)));
    const ticketId = ticketIdOf(i);
    const sentAt = Date.now();
    await world.send([world.join(queueId, ticketId, `user-${i}`)]);
    let appliedAt: number | undefined;
    for (;;) {
      const { rows } = await world.pool.query(
        `SELECT status, admitted_at_ms FROM ${world.schema}.tickets WHERE queue_id = $1 AND ticket_id = $2`,
        [queueId, ticketId],
      );
      const seenAt = Date.now();
      if (rows[0]) appliedAt ??= seenAt;
      if (rows[0]?.status === 'active') {
        joinToApplied.push(appliedAt! - sentAt);
        joinToAdmitted.push(seenAt - sentAt);
        decisionToApplied.push(seenAt - Number(rows[0].admitted_at_ms));
        break;
      }
      if (seenAt - sentAt > 30_000) throw new Error(`ticket ${ticketId} was not admitted within 30 s`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  console.log(`admission latency, ${JOINS} joins one at a time, ADMISSION_TICK_MS=${TICK_MS}`);
  console.log(`  decision → applied (produce + consume round trip): ${summary(decisionToApplied)}`);
  console.log(`  join → applied:                                    ${summary(joinToApplied)}`);
  console.log(`  join → admitted:                                   ${summary(joinToAdmitted)}`);
} finally {
  await admitter.stop('SIGTERM');
  await world.close();
}
