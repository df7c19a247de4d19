/**
 * Admission tokens, tampered with every way a client holding a real one could try, each checked twice: at the
 * verify route (POST /v1/queues/{q}/admissions/verify, no key) and offline, with jose against the JWKS the gateway
 * publishes (/.well-known/jwks.json), configured as a booking site would (issuer and the queue as audience):
 *   alg none (every spelling, with and without the signature), an alg switch to HMAC keyed with the public key
 *   (its JWK, PEM, DER, raw point, x), the payload changed under the kept signature (sub, aud, exp, jti, iss, the
 *   kid), expired (signed with the run's own key, as a thief of an old token holds it), a real token of one
 *   queue at another, a fresh key under the real kid, unknown kids, a key embedded in the header (jwk, jku).
 * Every one must be refused; the real tokens must verify (the controls). A token whose ticket has left is void at
 * the verify route (offline, only its exp bounds it: a site that must know checks the route).
 */
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import type { PrivateEcJwk, SuiteCredentials } from './credentials.js';
import { newEcJwk } from './credentials.js';
import { call, sleep, type Outcome } from './http.js';
import * as jose from 'jose';
import type { AbuseData, AdmittedTicket } from './setup.js';
import type { AbuseTally, CategoryCounter } from './tally.js';

interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  kid?: string;
  alg?: string;
  use?: string;
  d?: string;
}

