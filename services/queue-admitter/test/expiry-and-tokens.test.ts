/**
 * Slots come back: an admission that runs out expires, leaving or completing frees at once; and the admission
 * token is the proof of admission: forged, altered, expired or ended tokens are refused; it is a standard ES256
 * JWT that anyone verifies offline from the admitter's published keys; keys rotate without refusing a token.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEVELOPMENT_KID, developmentSigningKey } from '../src/domain/signing-keys.js';
import type { RunningAdmitter } from '../src/service.js';
import { TestClock } from '@tally/testkit';
import { getJson, queueWorld, ticketIdOf } from './fixtures/world.js';

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

const status = async (queue: string, n: number) =>
  (
    await getJson<{ status: string; admissionToken?: string; expiresAt?: number }>(
      base,
      `/v1/queues/${queue}/tickets/${ticketIdOf(n)}`,
    )
  ).body;
const until = async (probe: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition never came true');
};
const verify = (queue: string, token: string, at = base) =>
  getJson<{ valid: boolean; reason?: string; ticketId?: string; userId?: string; expiresAt?: number }>(
    at,
    `/v1/queues/${queue}/admissions/verify`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    },
  );

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
    const summary = (await getJson<{ waiting: number; active: number; admittedTotal: number }>(base, `/v1/queues/${q}`))
      .body;
    expect(summary).toMatchObject({ waiting: 0, active: 0, admittedTotal: 4 });
  });

  it('a second join of a user names the live ticket', async () => {
    const q = 'once';
    await world.send([
      world.configure(q, 1, 60),
      world.join(q, ticketIdOf(10), 'same-user'),
      world.join(q, ticketIdOf(11), 'same-user'),
    ]);
    await until(async () => (await status(q, 10)).status === 'active');
    expect(
      (await getJson<{ ticketId: string; status: string }>(base, `/v1/queues/${q}/tickets/${ticketIdOf(11)}`)).body,
    ).toMatchObject({ ticketId: ticketIdOf(10), status: 'active' });
  });

  it('accepts its own token, refuses forged, altered, expired and ended ones', async () => {
    const q = 'tokens';
    await world.send([world.configure(q, 1, 60), world.join(q, ticketIdOf(20), 'holder')]);
    await until(async () => (await status(q, 20)).status === 'active');
    const { admissionToken, expiresAt } = await status(q, 20);
    expect(decodeProtectedHeader(admissionToken!)).toEqual({ alg: 'ES256', typ: 'JWT', kid: DEVELOPMENT_KID });
    expect((await verify(q, admissionToken!)).body).toEqual({
      valid: true,
      ticketId: ticketIdOf(20),
      userId: 'holder',
      expiresAt,
    });

    const [header, payload, signature] = admissionToken!.split('.') as [string, string, string];
    const altered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'intruder' }),
    ).toString('base64url');
    expect((await verify(q, `${header}.${altered}.${signature}`)).body).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
    expect(
      (
        await verify(
          q,
          `${header}.${payload}.${Buffer.from('forged-signature-forged-signature').toString('base64url')}`,
        )
      ).body,
    ).toEqual({ valid: false, reason: 'bad_signature' });
    expect((await verify('another-queue', admissionToken!)).body).toEqual({ valid: false, reason: 'other_queue' });
    expect((await verify(q, 'not.a.token')).body).toEqual({ valid: false, reason: 'malformed' });
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: DEVELOPMENT_KID })).toString('base64url')}.${payload}.`;
    expect((await verify(q, unsigned)).body).toEqual({ valid: false, reason: 'bad_signature' });

    await world.send([world.complete(q, ticketIdOf(20))]);
    await until(async () => (await status(q, 20)).status === 'completed');
    expect((await verify(q, admissionToken!)).body).toEqual({ valid: false, reason: 'ended' });

    clock.nowMs += 3_600_000;
    expect((await verify(q, admissionToken!)).body).toEqual({ valid: false, reason: 'expired' });
  });

  it('publishes its public keys, and a standard JWT library verifies a real admission token offline with them', async () => {
    const q = 'offline';
    await world.send([world.configure(q, 1, 120), world.join(q, ticketIdOf(30), 'fan-30')]);
    await until(async () => (await status(q, 30)).status === 'active');
    const { admissionToken, expiresAt } = await status(q, 30);

    const response = await fetch(`${base}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const jwks = (await response.json()) as JSONWebKeySet;
    const development = developmentSigningKey();
    expect(jwks).toEqual({
      keys: [
        { kty: 'EC', crv: 'P-256', x: development.x, y: development.y, kid: DEVELOPMENT_KID, alg: 'ES256', use: 'sig' },
      ],
    });
    expect(JSON.stringify(jwks)).not.toContain(development.d);

    // offline: nothing but the JWK Set and jose, at the admitter's (test) clock
    const { payload, protectedHeader } = await jwtVerify(admissionToken!, createLocalJWKSet(jwks), {
      algorithms: ['ES256'],
      issuer: 'tally',
      audience: q,
      currentDate: new Date(clock.nowMs),
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: DEVELOPMENT_KID });
    expect(payload).toMatchObject({
      iss: 'tally',
      sub: 'fan-30',
      aud: q,
      jti: ticketIdOf(30),
      exp: Math.floor(expiresAt! / 1000),
    });
    expect(payload.exp! * 1000).toBeGreaterThan(clock.nowMs);
    expect(payload.exp! * 1000).toBeLessThanOrEqual(clock.nowMs + 120_000);
    await expect(
      jwtVerify(admissionToken!, createLocalJWKSet(jwks), {
        algorithms: ['ES256'],
        audience: 'another-queue',
        currentDate: new Date(clock.nowMs),
      }),
    ).rejects.toThrow(/aud/);
    await expect(
      jwtVerify(admissionToken!, createLocalJWKSet(jwks), {
        algorithms: ['ES256'],
        audience: q,
        currentDate: new Date(expiresAt! + 1000),
      }),
    ).rejects.toThrow(/exp/);
  });

  it('rotates keys: an instance with a new key first and the old one listed signs with the new one and still verifies the old tokens', async () => {
    const q = 'rotation';
    await world.send([world.configure(q, 1, 600), world.join(q, ticketIdOf(40), 'fan-40')]);
    await until(async () => (await status(q, 40)).status === 'active');
    const { admissionToken: oldToken } = await status(q, 40);

    const fresh = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const newKey = { kty: 'EC', crv: 'P-256', x: fresh.x, y: fresh.y, d: fresh.d, kid: 'rotated-1' };
    // a second deployment of the same log (its own group, schema and prefix), keys [new, old]
    const rotated = await world.start(clock.now, {
      ...world.followerEnvironment('rotated'),
      ADMISSION_SIGNING_KEYS: JSON.stringify([newKey, developmentSigningKey()]),
    });
    const rotatedBase = `http://127.0.0.1:${rotated.port}`;
    await world.caughtUp(`${world.group}-rotated`);
    const jwks = (await getJson<JSONWebKeySet>(rotatedBase, '/.well-known/jwks.json')).body;
    expect(jwks.keys.map((k) => k.kid)).toEqual(['rotated-1', DEVELOPMENT_KID]);
    expect(JSON.stringify(jwks)).not.toContain(fresh.d);

    let newToken = '';
    await until(async () => {
      newToken =
        (await getJson<{ admissionToken?: string }>(rotatedBase, `/v1/queues/${q}/tickets/${ticketIdOf(40)}`)).body
          .admissionToken ?? '';
      return newToken !== '';
    });
    expect(decodeProtectedHeader(newToken).kid).toBe('rotated-1');
    expect((await verify(q, oldToken!, rotatedBase)).body).toMatchObject({ valid: true, ticketId: ticketIdOf(40) });
    expect((await verify(q, newToken, rotatedBase)).body).toMatchObject({ valid: true, ticketId: ticketIdOf(40) });
    // the instance that only knows the old key refuses what the new key signed
    expect((await verify(q, newToken)).body).toEqual({ valid: false, reason: 'bad_signature' });
  });

  it('answers bad requests with 400 and the error shape, unknown tickets with 404', async () => {
    for (const [path, init] of [
      ['/v1/queues/a%20b', undefined],
      ['/v1/queues/q/tickets/not-a-ticket', undefined],
      [
        '/v1/queues/q/admissions/verify',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token": "a", "extra": 1}' },
      ],
    ] as const) {
      const { status: code, body } = await getJson<{ error: string }>(base, path, init as RequestInit | undefined);
      expect(code, path).toBe(400);
      expect(body.error).toBe('invalid_request');
    }
    expect((await getJson(base, `/v1/queues/q/tickets/${ticketIdOf(999)}`)).status).toBe(404);
  });
});
