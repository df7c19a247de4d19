/**
 * The admission token: a JWT (HS256) saying which ticket of which user may enter which queue until when. The
 * server signs it when the ticket is admitted; a booking service checks it (the verify route) without asking
 * the queue, and a client cannot forge, alter or extend it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface AdmissionClaims {
  queueId: string;
  ticketId: string;
  userId: string;
  expiresAtMs: number;
}

export type Verification = { valid: true; claims: AdmissionClaims } | { valid: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'other_queue' };

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

function signature(secret: string, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

export function signAdmission(secret: string, claims: AdmissionClaims): string {
  const payload = base64url(JSON.stringify({ sub: claims.userId, queue: claims.queueId, ticket: claims.ticketId, exp: Math.floor(claims.expiresAtMs / 1000) }));
  const input = `${HEADER}.${payload}`;
  return `${input}.${signature(secret, input).toString('base64url')}`;
}

export function verifyAdmission(secret: string, token: string, queueId: string, nowMs: number): Verification {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) return { valid: false, reason: 'malformed' };
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = signature(secret, `${parts[0]}.${parts[1]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, reason: 'bad_signature' };
  let payload: { sub?: unknown; queue?: unknown; ticket?: unknown; exp?: unknown };
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof payload;
  } catch {
    return { valid: false, reason: 'malformed' };
  }
  if (typeof payload.sub !== 'string' || typeof payload.queue !== 'string' || typeof payload.ticket !== 'string' || typeof payload.exp !== 'number') {
    return { valid: false, reason: 'malformed' };
  }
  if (payload.queue !== queueId) return { valid: false, reason: 'other_queue' };
  const expiresAtMs = payload.exp * 1000;
  if (expiresAtMs <= nowMs) return { valid: false, reason: 'expired' };
  return { valid: true, claims: { queueId: payload.queue, ticketId: payload.ticket, userId: payload.sub, expiresAtMs } };
}