interface Forged {
  /** What was done to it. */
  label: string;
  token: string;
  /** The queue it is shown at (verify route) and expected for (offline audience). */
  queueId: string;
  /** The verify route's reasons that fit; undefined: any refusal. */
  reasons?: string[];
  /** Checked at the verify route only (the offline check cannot know, e.g. that the ticket ended). */
  routeOnly?: boolean;
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

function partsOf(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
} {
  const [header, payload, signature] = token.split('.');
  return { header: decode(header!), payload: decode(payload!), signature: signature ?? '' };
}

const unsigned = (header: unknown, payload: unknown) => `${b64(header)}.${b64(payload)}`;
const hmacToken = (
  alg: 'HS256' | 'HS384' | 'HS512',
  header: Record<string, unknown>,
  payload: unknown,
  secret: Buffer | string,
) => {
  const input = unsigned({ ...header, alg }, payload);
  return `${input}.${createHmac(`sha${alg.slice(2)}`, secret)
    .update(input)
    .digest('base64url')}`;
};

/** Signs `payload` with an EC key under `header` (alg ES256 unless the header says otherwise). */
async function es256(
  key: PrivateEcJwk,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const { kid: _kid, ...material } = key;
  const signing = await jose.importJWK({ ...material }, 'ES256');
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', ...header } as { alg: string })
    .sign(signing);
}

export async function attackTokens(
  gatewayUrl: string,
  credentials: SuiteCredentials,
  data: AbuseData,
  tally: AbuseTally,
): Promise<void> {
  const jwksOutcome = await call(gatewayUrl, { method: 'GET', target: '/.well-known/jwks.json' });
  const jwks = jwksOutcome.status === 200 ? (JSON.parse(jwksOutcome.text) as { keys: PublicJwk[] }) : { keys: [] };
  checkJwks(
    tally.category(
      'tokens',
      'the published keys',
      'GET /.well-known/jwks.json: the signing key’s public half, under its kid, and nothing private',
      'the run’s key, no d',
    ),
    jwksOutcome,
    jwks,
    credentials.signingKey,
  );

  const [real, second] = data.queue.admitted as [AdmittedTicket, AdmittedTicket];
  const [realB] = data.tenantQueue.admitted as [AdmittedTicket];
  const { header, payload, signature } = partsOf(real.admissionToken);
  const queueA = data.queue.queueId;
  const queueB = data.tenantQueue.queueId;
  const kid = String(header.kid);
  const published = jwks.keys.find((k) => k.kid === kid) ?? jwks.keys[0] ?? { kty: 'EC' };
  const publicKey = createPublicKey({ key: { ...published } as never, format: 'jwk' });
  const now = Math.floor(Date.now() / 1000);
  const { d: _d, ...publishedJwk } = published;
  const stranger = newEcJwk(kid);

  const verifier = {
    jwks: jose.createLocalJWKSet(jwks as never),
    async verify(token: string, audience: string): Promise<{ ok: true } | { ok: false; code: string }> {
      try {
        await jose.jwtVerify(token, this.jwks, { issuer: credentials.issuer, audience });
        return { ok: true };
      } catch (error) {
        return {
          ok: false,
          code: (error as { code?: string }).code ?? (error instanceof Error ? error.name : String(error)),
        };
      }
    },
  };

  const controls = tally.category(
    'tokens',
    'controls: real tokens verify',
    'each admitted ticket’s real token, at its own queue and offline',
    'valid',
  );
  for (const ticket of [...data.queue.admitted, ...data.tenantQueue.admitted]) {
    await judge(
      gatewayUrl,
      verifier,
      controls,
      { label: `real token of ${ticket.ticketId}`, token: ticket.admissionToken, queueId: ticket.queueId },
      true,
    );
  }

  const families: { name: string; what: string; tokens: Forged[] | Promise<Forged[]> }[] = [
    {
      name: 'alg none',
      what: 'the real token’s header with alg none (none, None, NONE, nOnE), no signature; and alg none with the real signature kept',
      tokens: [
        ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
          label: `alg ${alg}`,
          token: `${unsigned({ ...header, alg }, payload)}.`,
          queueId: queueA,
        })),
        {
          label: 'alg none, real signature kept',
          token: `${unsigned({ ...header, alg: 'none' }, payload)}.${signature}`,
          queueId: queueA,
        },
      ],
    },
    {
      name: 'alg switch to HMAC',
      what: 'the real claims signed HS256 (and HS512) with the public key as the HMAC secret: its published JWK, PEM, DER, raw point and x',
      tokens: [
        {
          label: 'HS256 keyed with the JWK (JSON)',
          token: hmacToken('HS256', header, payload, JSON.stringify(publishedJwk)),
          queueId: queueA,
        },
        {
          label: 'HS256 keyed with the PEM (SPKI)',
          token: hmacToken('HS256', header, payload, publicKey.export({ type: 'spki', format: 'pem' }) as string),
          queueId: queueA,
        },
        {
          label: 'HS512 keyed with the PEM (SPKI)',
          token: hmacToken('HS512', header, payload, publicKey.export({ type: 'spki', format: 'pem' }) as string),
          queueId: queueA,
        },
        {
          label: 'HS256 keyed with the DER (SPKI)',
          token: hmacToken('HS256', header, payload, publicKey.export({ type: 'spki', format: 'der' })),
          queueId: queueA,
        },
        {
          label: 'HS256 keyed with the raw point',
          token: hmacToken(
            'HS256',
            header,
            payload,
            Buffer.concat([
              Buffer.from([4]),
              Buffer.from(published.x ?? '', 'base64url'),
              Buffer.from(published.y ?? '', 'base64url'),
            ]),
          ),
          queueId: queueA,
        },
        { label: 'HS256 keyed with x', token: hmacToken('HS256', header, payload, published.x ?? ''), queueId: queueA },
      ],
    },
    {
      name: 'tampered payload',
      what: 'one claim changed, the real signature kept: sub (another user), aud (another queue, shown there), exp (a day later), jti (another ticket), iss; and the kid changed',
      tokens: [
        {
          label: 'sub changed',
          token: `${unsigned(header, { ...payload, sub: second.userId })}.${signature}`,
          queueId: queueA,
        },
        {
          label: 'aud changed, shown at that queue',
          token: `${unsigned(header, { ...payload, aud: queueB })}.${signature}`,
          queueId: queueB,
        },
        {
          label: 'exp a day later',
          token: `${unsigned(header, { ...payload, exp: Number(payload.exp) + 86_400 })}.${signature}`,
          queueId: queueA,
        },
        {
          label: 'jti changed',
          token: `${unsigned(header, { ...payload, jti: second.ticketId })}.${signature}`,
          queueId: queueA,
        },
        {
          label: 'iss changed',
          token: `${unsigned(header, { ...payload, iss: 'faults-evil' })}.${signature}`,
          queueId: queueA,
        },
        {
          label: 'kid changed',
          token: `${unsigned({ ...header, kid: `${kid}-other` }, payload)}.${signature}`,
          queueId: queueA,
        },
      ],
    },
    {
      name: 'expired',
      what: 'the real ticket’s claims signed with the run’s own signing key and kid, expired a minute ago (and a second ago), as a thief of an old token holds it',
      tokens: (async () => [
        {
          label: 'expired a minute ago',
          token: await es256(
            credentials.signingKey,
            { typ: 'JWT', kid },
            { ...payload, iat: now - 3600, exp: now - 60 },
          ),
          queueId: queueA,
          reasons: ['expired'],
        },
        {
          label: 'expired a second ago',
          token: await es256(
            credentials.signingKey,
            { typ: 'JWT', kid },
            { ...payload, iat: now - 3600, exp: now - 1 },
          ),
          queueId: queueA,
          reasons: ['expired'],
        },
      ])(),
    },
    {
      name: 'wrong audience',
      what: 'a real token of one queue shown at the other (both ways)',
      tokens: [
        { label: 'queue A’s token at queue B', token: real.admissionToken, queueId: queueB, reasons: ['other_queue'] },
        { label: 'queue B’s token at queue A', token: realB.admissionToken, queueId: queueA, reasons: ['other_queue'] },
      ],
    },
    {
      name: 'wrong key',
      what: 'the real claims signed ES256 by a fresh key under the real kid',
      tokens: (async () => [
        { label: 'fresh key, real kid', token: await es256(stranger, { typ: 'JWT', kid }, payload), queueId: queueA },
      ])(),
    },
    {
      name: 'unknown kid',
      what: 'the real claims signed by a fresh key under a kid nobody configured, and without a kid; and by the run’s real key under an unknown kid',
      tokens: (async () => [
        {
          label: 'fresh key, unknown kid',
          token: await es256(stranger, { typ: 'JWT', kid: 'faults-unknown' }, payload),
          queueId: queueA,
        },
        { label: 'fresh key, no kid', token: await es256(stranger, { typ: 'JWT' }, payload), queueId: queueA },
        {
          label: 'real key, unknown kid',
          token: await es256(credentials.signingKey, { typ: 'JWT', kid: 'faults-unknown' }, payload),
          queueId: queueA,
        },
      ])(),
    },
    {
      name: 'key in the header',
      what: 'the real claims signed by a fresh key that the header carries (jwk), or points to (jku, x5u), under the real kid',
      tokens: (async () => {
        const { d: _secret, kid: _k, ...strangerPublic } = stranger;
        return [
          {
            label: 'embedded jwk',
            token: await es256(stranger, { typ: 'JWT', kid, jwk: strangerPublic }, payload),
            queueId: queueA,
          },
          {
            label: 'jku',
            token: await es256(stranger, { typ: 'JWT', kid, jku: 'http://127.0.0.1:9/jwks.json' }, payload),
            queueId: queueA,
          },
          {
            label: 'x5u',
            token: await es256(stranger, { typ: 'JWT', kid, x5u: 'http://127.0.0.1:9/cert.pem' }, payload),
            queueId: queueA,
          },
        ];
      })(),
    },
    {
      name: 'garbage',
      what: 'structurally broken tokens: two parts, four parts, an empty signature, a header that is not JSON, random bytes',
      tokens: [
        { label: 'two parts', token: unsigned(header, payload), queueId: queueA },
        { label: 'four parts', token: `${real.admissionToken}.${signature}`, queueId: queueA },
        { label: 'empty signature', token: `${unsigned(header, payload)}.`, queueId: queueA },
        { label: 'header not JSON', token: `${b64('{"alg":"ES256",')}.${b64(payload)}.${signature}`, queueId: queueA },
        {
          label: 'random',
          token: `${randomBytes(24).toString('base64url')}.${randomBytes(48).toString('base64url')}.${randomBytes(64).toString('base64url')}`,
          queueId: queueA,
        },
      ],
    },
  ];

  for (const family of families) {
    const counter = tally.category('tokens', family.name, family.what, 'refused at the route and offline');
    for (const forged of await family.tokens) await judge(gatewayUrl, verifier, counter, forged, false);
  }

  // a ticket that left: its real, unexpired token must be void at the verify route
  const ended = tally.category(
    'tokens',
    'token of an ended ticket',
    'the real, unexpired token of a ticket that has since left the queue, at the verify route',
    'refused (ended)',
  );
  const left = await leave(gatewayUrl, credentials.keys.full, second);
  if (left)
    await judge(
      gatewayUrl,
      verifier,
      ended,
      {
        label: `token of ${second.ticketId}, which left`,
        token: second.admissionToken,
        queueId: queueA,
        reasons: ['ended'],
        routeOnly: true,
      },
      false,
    );
  else ended.record(`DELETE ${second.ticketId}`, 'the ticket did not leave in time', 'control', '');
}

