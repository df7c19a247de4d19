import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { admissionTokens } from './admission-token.js';
import { developmentSigningKey, publicJwk, type SigningJwk } from './signing-keys.js';

/** A fresh P-256 private JWK, as `pnpm tally admission-key` makes one. */
function newSigningKey(kid: string): SigningJwk {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d!, kid };
}

const oldKey = newSigningKey('2026-01');
const newKey = newSigningKey('2026-02');
const claims = {
  queueId: 'concert',
  ticketId: 't_0123456789abcdef01234567',
  userId: 'u1',
  expiresAtMs: 1_800_000_000_000,
};
const now = 1_799_999_000_000;
const issuer = 'tally';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('admission tokens (ES256 JWTs)', () => {
  it('verifies a token it signed, and the token is a standard JWT: header, claims, ES256 signature', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const token = await tokens.sign(claims, now);
    expect(await tokens.verify(token, 'concert', now)).toEqual({ valid: true, claims });

    const [header, payload, signature] = parts(token);
    expect(json(header)).toEqual({ alg: 'ES256', typ: 'JWT', kid: '2026-01' });
    expect(json(payload)).toEqual({
      iss: 'tally',
      sub: 'u1',
      aud: 'concert',
      jti: claims.ticketId,
      iat: now / 1000,
      exp: claims.expiresAtMs / 1000,
    });
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64); // r ‖ s, as JWS wants for ES256

    // any JWT library verifies it from the published keys alone
    const offline = await jwtVerify(token, createLocalJWKSet(tokens.jwks), {
      algorithms: ['ES256'],
      issuer,
      audience: 'concert',
      currentDate: new Date(now),
    });
    expect(offline.payload.sub).toBe('u1');
  });

  it('publishes every key, public halves only', async () => {
    const tokens = await admissionTokens([newKey, oldKey], issuer);
    expect(tokens.jwks).toEqual({ keys: [publicJwk(newKey), publicJwk(oldKey)] });
    for (const key of tokens.jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    expect(JSON.stringify(tokens.jwks)).not.toContain(newKey.d);
  });

  it('refuses a tampered payload or header: another user, a later expiry, another ticket, another kid', async () => {
    const tokens = await admissionTokens([oldKey, newKey], issuer);
    const [header, payload, signature] = parts(await tokens.sign(claims, now));
    for (const change of [{ sub: 'u2' }, { exp: 1_900_000_000 }, { jti: 't_ffffffffffffffffffffffff' }]) {
      expect(
        await tokens.verify(`${header}.${b64({ ...json(payload), ...change })}.${signature}`, 'concert', now),
      ).toEqual({ valid: false, reason: 'bad_signature' });
    }
    expect(
      await tokens.verify(`${b64({ ...json(header), kid: '2026-02' })}.${payload}.${signature}`, 'concert', now),
    ).toEqual({ valid: false, reason: 'bad_signature' });
  });

  it('refuses alg none (unsigned), with or without a signature part', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const [, payload, signature] = parts(await tokens.sign(claims, now));
    for (const header of [
      { alg: 'none', typ: 'JWT' },
      { alg: 'none', typ: 'JWT', kid: '2026-01' },
      { alg: 'NONE', kid: '2026-01' },
    ]) {
      expect(await tokens.verify(`${b64(header)}.${payload}.`, 'concert', now)).toEqual({
        valid: false,
        reason: 'bad_signature',
      });
      expect(await tokens.verify(`${b64(header)}.${payload}.${signature}`, 'concert', now)).toEqual({
        valid: false,
        reason: 'bad_signature',
      });
    }
  });

  it('refuses HS256 keyed with the public key (the algorithm confusion attack)', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const [, payload] = parts(await tokens.sign(claims, now));
    const header = b64({ alg: 'HS256', typ: 'JWT', kid: '2026-01' });
    const publicForms = [
      JSON.stringify(publicJwk(oldKey)),
      JSON.stringify(tokens.jwks),
      oldKey.x,
      Buffer.concat([Buffer.from([4]), Buffer.from(oldKey.x, 'base64url'), Buffer.from(oldKey.y, 'base64url')]),
    ];
    for (const secret of publicForms) {
      const mac = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      expect(await tokens.verify(`${header}.${payload}.${mac}`, 'concert', now)).toEqual({
        valid: false,
        reason: 'bad_signature',
      });
    }
  });

  it('refuses a token signed by a key nobody configured, or with no kid', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const stranger = await admissionTokens([newSigningKey('2026-01')], issuer); // same kid, other key
    expect(await tokens.verify(await stranger.sign(claims, now), 'concert', now)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
    const unknownKid = await admissionTokens([newSigningKey('someone-else')], issuer);
    expect(await tokens.verify(await unknownKid.sign(claims, now), 'concert', now)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
    const [header, payload, signature] = parts(await tokens.sign(claims, now));
    const { kid: _kid, ...withoutKid } = json(header);
    expect(await tokens.verify(`${b64(withoutKid)}.${payload}.${signature}`, 'concert', now)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('refuses an expired token: exp is exact, no tolerance', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const token = await tokens.sign(claims, now);
    expect((await tokens.verify(token, 'concert', claims.expiresAtMs - 1)).valid).toBe(true);
    expect(await tokens.verify(token, 'concert', claims.expiresAtMs)).toEqual({ valid: false, reason: 'expired' });
    expect(await tokens.verify(token, 'concert', claims.expiresAtMs + 3_600_000)).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it('refuses a token for another queue (audience), and one of another issuer', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    expect(await tokens.verify(await tokens.sign(claims, now), 'other', now)).toEqual({
      valid: false,
      reason: 'other_queue',
    });
    const otherIssuer = await admissionTokens([oldKey], 'someone-else');
    expect(await tokens.verify(await otherIssuer.sign(claims, now), 'concert', now)).toEqual({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a token our key signed that is not an admission token: another typ, claims missing', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const key = await importJWK({ ...publicJwk(oldKey), d: oldKey.d }, 'ES256');
    const sign = (typ: string, payload: Record<string, unknown>) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ, kid: oldKey.kid })
        .setIssuer(issuer)
        .setAudience('concert')
        .sign(key);
    const full = { sub: 'u1', jti: claims.ticketId, exp: claims.expiresAtMs / 1000 };
    expect((await tokens.verify(await sign('JWT', full), 'concert', now)).valid).toBe(true);
    expect(await tokens.verify(await sign('at+jwt', full), 'concert', now)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    for (const missing of ['sub', 'jti', 'exp'] as const) {
      const { [missing]: _gone, ...rest } = full;
      expect(await tokens.verify(await sign('JWT', rest), 'concert', now), missing).toEqual({
        valid: false,
        reason: 'malformed',
      });
    }
  });

  it('calls garbage malformed', async () => {
    const tokens = await admissionTokens([oldKey], issuer);
    const token = await tokens.sign(claims, now);
    for (const garbage of [
      '',
      'a',
      'a.b',
      'a.b.c',
      'a.b.c.d',
      `${token}.x`,
      `!!.${parts(token)[1]}.${parts(token)[2]}`,
    ]) {
      expect(await tokens.verify(garbage, 'concert', now), garbage).toEqual({ valid: false, reason: 'malformed' });
    }
  });

  describe('rotation', () => {
    it('a token of the old key verifies while the old key is listed, whichever key signs; refused once it is dropped', async () => {
      const before = await admissionTokens([oldKey], issuer);
      const token = await before.sign(claims, now);
      expect(decodeProtectedHeader(token).kid).toBe('2026-01');

      // 1. the new key appended: still signs with the old one, publishes both
      const appended = await admissionTokens([oldKey, newKey], issuer);
      expect(decodeProtectedHeader(await appended.sign(claims, now)).kid).toBe('2026-01');
      expect(appended.jwks.keys.map((k) => k.kid)).toEqual(['2026-01', '2026-02']);
      expect(await appended.verify(token, 'concert', now)).toEqual({ valid: true, claims });

      // 2. the new key first: new tokens carry its kid, the old token still verifies
      const moved = await admissionTokens([newKey, oldKey], issuer);
      const fresh = await moved.sign(claims, now);
      expect(decodeProtectedHeader(fresh).kid).toBe('2026-02');
      expect(await moved.verify(token, 'concert', now)).toEqual({ valid: true, claims });
      expect(await appended.verify(fresh, 'concert', now)).toEqual({ valid: true, claims }); // an instance not yet moved

      // 3. the old key dropped: its tokens are refused, the new ones verify
      const dropped = await admissionTokens([newKey], issuer);
      expect(await dropped.verify(token, 'concert', now)).toEqual({ valid: false, reason: 'bad_signature' });
      expect(await dropped.verify(fresh, 'concert', now)).toEqual({ valid: true, claims });
    });
  });

  it('the development key is the same everywhere, so instances and restarts agree', async () => {
    expect(developmentSigningKey()).toEqual(developmentSigningKey());
    const one = await admissionTokens([developmentSigningKey()], issuer);
    const other = await admissionTokens([developmentSigningKey()], issuer);
    expect(await other.verify(await one.sign(claims, now), 'concert', now)).toEqual({ valid: true, claims });
  });
});
