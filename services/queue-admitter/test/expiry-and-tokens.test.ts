/**
 * Slots come back: an admission that runs out expires, leaving or completing frees at once; and the admission
 * token is the proof of admission: forged, altered, expired or ended tokens are refused.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningAdmitter } from '../src/service.js';
import { TestClock, getJson, queueWorld, ticketIdOf } from './fixtures/world.js';

const stack = inject('stack');
const clock = new TestClock(Date.UTC(2026, 10, 28, 20, 0, 0));
let world: Awaited<ReturnType<typeof queueWorld>>;
let service: RunningAdmitter;
let base: string;

beforeAll(async () => {
  world = await queueWorld(stack, 'expiry');
  service = await world.start(clock.now);
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await world?.close();
});

const status = async (queue: string, n: number) => (await getJson<{ status: string; admissionToken?: string; expiresAt?: number }>(base, `/v1/queues/${queue}/tickets/${ticketIdOf(n)}`)).body;
const until = async (probe: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition never came true');
};
const verify = (queue: string, token: string) =>
  getJson<{ valid: boolean; reason?: string; ticketId?: string; userId?: string }>(base, `/v1/queues/${queue}/admissions/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });

describe('expiry, leaving, completing, and tokens', () => {
  it('frees slots: by expiry after activeSeconds, at once by leave and complete', async () => {
    const q = 'small';
    await world.send([world.configure(q, 2, 60), ...[0, 1, 2, 3, 4].map((i) => world.join(q, ticketIdOf(i), `u${i}`))]);
    await until(async () => (await status(q, 1)).status === 'active');
    expect((await status(q, 2)).status).toBe('waiting');

    await world.send([world.complete(q, ticketIdOf(0))]);
    await until(async () => (await status(q, 2)).status === 'active');
    expect((await status(q, 0)).status).toBe('completed');

    await world.send([world.leave(q, ticketIdOf(2)), world.leave(q, ticketIdOf(4))]);
    await until(async () => (await status(q, 3)).status === 'active');
    expect([(await status(q, 2)).status, (await status(q, 4)).status]).toEqual(['left', 'left']);

    clock.nowMs += 61_000;
    await until(async () => (await status(q, 1)).status === 'expired' && (await status(q, 3)).status === 'expired');
    const summary = (await getJson<{ waiting: number; active: number; admittedTotal: number }>(base, `/v1/queues/${q}`)).body;
    expect(summary).toMatchObject({ waiting: 0, active: 0, admittedTotal: 4 });
  });

  it('a second join of a user names the live ticket', async () => {
    const q = 'once';
    await world.send([world.configure(q, 1, 60), world.join(q, ticketIdOf(10), 'same-user'), world.join(q, ticketIdOf(11), 'same-user')]);
    await until(async () => (await status(q, 10)).status === 'active');
    expect((await getJson<{ ticketId: string; status: string }>(base, `/v1/queues/${q}/tickets/${ticketIdOf(11)}`)).body).toMatchObject({ ticketId: ticketIdOf(10), status: 'active' });
  });

  it('accepts its own token, refuses forged, altered, expired and ended ones', async () => {
    const q = 'tokens';
    await world.send([world.configure(q, 1, 60), world.join(q, ticketIdOf(20), 'holder')]);
    await until(async () => (await status(q, 20)).status === 'active');
    const { admissionToken } = await status(q, 20);
    expect((await verify(q, admissionToken!)).body).toMatchObject({ valid: true, ticketId: ticketIdOf(20), userId: 'holder' });

    const [header, payload, signature] = admissionToken!.split('.') as [string, string, string];
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'intruder' })).toString('base64url');
    expect((await verify(q, `${header}.${altered}.${signature}`)).body).toEqual({ valid: false, reason: 'bad_signature' });
    expect((await verify(q, `${header}.${payload}.${Buffer.from('forged-signature-forged-signature').toString('base64url')}`)).body).toEqual({ valid: false, reason: 'bad_signature' });
    expect((await verify('another-queue', admissionToken!)).body).toEqual({ valid: false, reason: 'other_queue' });
    expect((await verify(q, 'not.a.token')).body.valid).toBe(false);

    await world.send([world.complete(q, ticketIdOf(20))]);
    await until(async () => (await status(q, 20)).status === 'completed');
    expect((await verify(q, admissionToken!)).body).toEqual({ valid: false, reason: 'ended' });

    clock.nowMs += 3_600_000;
    expect((await verify(q, admissionToken!)).body).toEqual({ valid: false, reason: 'expired' });
  });

  it('answers bad requests with 400 and the error shape, unknown tickets with 404', async () => {
    for (const [path, init] of [
      ['/v1/queues/a%20b', undefined],
      ['/v1/queues/q/tickets/not-a-ticket', undefined],
      ['/v1/queues/q/admissions/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token": "a", "extra": 1}' }],
    ] as const) {
      const { status: code, body } = await getJson<{ error: string }>(base, path, init as RequestInit | undefined);
      expect(code, path).toBe(400);
      expect(body.error).toBe('invalid_request');
    }
    expect((await getJson(base, `/v1/queues/q/tickets/${ticketIdOf(999)}`)).status).toBe(404);
  });
});
