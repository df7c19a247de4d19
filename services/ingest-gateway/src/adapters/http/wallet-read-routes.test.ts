/**
 * The wallet reads pass the ledger's answers through as they are, whatever fields it adds (available, held, a
 * transaction's type, conflicts, ...): a stand-in owner on a local port answers, and the gateway relays.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, keys } from '../../test-support/keys.js';
import { injectCall, unitGateway } from '../../test-support/unit-gateway.js';

/** What the stand-in ledger answers, by path: JSON text, relayed byte for byte. */
const answers: Record<string, string> = {
  '/v1/wallets/u1': JSON.stringify({
    userId: 'u1',
    balances: { KRW: '5000', points: '12.34' },
    available: { KRW: '3000', points: '12.34' },
    held: { KRW: '2000', points: '0.00' },
    asOf: 1,
  }),
  '/v1/wallets/u1/transactions?limit=20': JSON.stringify({
    userId: 'u1',
    transactions: [
      {
        id: 'p2p:1',
        type: 'transfer',
        asset: 'KRW',
        amount: '500',
        status: 'applied',
        to: 'u2',
        leg: 'debit',
        balanceAfter: '5000',
        heldAfter: '2000',
        availableAfter: '3000',
        conflicts: [{ reason: 'id_reused_with_different_amount', field: 'amount', at: 2 }],
        somethingNew: { nested: true },
        at: 1,
      },
    ],
  }),
  '/v1/wallets/u1/holds/ride:1': JSON.stringify({
    userId: 'u1',
    id: 'ride:1',
    asset: 'KRW',
    amount: '2000',
    captured: '500',
    status: 'captured',
    to: 'driver',
    expiresAt: 9,
    at: 1,
    reason: 'fare',
    extra: 'kept',
  }),
};

let owner: Server;
let app: FastifyInstance;
const asked: string[] = [];

beforeAll(async () => {
  owner = createServer((request, response) => {
    // the path's ids arrive percent-encoded (ride%3A1), as any server decodes them
    const url = decodeURIComponent(request.url ?? '');
    asked.push(url);
    const body = answers[url];
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    response.end(body ?? JSON.stringify({ error: 'not_found', message: 'no such thing (yet)', details: [] }));
  });
  await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve));
  const { port } = owner.address() as AddressInfo;
  app = await unitGateway(
    Object.values(keys),
    {},
    { walletLedger: { baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 } },
  );
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => owner?.close(resolve));
});

const read = (path: string) => injectCall(app, 'GET', path, { headers: bearer(keys.reader) });

describe('wallet reads', () => {
  it.each(Object.keys(answers))('%s is relayed whole, every field the ledger sends kept', async (path) => {
    const answer = await read(path.replace('?limit=20', ''));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(JSON.parse(answers[path]!));
  });

  it('asks the ledger for the hold under its own path, and relays its 404 while it has not seen it', async () => {
    const answer = await read('/v1/wallets/u1/holds/ride:2');
    expect(answer.status).toBe(404);
    expect(asked).toContain('/v1/wallets/u1/holds/ride:2');
  });

  it('refuses a hold id that is no write id, before asking', async () => {
    const before = asked.length;
    const answer = await read('/v1/wallets/u1/holds/ride:007');
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([
      {
        field: 'params.holdId',
        message: 'must be written as the write was answered, without leading zeros in the seq',
      },
    ]);
    expect(asked).toHaveLength(before);
  });
});