type Verifier = { verify(token: string, audience: string): Promise<{ ok: true } | { ok: false; code: string }> };

/** Shows `forged` at the verify route and offline; a valid verdict is a leak, unless `control`, where it is due. */
async function judge(
  gatewayUrl: string,
  verifier: Verifier,
  counter: CategoryCounter,
  forged: Forged,
  control: boolean,
): Promise<void> {
  const target = `/v1/queues/${encodeURIComponent(forged.queueId)}/admissions/verify`;
  const outcome = await call(gatewayUrl, { method: 'POST', target, body: { token: forged.token } });
  const request = `POST ${target} [${forged.label}] ${forged.token.slice(0, 160)}`;
  const verdict = routeVerdict(outcome, forged.reasons);
  const status =
    typeof outcome.status === 'number'
      ? verdict.reason
        ? `${outcome.status} ${verdict.reason}`
        : outcome.status
      : outcome.status;
  if (control) counter.record(request, status, verdict.valid ? 'ok' : 'control', outcome.text);
  else counter.record(request, status, verdict.valid ? 'leak' : verdict.fits ? 'ok' : 'unexpected', outcome.text);
  if (forged.routeOnly) return;
  const offline = await verifier.verify(forged.token, forged.queueId);
  const label = offline.ok ? 'offline: accepted' : `offline: ${offline.code}`;
  const offlineRequest = `jose jwtVerify(audience ${forged.queueId}) [${forged.label}] ${forged.token.slice(0, 160)}`;
  if (control) counter.record(offlineRequest, label, offline.ok ? 'ok' : 'control');
  else
    counter.record(
      offlineRequest,
      label,
      offline.ok ? 'leak' : 'ok',
      'jose accepted the token against the published JWKS',
    );
}

