/**
 * Ticket ids must not be guessable. For every real join of the abuse data, the id the old scheme gave it
 * (`t_` + the first 24 hex digits of sha256(queueId \0 source \0 seq), no secret) and the id the public
 * development TICKET_KEY would give it are read with a full queues:read key: the admitter must know neither
 * (404), or the id could be computed by anyone who saw a join. Then random well-formed ids (`t_` + 32 hex):
 * with the full key nothing may be found (404), with a forged ticket secret or another ticket's real secret
 * every read must be refused (403).
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEVELOPMENT_TICKET_KEY, formatWriteKey, ticketFor } from '@tally/contracts';
import type { SuiteKeys } from './credentials.js';
import { call, forEachConcurrently } from './http.js';
import type { AbuseData, JoinedTicket } from './setup.js';
import { refusalVerdict, type AbuseTally } from './tally.js';

const CONCURRENCY = 16;

/** The id a join got before ticket ids were keyed: anyone could compute it from the join. */
export const unkeyedTicketId = (queueId: string, source: string, seq: number) =>
  `t_${createHash('sha256').update(`${queueId}\u0000${source}\u0000${seq}`, 'utf8').digest('hex').slice(0, 24)}`;

const ticketPath = (queueId: string, ticketId: string) =>
  `/v1/queues/${encodeURIComponent(queueId)}/tickets/${ticketId}`;
const randomTicketId = () => `t_${randomBytes(16).toString('hex')}`;
const forgedSecret = () => `ts_${randomBytes(32).toString('base64url')}`;

export async function attackTicketIds(
  gatewayUrl: string,
  keys: SuiteKeys,
  data: AbuseData,
  tally: AbuseTally,
  guesses: number,
): Promise<void> {
  const full = `Bearer ${keys.full}`;
  const joins: JoinedTicket[] = [...data.queue.tickets, ...data.tenantQueue.tickets];

  const derived = tally.category(
    'tickets',
    'ids computed from a join',
    `for each of ${joins.length} real joins: its id under the old unkeyed scheme, and under the public development TICKET_KEY, read with the full key`,
    '404',
  );
  for (const join of joins) {
    const candidates = [
      { scheme: 'unkeyed (old)', id: unkeyedTicketId(join.queueId, join.source, join.seq) },
      { scheme: 'development TICKET_KEY', id: ticketFor(DEVELOPMENT_TICKET_KEY, join.queueId, join).ticketId },
    ];
    for (const { scheme, id } of candidates) {
      const request = `GET ${ticketPath(join.queueId, id)} [${scheme} id of join ${formatWriteKey(join)}, full key]`;
      // the real id itself would be the join's own ticket: the scheme in use is the guessable one
      if (id === join.ticketId) {
        derived.record(
          request,
          'the real id',
          'leak',
          `the join's ticket id ${join.ticketId} is its ${scheme} id`,
          true,
        );
        continue;
      }
      const outcome = await call(gatewayUrl, {
        method: 'GET',
        target: ticketPath(join.queueId, id),
        authorization: full,
      });
      derived.record(
        request,
        outcome.status,
        outcome.status === 404 ? 'ok' : outcome.status === 200 ? 'leak' : 'unexpected',
        outcome.text,
        true,
      );
    }
  }

  const queues = [data.queue.queueId, data.tenantQueue.queueId];
  const guessed = Array.from({ length: guesses }, (_, i) => ({
    queueId: queues[i % queues.length]!,
    ticketId: randomTicketId(),
  }));
  const byKey = tally.category(
    'tickets',
    'random ids, full key',
    `${guesses} random well-formed ids (t_ + 32 hex) in the two queues, read with the full key (queues:read)`,
    '404',
  );
  await forEachConcurrently(guessed, CONCURRENCY, async ({ queueId, ticketId }) => {
    const outcome = await call(gatewayUrl, {
      method: 'GET',
      target: ticketPath(queueId, ticketId),
      authorization: full,
    });
    byKey.record(
      `GET ${ticketPath(queueId, ticketId)} [full key]`,
      outcome.status,
      outcome.status === 404 ? 'ok' : outcome.status === 200 ? 'leak' : 'unexpected',
      outcome.text,
      true,
    );
  });

  const bySecret = tally.category(
    'tickets',
    'random ids, forged secret',
    `the same ${guesses} ids, each with a forged ticket secret (ts_ + 43 base64url) and no key`,
    '403',
  );
  await forEachConcurrently(guessed, CONCURRENCY, async ({ queueId, ticketId }) => {
    const outcome = await call(gatewayUrl, {
      method: 'GET',
      target: ticketPath(queueId, ticketId),
      authorization: `Bearer ${forgedSecret()}`,
    });
    bySecret.record(
      `GET ${ticketPath(queueId, ticketId)} [forged secret]`,
      outcome.status,
      refusalVerdict(outcome.status, [403]),
      outcome.text,
      true,
    );
  });

  // a holder of one real ticket trying its secret on others: on random ids and on every real ticket of either queue
  const holder = data.queue.tickets.at(-1)!;
  const others = [...guessed.slice(0, Math.ceil(guesses / 10)), ...joins.filter((j) => j.ticketId !== holder.ticketId)];
  const byRealSecret = tally.category(
    'tickets',
    "another ticket's real secret",
    `one real ticket’s secret on ${others.length} other ids (${others.length - joins.length + 1} random, ${joins.length - 1} real tickets of both queues)`,
    '403',
  );
  await forEachConcurrently(others, CONCURRENCY, async ({ queueId, ticketId }) => {
    const outcome = await call(gatewayUrl, {
      method: 'GET',
      target: ticketPath(queueId, ticketId),
      authorization: `Bearer ${holder.ticketSecret}`,
    });
    byRealSecret.record(
      `GET ${ticketPath(queueId, ticketId)} [secret of ${holder.ticketId}]`,
      outcome.status,
      refusalVerdict(outcome.status, [403]),
      outcome.text,
      true,
    );
  });
}
