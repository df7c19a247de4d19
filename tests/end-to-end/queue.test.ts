/**
 * The waiting queue end to end, as deployed: ingest-gateway and queue-admitter as their own processes; clients
 * join, poll their place and get admitted through the gateway only, and a booking service checks the token.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTopicsWithSchemas, freePort, stackEnvironment, startServiceProcess, uniqueName, type ServiceProcess } from '@tally/testkit';

const stack = inject('stack');
const run = uniqueName('e2e-queue');
const topics = { commands: `test.${run}.queue-commands`, events: `test.${run}.queue-events`, deadLetters: `test.${run}.dead-letters` };
const apiKey = { key: 'e2e-queue-key-0123456789abcdef', name: 'e2e-queue', scopes: ['queues:write', 'queues:admin'] };
const running: ServiceProcess[] = [];
let gateway: ServiceProcess;

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.commands, partitions: 4, schema: 'tally.queue.QueueCommand' },
    { name: topics.events, partitions: 2, schema: 'tally.queue.QueueEvent' },
    { name: topics.deadLetters, partitions: 1, schema: 'tally.platform.DeadLetter' },
  ]);
  const admitterPort = await freePort();
  running.push(
    await startServiceProcess('queue-admitter', {
      ...stackEnvironment(stack),
      PORT: String(admitterPort),
      CONSUMER_GROUP: `${run}-admitter`,
      QUEUE_COMMANDS_TOPIC: topics.commands,
      QUEUE_EVENTS_TOPIC: topics.events,
      DLQ_TOPIC: topics.deadLetters,
      REDIS_PREFIX: `test:${run}`,
      DB_SCHEMA: run.replace(/[^a-z0-9]/g, '_'),
      ADMISSION_TICK_MS: '50',
    }),
  );
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    QUEUE_COMMANDS_TOPIC: topics.commands,
    QUEUE_ADMITTER_URL: `http://127.0.0.1:${admitterPort}`,
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
});

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface TicketView {
  ticketId: string;
  status: string;
  position: number;
  admissionToken?: string;
}

describe('the waiting queue through the gateway', () => {
  it('configure, join, poll the place in line, get admitted, verify the token, complete', async () => {
    expect((await call('PUT', '/v1/queues/concert', { capacity: 2, activeSeconds: 120 })).status).toBe(202);
    const tickets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const joined = await call<{ ticketId: string }>('POST', '/v1/queues/concert/tickets', { source: `fan-app-${i}`, seq: 1, userId: `fan-${i}` });
      expect(joined.status).toBe(202);
      tickets.push(joined.body.ticketId);
    }
    const poll = (i: number) => call<TicketView>('GET', `/v1/queues/concert/tickets/${tickets[i]}`);
    await expect.poll(async () => (await poll(1)).body.status, { timeout: 20_000 }).toBe('active');
    expect((await poll(2)).body).toMatchObject({ status: 'waiting', position: 0 });
    expect((await poll(4)).body).toMatchObject({ status: 'waiting', position: 2 });
    expect((await call('GET', '/v1/queues/concert')).body).toMatchObject({ waiting: 3, active: 2, capacity: 2, admittedTotal: 2 });

    const token = (await poll(0)).body.admissionToken!;
    expect((await call('POST', '/v1/queues/concert/admissions/verify', { token })).body).toMatchObject({ valid: true, ticketId: tickets[0], userId: 'fan-0' });
    expect((await call('POST', `/v1/queues/concert/tickets/${tickets[0]}/complete`)).status).toBe(202);
    await expect.poll(async () => (await poll(2)).body.status, { timeout: 20_000 }).toBe('active');
    expect((await poll(4)).body).toMatchObject({ status: 'waiting', position: 1 });
    expect((await call('POST', '/v1/queues/concert/admissions/verify', { token })).body).toMatchObject({ valid: false });
  });
});
