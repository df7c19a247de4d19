/**
 * The secrets of a fault run's own Tally, made fresh for each run: the API keys the gateway is configured with
 * (API_KEYS, never the built-in development key), the TICKET_KEY ticket ids and secrets are derived from, and the
 * ES256 key the queue-admitter signs admission tokens with (ADMISSION_SIGNING_KEYS). The suite holds them all, so
 * the abuse phase can present each kind of key and mint tokens as a thief of an old one would hold them.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { SCOPES } from '@tally/contracts';
import type { SigningJwk } from '@tally/queue-admitter';

/** Every scope the gateway knows: a scope added there is in the full key, and (unless a read scope) in the writer's. */
export const ALL_SCOPES = SCOPES;
const isReadScope = (scope: string) => scope.endsWith(':read');

/** The users and queues the tenant key serves: ids starting with this (`tenant-b:*`). */
export const TENANT_PREFIX = 'tenant-b:';
/** Ids of the other tenant, whose data the tenant key must never read or write. */
export const OTHER_TENANT_PREFIX = 'tenant-a:';

export interface SuiteKeys {
  /** Every scope, every user and queue: the workload, the fuzzer and the controls. */
  full: string;
  /** Every write and admin scope, no read scope (wallets:read, queues:read, console:read: every `*:read`). */
  writer: string;
  /** Every scope, limited to users and queues `tenant-b:*`. */
  tenant: string;
  /** console:read alone: an operator watching the console. */
  operator: string;
}

/** A private P-256 JWK as ADMISSION_SIGNING_KEYS takes it. */
export type PrivateEcJwk = SigningJwk;

export interface SuiteCredentials {
  keys: SuiteKeys;
  /** The key names the gateway knows them by (what its 401/403 messages name). */
  names: Record<keyof SuiteKeys, string>;
  /** API_KEYS for the gateway. */
  apiKeysJson: string;
  /** TICKET_KEY for the gateway. */
  ticketKey: string;
  /** The key that signs admission tokens (the first and only one of ADMISSION_SIGNING_KEYS). */
  signingKey: PrivateEcJwk;
  /** ADMISSION_SIGNING_KEYS for the queue-admitter. */
  signingKeysJson: string;
  /** The `iss` of admission tokens (the admitter's default ADMISSION_TOKEN_ISSUER). */
  issuer: string;
}

const secret = (label: string) => `faults-${label}-${randomBytes(24).toString('base64url')}`;
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A fresh P-256 private key as a JWK with `kid`. */
export function newEcJwk(kid: string): PrivateEcJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d!, kid };
}

export function suiteCredentials(): SuiteCredentials {
  const keys: SuiteKeys = {
    full: secret('full'),
    writer: secret('writer'),
    tenant: secret('tenant'),
    operator: secret('operator'),
  };
  const names = { full: 'faults-full', writer: 'faults-writer', tenant: 'faults-tenant', operator: 'faults-operator' };
  // the full key by its secret (as outside production), the others by their SHA-256 (as production takes them)
  const apiKeys = [
    { name: names.full, scopes: ALL_SCOPES, key: keys.full },
    { name: names.writer, scopes: ALL_SCOPES.filter((s) => !isReadScope(s)), keySha256: sha256Hex(keys.writer) },
    {
      name: names.tenant,
      scopes: ALL_SCOPES,
      users: [`${TENANT_PREFIX}*`],
      queues: [`${TENANT_PREFIX}*`],
      keySha256: sha256Hex(keys.tenant),
    },
    { name: names.operator, scopes: ['console:read'], keySha256: sha256Hex(keys.operator) },
  ];
  const signingKey = newEcJwk(`faults-${Date.now().toString(36)}`);
  return {
    keys,
    names,
    apiKeysJson: JSON.stringify(apiKeys),
    ticketKey: randomBytes(48).toString('base64'),
    signingKey,
    signingKeysJson: JSON.stringify([signingKey]),
    issuer: 'tally',
  };
}
