/**
 * The admission token: a standard JWT (RFC 7519) signed with ES256, saying which ticket (`jti`) of which user
 * (`sub`) may enter which queue (`aud`) until when (`exp`), issued by `iss`. The admitter signs it when a client
 * reads its active ticket. A booking service checks it either here (POST .../admissions/verify, which also
 * knows whether the ticket ended) or offline with any JWT library against the public keys the admitter
 * publishes at /.well-known/jwks.json; verifying needs no secret, so a verifier cannot mint tokens.
 *
 * Only ES256 with a listed kid is accepted: `alg: none`, HS256 keyed with the public key, a kid nobody
 * configured, or any change to header or payload is `bad_signature`. Expiry is exact (no clock tolerance).
 */
import { SignJWT, errors, importJWK, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { publicJwk, type PublicJwk, type SigningJwk } from './signing-keys.js';

export interface AdmissionClaims {
  queueId: string;
  ticketId: string;
  userId: string;
  expiresAtMs: number;
}

export type RefusalReason = 'malformed' | 'bad_signature' | 'expired' | 'other_queue';
export type Verification = { valid: true; claims: AdmissionClaims } | { valid: false; reason: RefusalReason };

export const ALGORITHM = 'ES256';
export const TOKEN_TYPE = 'JWT';

export interface AdmissionTokens {
  /** Signs with the first configured key; `nowMs` is the `iat`. */
  sign(claims: AdmissionClaims, nowMs: number): Promise<string>;
  /** Checks signature (any configured key, by kid), issuer, queue (aud) and expiry at `nowMs`. */
  verify(token: string, queueId: string, nowMs: number): Promise<Verification>;
  /** The JWK Set verifiers fetch: every configured key's public half. */
  readonly jwks: { keys: PublicJwk[] };
}

/** Imports the keys once; the first one signs. */
export async function admissionTokens(keys: readonly SigningJwk[], issuer: string): Promise<AdmissionTokens> {
  if (keys.length === 0) throw new Error('admission tokens need at least one signing key');
  const imported = new Map<string, { publicKey: CryptoKey }>();
  for (const key of keys) {
    imported.set(key.kid, { publicKey: (await importJWK(publicJwk(key), ALGORITHM)) as CryptoKey });
  }
  const signer = keys[0]!;
  const signingKey = (await importJWK({ ...publicJwk(signer), d: signer.d }, ALGORITHM)) as CryptoKey;
  const jwks = { keys: keys.map(publicJwk) };

  return {
    jwks,
    sign: (claims, nowMs) =>
      new SignJWT({})
        .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: signer.kid })
        .setIssuer(issuer)
        .setSubject(claims.userId)
        .setAudience(claims.queueId)
        .setJti(claims.ticketId)
        .setIssuedAt(Math.floor(nowMs / 1000))
        .setExpirationTime(Math.floor(claims.expiresAtMs / 1000))
        .sign(signingKey),

    verify: async (token, queueId, nowMs) => {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          (header) => {
            const key = header.kid === undefined ? undefined : imported.get(header.kid);
            if (!key) throw new errors.JWKSNoMatchingKey('no configured key has this kid');
            return key.publicKey;
          },
          {
            algorithms: [ALGORITHM],
            typ: TOKEN_TYPE,
            issuer,
            audience: queueId,
            requiredClaims: ['sub', 'jti', 'exp'],
            currentDate: new Date(nowMs),
          },
        ));
      } catch (error) {
        return { valid: false, reason: refusal(error) };
      }
      const { sub, jti, exp } = payload;
      if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number')
        return { valid: false, reason: 'malformed' };
      return { valid: true, claims: { queueId, ticketId: jti, userId: sub, expiresAtMs: exp * 1000 } };
    },
  };
}

/** Why jose refused a token, in the verify route's words. Signature is checked before any claim. */
function refusal(error: unknown): RefusalReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'other_queue';
    // signed by one of our keys, but not as an admission token of this issuer
    if (error.claim === 'iss') return 'bad_signature';
    return 'malformed';
  }
  if (
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey
  )
    return 'bad_signature';
  return 'malformed';
}