/** What the verify route said: valid, or refused (with its reason, and whether the reason is one of `reasons`). */
function routeVerdict(
  outcome: Outcome,
  reasons: string[] | undefined,
): { valid: boolean; reason?: string; fits: boolean } {
  if (typeof outcome.status !== 'number' || outcome.status >= 500) return { valid: false, fits: false };
  if (outcome.status !== 200) return { valid: false, fits: outcome.status >= 400 && outcome.status < 500 };
  let body: { valid?: unknown; reason?: unknown } = {};
  try {
    body = JSON.parse(outcome.text) as typeof body;
  } catch {
    return { valid: false, fits: false };
  }
  if (body.valid === true) return { valid: true, fits: false };
  const reason = typeof body.reason === 'string' ? body.reason : 'no reason';
  return { valid: false, reason, fits: body.valid === false && (reasons === undefined || reasons.includes(reason)) };
}

function checkJwks(
  counter: CategoryCounter,
  outcome: Outcome,
  jwks: { keys: PublicJwk[] },
  signingKey: PrivateEcJwk,
): void {
  const request = 'GET /.well-known/jwks.json';
  if (outcome.status !== 200) return counter.record(request, outcome.status, 'control', outcome.text);
  const listed = jwks.keys.find((k) => k.kid === signingKey.kid);
  const problems = [
    ...(listed ? [] : [`the signing key's kid ${signingKey.kid} is not listed`]),
    ...(listed && (listed.x !== signingKey.x || listed.y !== signingKey.y)
      ? ['the listed key is not the signing key']
      : []),
    ...(jwks.keys.some((k) => k.d !== undefined) ? ['a key is published with its private part (d)'] : []),
    ...(jwks.keys.some((k) => k.kty !== 'EC') ? ['a key that is not EC is listed'] : []),
  ];
  const leaked = jwks.keys.some((k) => k.d !== undefined);
  counter.record(
    request,
    problems.length === 0 ? '200 as configured' : `200: ${problems.join('; ')}`,
    leaked ? 'leak' : problems.length === 0 ? 'ok' : 'control',
    outcome.text,
  );
}

/** DELETE the ticket (queues:write) and wait until the admitter shows it left. */
async function leave(gatewayUrl: string, fullKey: string, ticket: AdmittedTicket): Promise<boolean> {
  const authorization = `Bearer ${fullKey}`;
  const path = `/v1/queues/${encodeURIComponent(ticket.queueId)}/tickets/${ticket.ticketId}`;
  const deleted = await call(gatewayUrl, { method: 'DELETE', target: path, authorization });
  if (deleted.status !== 202) return false;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const read = await call(gatewayUrl, { method: 'GET', target: path, authorization });
    if (read.status === 200 && (JSON.parse(read.text) as { status: string }).status === 'left') return true;
    await sleep(250);
  }
  return false;
}
