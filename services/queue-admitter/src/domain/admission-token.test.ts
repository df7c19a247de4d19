import { describe, expect, it } from 'vitest';
import { signAdmission, verifyAdmission } from './admission-token.js';

const secret = 'a-test-secret-of-enough-length-0123456789';
const claims = { queueId: 'concert', ticketId: 't1', userId: 'u1', expiresAtMs: 1_800_000_000_000 };
const now = 1_799_999_000_000;

describe('admission tokens', () => {
  it('verifies a token it signed', () => {
    expect(verifyAdmission(secret, signAdmission(secret, claims), 'concert', now)).toEqual({ valid: true, claims });
  });

  it('refuses a token signed with another secret (forged)', () => {
    expect(verifyAdmission(secret, signAdmission('someone-elses-secret-0123456789abcdef', claims), 'concert', now)).toEqual({ valid: false, reason: 'bad_signature' });
  });

  it('refuses an altered token: another user, a later expiry', () => {
    const [header, , sig] = signAdmission(secret, claims).split('.');
    for (const change of [{ sub: 'u2' }, { exp: 1_900_000_000 }]) {
      const payload = Buffer.from(JSON.stringify({ sub: 'u1', queue: 'concert', ticket: 't1', exp: 1_800_000_000, ...change })).toString('base64url');
      expect(verifyAdmission(secret, `${header}.${payload}.${sig}`, 'concert', now)).toEqual({ valid: false, reason: 'bad_signature' });
    }
  });

  it('refuses an expired token, a token of another queue, and garbage', () => {
    const token = signAdmission(secret, claims);
    expect(verifyAdmission(secret, token, 'concert', claims.expiresAtMs)).toEqual({ valid: false, reason: 'expired' });
    expect(verifyAdmission(secret, token, 'other', now)).toEqual({ valid: false, reason: 'other_queue' });
    for (const garbage of ['', 'a.b', 'a.b.c', `${token}x`, token.replace(/^[^.]+/, 'eyJhbGciOiJub25lIn0')]) {
      expect(verifyAdmission(secret, garbage, 'concert', now).valid).toBe(false);
    }
  });
});
