import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NO_QUEUE_COMMAND_DETAILS } from '@tally/contracts';
import { TEST_TICKET_KEY, bearer, call, gatewayForThisFile, json, keys } from './fixtures/gateway.js';

const receivedAt = 1_750_000_000_000;
// a pinned clock, so receivedAtMs and the gateway's seqs can be checked exactly
const world = gatewayForThisFile('queue-writes', {}, () => receivedAt);

const send = (method: string, path: string, key: { key: string }, body?: unknown) =>
  call(world().base, method, path, {
    headers: { ...json, ...bearer(key) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/**
 * Computed here from the documented rule, not by the gateway's code: the secret is ts_ + base64url of
 * HMAC-SHA256(TICKET_KEY, "ticket" NUL queueId NUL source NUL seq); the id t_ + 32 hex of sha256(queueId NUL secret).
 */
const expectedSecret = (queueId: string, source: string, seq: number) =>
  `ts_${createHmac('sha256', TEST_TICKET_KEY).update(`ticket\u0000${queueId}\u0000${source}\u0000${seq}`).digest('base64url')}`;
const expectedTicket = (queueId: string, source: string, seq: number) =>
  `t_${createHash('sha256')
    .update(`${queueId}\u0000${expectedSecret(queueId, source, seq)}`)
    .digest('hex')
    .slice(0, 32)}`;

const nothing = NO_QUEUE_COMMAND_DETAILS;

/** The gateway's own seqs: the receipt time in microseconds, made strictly increasing. */
function expectGatewaySeqs(ids: string[], source: string): number[] {
  const seqs = ids.map((id) => {
    expect(id.startsWith(`${source}:`), id).toBe(true);
    return Number(id.slice(source.length + 1));
  });
  for (const [i, seq] of seqs.entries()) {
    expect(Number.isSafeInteger(seq)).toBe(true);
    expect(seq).toBeGreaterThanOrEqual(receivedAt * 1000);
    if (i > 0) expect(seq).toBeGreaterThan(seqs[i - 1]!);
  }
  return seqs;
}

describe('writing queue commands', () => {
  it('configure, join, leave and complete reach the topic keyed by queueId, in the order they were answered', async () => {
    const configured = await send('PUT', '/v1/queues/concert-1', keys.queueAdmin, {
      capacity: 100,
      activeSeconds: 180,
    });
    expect(configured.status).toBe(202);
    const joined = await send('POST', '/v1/queues/concert-1/tickets', keys.queues, {
      source: 'app:eu',
      seq: 1,
      userId: 'user@example',
    });
    const ticketId = expectedTicket('concert-1', 'app:eu', 1);
    expect(joined).toMatchObject({ status: 202, body: { id: 'app:eu:1', ticketId } });
    const completed = await send('POST', `/v1/queues/concert-1/tickets/${ticketId}/complete`, keys.queues, {});
    const left = await send('DELETE', `/v1/queues/concert-1/tickets/${ticketId}`, keys.queues);
    expect([completed.status, left.status]).toEqual([202, 202]);
    expectGatewaySeqs([configured.body.id as string], 'gateway.test-queue-admin');
    const [completeSeq, leaveSeq] = expectGatewaySeqs(
      [completed.body.id as string, left.body.id as string],
      'gateway.test-queues',
    );

    // acknowledged means already on the topic: read right away, no waiting for it to appear
    expect(await world().queueCommands.count()).toBe(4);
    const records = (await world().queueCommands.records()).filter((r) => r.key === 'concert-1');
    const configureSeq = Number((configured.body.id as string).split(':').pop());
    expect(records).toEqual([
      {
        key: 'concert-1',
        value: {
          ...nothing,
          source: 'gateway.test-queue-admin',
          seq: configureSeq,
          queueId: 'concert-1',
          kind: 'CONFIGURE',
          capacity: 100,
          activeSeconds: 180,
          paused: false,
          preQueueSeed: expect.stringMatching(/^[0-9a-f]{32}$/),
          receivedAtMs: receivedAt,
        },
      },
      {
        key: 'concert-1',
        value: {
          ...nothing,
          source: 'app:eu',
          seq: 1,
          queueId: 'concert-1',
          kind: 'JOIN',
          ticketId,
          userId: 'user@example',
          receivedAtMs: receivedAt,
        },
      },
      {
        key: 'concert-1',
        value: {
          ...nothing,
          source: 'gateway.test-queues',
          seq: completeSeq,
          queueId: 'concert-1',
          kind: 'COMPLETE',
          ticketId,
          receivedAtMs: receivedAt,
        },
      },
      {
        key: 'concert-1',
        value: {
          ...nothing,
          source: 'gateway.test-queues',
          seq: leaveSeq,
          queueId: 'concert-1',
          kind: 'LEAVE',
          ticketId,
          receivedAtMs: receivedAt,
        },
      },
    ]);
  });

  it('answers a retried join with the same ticket, and a join by another (source, seq) with another', async () => {
    const join = { source: 'app', seq: 7, userId: 'u1' };
    const first = await send('POST', '/v1/queues/q-retry/tickets', keys.queues, join);
    const retried = await send('POST', '/v1/queues/q-retry/tickets', keys.queues, join);
    const other = await send('POST', '/v1/queues/q-retry/tickets', keys.queues, { ...join, seq: 8 });
    expect(first).toMatchObject({
      status: 202,
      body: {
        id: 'app:7',
        ticketId: expectedTicket('q-retry', 'app', 7),
        ticketSecret: expectedSecret('q-retry', 'app', 7),
      },
    });
    expect(retried.body).toEqual(first.body);
    expect(other.body).toEqual({
      id: 'app:8',
      ticketId: expectedTicket('q-retry', 'app', 8),
      ticketSecret: expectedSecret('q-retry', 'app', 8),
    });
    // both copies reach the topic; the admitter sees one ticket twice, which changes nothing the second time
    const joins = (await world().queueCommands.records())
      .filter((r) => r.key === 'q-retry')
      .map((r) => r.value.ticketId);
    expect(joins).toEqual([first.body.ticketId, first.body.ticketId, other.body.ticketId]);
  });

  it('takes leave and complete with no body, an empty JSON body or {}, and names each write anew', async () => {
    const ticket = expectedTicket('q-empty', 'app', 1);
    const path = `/v1/queues/q-empty/tickets/${ticket}`;
    const answers = [
      await call(world().base, 'DELETE', path, { headers: bearer(keys.queues) }),
      await call(world().base, 'DELETE', path, { headers: { ...json, ...bearer(keys.queues) }, body: '' }),
      await call(world().base, 'DELETE', path, { headers: { ...json, ...bearer(keys.queues) }, body: '{}' }),
      await call(world().base, 'POST', `${path}/complete`, { headers: bearer(keys.queues) }),
      await call(world().base, 'POST', `${path}/complete`, { headers: { ...json, ...bearer(keys.queues) }, body: '' }),
      await call(world().base, 'POST', `${path}/complete`, {
        headers: { ...json, ...bearer(keys.queues) },
        body: ' { } ',
      }),
    ];
    for (const answer of answers) expect(Object.keys(answer.body)).toEqual(['id']);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expectGatewaySeqs(
      answers.map((a) => a.body.id as string),
      'gateway.test-queues',
    );
    const kinds = (await world().queueCommands.records())
      .filter((r) => r.key === 'q-empty')
      .map((r) => [r.value.kind, r.value.ticketId]);
    expect(kinds).toEqual([...Array(3).fill(['LEAVE', ticket]), ...Array(3).fill(['COMPLETE', ticket])]);
  });

  it('writes nothing to the other topics', async () => {
    expect(await world().count()).toBe(0);
    expect(await world().itemEvents.count()).toBe(0);
    expect(await world().walletCommands.count()).toBe(0);
  });
});
