/**
 * Real data for the abuse phase to go after, made through the public API with the full key, so a leak would
 * show something: a wallet with transactions in each of two tenants (`tenant-a:` the tenant key must never
 * see, `tenant-b:` the one it serves), and a queue in each with tickets joined, two of them admitted (active,
 * with an admission token) and the rest waiting.
 */
import { OTHER_TENANT_PREFIX, TENANT_PREFIX } from './credentials.js';
import { call, sleep, type Outcome } from './http.js';

export interface JoinedTicket {
  queueId: string;
  userId: string;
  source: string;
  seq: number;
  ticketId: string;
  ticketSecret: string;
}

export interface AdmittedTicket extends JoinedTicket {
  admissionToken: string;
  expiresAt: number;
}

export interface QueueData {
  queueId: string;
  /** In join order. */
  tickets: JoinedTicket[];
  /** The first `capacity`, once the admitter admitted them. */
  admitted: AdmittedTicket[];
}

export interface WalletData {
  userId: string;
  /** The ids of its transactions (`source:seq`), all applied or rejected by the ledger. */
  transactionIds: string[];
  /** A pending hold on it (`source:seq`), for the hold read. */
  holdId: string;
}

export interface AbuseData {
  /** The other tenant's: what the tenant key must be refused. */
  wallet: WalletData;
  /** The tenant key's own. */
  tenantWallet: WalletData;
  queue: QueueData;
  tenantQueue: QueueData;
}

export const QUEUE_CAPACITY = 2;
const JOINS_PER_QUEUE = 6;
const SETUP_TIMEOUT_MS = 90_000;

export class SetupError extends Error {
  constructor(what: string, outcome?: Outcome) {
    super(`abuse setup: ${what}${outcome ? ` (HTTP ${outcome.status}: ${outcome.text.slice(0, 200)})` : ''}`);
    this.name = 'SetupError';
  }
}

export async function setUpAbuseData(gatewayUrl: string, fullKey: string, tag: string): Promise<AbuseData> {
  const authorization = `Bearer ${fullKey}`;
  const post = async (target: string, body: unknown, method = 'POST') => {
    for (let attempt = 0; ; attempt++) {
      const outcome = await call(gatewayUrl, { method, target, authorization, body });
      if (typeof outcome.status === 'number' && outcome.status < 300)
        return JSON.parse(outcome.text || '{}') as Record<string, unknown>;
      if (attempt >= 10 || (typeof outcome.status === 'number' && outcome.status < 500 && outcome.status !== 429))
        throw new SetupError(`${method} ${target}`, outcome);
      await sleep(500);
    }
  };
  const source = `${tag}.abuse`;
  let seq = 0;

  const wallet = async (userId: string): Promise<WalletData> => {
    const transactionIds: string[] = [];
    for (const [type, amount] of [
      ['credit', '10.00'],
      ['credit', '2.50'],
      ['debit', '1.25'],
      ['debit', '999.00'],
    ] as const) {
      const s = seq++;
      await post(`/v1/wallets/${encodeURIComponent(userId)}/transactions`, {
        source,
        seq: s,
        type,
        asset: 'coins',
        amount,
      });
      transactionIds.push(`${source}:${s}`);
    }
    const h = seq++;
    await post(`/v1/wallets/${encodeURIComponent(userId)}/holds`, {
      source,
      seq: h,
      asset: 'coins',
      amount: '1.00',
      timeoutSeconds: 86_400,
    });
    return { userId, transactionIds, holdId: `${source}:${h}` };
  };

  const queue = async (queueId: string): Promise<QueueData> => {
    await post(`/v1/queues/${encodeURIComponent(queueId)}`, { capacity: QUEUE_CAPACITY, activeSeconds: 3600 }, 'PUT');
    const tickets: JoinedTicket[] = [];
    for (let i = 0; i < JOINS_PER_QUEUE; i++) {
      const join = { source, seq: seq++, userId: `${queueId}-fan-${i}` };
      const answer = await post(`/v1/queues/${encodeURIComponent(queueId)}/tickets`, join);
      const { ticketId, ticketSecret } = answer;
      if (typeof ticketId !== 'string' || typeof ticketSecret !== 'string')
        throw new SetupError(`the join answered no ticketId and ticketSecret: ${JSON.stringify(answer)}`);
      tickets.push({ queueId, ...join, ticketId, ticketSecret });
    }
    return { queueId, tickets, admitted: [] };
  };

  const data: AbuseData = {
    wallet: await wallet(`${OTHER_TENANT_PREFIX}${tag}-alice`),
    tenantWallet: await wallet(`${TENANT_PREFIX}${tag}-bob`),
    queue: await queue(`${OTHER_TENANT_PREFIX}${tag}-queue`),
    tenantQueue: await queue(`${TENANT_PREFIX}${tag}-queue`),
  };

  // until the ledger has every transaction and the admitter has admitted the first of each queue
  const deadline = Date.now() + SETUP_TIMEOUT_MS;
  for (const w of [data.wallet, data.tenantWallet]) {
    for (;;) {
      const read = await call(gatewayUrl, {
        method: 'GET',
        target: `/v1/wallets/${encodeURIComponent(w.userId)}/transactions?limit=100`,
        authorization,
      });
      const seen =
        read.status === 200
          ? (JSON.parse(read.text) as { transactions: { id: string }[] }).transactions.map((t) => t.id)
          : [];
      const hold = await call(gatewayUrl, {
        method: 'GET',
        target: `/v1/wallets/${encodeURIComponent(w.userId)}/holds/${encodeURIComponent(w.holdId)}`,
        authorization,
      });
      if (w.transactionIds.every((id) => seen.includes(id)) && hold.status === 200) break;
      if (Date.now() > deadline)
        throw new SetupError(
          `the ledger did not show ${w.userId}'s ${w.transactionIds.length} transactions in time`,
          read,
        );
      await sleep(250);
    }
  }
  for (const q of [data.queue, data.tenantQueue]) q.admitted = await admitted(gatewayUrl, authorization, q, deadline);
  return data;
}

/** The first QUEUE_CAPACITY tickets once active, with their tokens; every other ticket known to the admitter. */
async function admitted(
  gatewayUrl: string,
  authorization: string,
  queue: QueueData,
  deadline: number,
): Promise<AdmittedTicket[]> {
  for (;;) {
    const reads = await Promise.all(
      queue.tickets.map(async (t) => {
        const read = await call(gatewayUrl, {
          method: 'GET',
          target: `/v1/queues/${encodeURIComponent(queue.queueId)}/tickets/${t.ticketId}`,
          authorization,
        });
        return {
          ticket: t,
          read,
          view:
            read.status === 200
              ? (JSON.parse(read.text) as { status: string; admissionToken?: string; expiresAt?: number })
              : undefined,
        };
      }),
    );
    const active = reads.filter((r) => r.view?.status === 'active' && r.view.admissionToken);
    if (active.length === QUEUE_CAPACITY && reads.every((r) => r.view)) {
      return active.map((r) => ({
        ...r.ticket,
        admissionToken: r.view!.admissionToken!,
        expiresAt: r.view!.expiresAt ?? 0,
      }));
    }
    if (Date.now() > deadline)
      throw new SetupError(
        `queue ${queue.queueId}: ${active.length} of ${QUEUE_CAPACITY} tickets admitted in time`,
        reads.find((r) => !r.view)?.read,
      );
    await sleep(250);
  }
}
