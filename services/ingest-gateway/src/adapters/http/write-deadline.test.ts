/**
 * The one write deadline (WRITE_DEADLINE_MS), through app.inject and memory topics: producing and the `?wait=true`
 * wait share it, a write not acknowledged by then is 503, and a wait still open when the gateway closes ends at once.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingRecord } from '@tally/streaming';
import type { WalletCommand, WalletOutcome } from '@tally/schemas';
import type { RecordWriter } from '../../ports/record-writer.js';
import { bearer, json, keys } from '../../test-support/keys.js';
import { MemoryRecordWriter } from '../../test-support/memory-record-writer.js';
import { expectProblem } from '../../test-support/problem.js';
import { injectCall, unitGateway } from '../../test-support/unit-gateway.js';
import { OutcomeWaiters } from '../kafka/outcome-waiters.js';
import { withWriteDeadline } from './acknowledged-write.js';

const DEADLINE_MS = 500;
const credit = { source: 'shop', seq: 1, type: 'credit', asset: 'KRW', amount: '1.00' };
const headers = { ...json, ...bearer(keys.wallets) };

/** Acknowledges after `delayMs`, or fails when the deadline comes first, as the Kafka writer does. */
function slowWriter<T>(delayMs: number): RecordWriter<T> & { records: OutgoingRecord<T>[] } {
  const records: OutgoingRecord<T>[] = [];
  return {
    records,
    write: (written, deadline) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          records.push(...written);
          resolve();
        }, delayMs);
        deadline.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('no acknowledgement before the write deadline'));
        });
      }),
  };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A gateway ready to answer (its schemas compiled), so a request's time is the request's alone. */
async function walletGateway(
  walletCommands: RecordWriter<WalletCommand>,
  outcomes = new OutcomeWaiters<WalletOutcome>(),
  writeDeadlineMs = DEADLINE_MS,
): Promise<FastifyInstance> {
  app = await unitGateway(Object.values(keys), {}, { walletCommands, walletOutcomes: outcomes, writeDeadlineMs });
  await app.ready();
  return app;
}

const transact = (gateway: FastifyInstance, query = '?wait=true') =>
  injectCall(gateway, 'POST', `/v1/wallets/u/transactions${query}`, { headers, body: JSON.stringify(credit) });

describe('withWriteDeadline', () => {
  it('aborts the steps’ signal at the deadline, and not when they end before it', async () => {
    const late = await withWriteDeadline(
      20,
      (deadline) => new Promise((resolve) => deadline.addEventListener('abort', () => resolve(deadline.aborted))),
    );
    expect(late).toBe(true);
    let kept: AbortSignal | undefined;
    await withWriteDeadline(20, async (deadline) => void (kept = deadline));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(kept!.aborted).toBe(false);
  });
});

describe('one deadline on the write path', () => {
  it('answers 503 with Retry-After by the deadline when the write is not acknowledged, writing nothing', async () => {
    const writer = slowWriter<WalletCommand>(DEADLINE_MS * 10);
    const gateway = await walletGateway(writer);
    const started = Date.now();
    const answer = await transact(gateway, '');
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS * 5);
    expectProblem(answer, 503, 'unavailable');
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(writer.records).toEqual([]);
  });

  it('answers 503 when Kafka refuses, and cancels the ?wait=true wait at once', async () => {
    const writer = new MemoryRecordWriter<WalletCommand>();
    writer.refusing = true;
    const outcomes = new OutcomeWaiters<WalletOutcome>();
    expectProblem(await transact(await walletGateway(writer, outcomes)), 503, 'unavailable');
    expect(outcomes.size).toBe(0);
  });

  it('gives ?wait=true what is left of the deadline after the acknowledgement: pending at the deadline, not after it', async () => {
    const writer = slowWriter<WalletCommand>(DEADLINE_MS * 0.75);
    const gateway = await walletGateway(writer);
    const started = Date.now();
    const answer = await transact(gateway);
    const took = Date.now() - started;
    expect(answer).toMatchObject({ status: 202, body: { id: 'shop:1', status: 'pending' } });
    expect(writer.records).toHaveLength(1);
    expect(took).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
    // acknowledged at three quarters of the deadline: a wait of its own would have ended at one and three quarters
    expect(took).toBeLessThan(DEADLINE_MS * 1.4);
  });

  it('answers ?wait=true 200 with the outcome as soon as it is delivered', async () => {
    const outcomes = new OutcomeWaiters<WalletOutcome>();
    const writer = new MemoryRecordWriter<WalletCommand>();
    const gateway = await walletGateway(writer, outcomes);
    const answering = transact(gateway);
    await waitUntil(() => writer.records.length === 1);
    const outcome: WalletOutcome = {
      id: 'shop:1',
      userId: 'u',
      type: 'CREDIT',
      asset: 'KRW',
      amountMinor: 100,
      status: 'APPLIED',
      reason: null,
      balanceMinor: 100,
      appliedAtMs: 1,
      heldMinor: 0,
      conflict: false,
      member: null,
      to: null,
      holdId: null,
      expiresAtMs: null,
    };
    expect(outcomes.deliver('u', 'shop:1', outcome)).toBe(1);
    expect(await answering).toMatchObject({ status: 200, body: { id: 'shop:1', status: 'applied', balance: '1.00' } });
  });

  it('ends a wait still open when the gateway closes: 202 pending at once instead of at the deadline', async () => {
    const outcomes = new OutcomeWaiters<WalletOutcome>();
    const writer = new MemoryRecordWriter<WalletCommand>();
    const gateway = await walletGateway(writer, outcomes, 30_000);
    const answering = transact(gateway);
    await waitUntil(() => outcomes.size === 1);
    const closing = Date.now();
    await gateway.close();
    expect(await answering).toMatchObject({ status: 202, body: { id: 'shop:1', status: 'pending' } });
    expect(Date.now() - closing).toBeLessThan(2000);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
