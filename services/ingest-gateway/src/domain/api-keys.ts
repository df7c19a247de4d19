import { createHash, timingSafeEqual } from 'node:crypto';
import { SecretConfigError } from '@tally/config';
import { DEV_API_KEY, ID_MAX_LENGTH, ID_PATTERN, SCOPES, type Scope } from '@tally/contracts';

// what a key may do, and the development key, are the contract's: local tools present them too
export { DEV_API_KEY, SCOPES, type Scope };

/** The kinds of resource a key can be limited to: the users whose wallets it serves, the queues whose tickets. */
export type ResourceKind = 'users' | 'queues';

export interface ApiKey {
  /** Who holds it: the name logs, metrics and rate limits use instead of the secret. */
  name: string;
  scopes: readonly Scope[];
  /**
   * The users (wallets) and queues this key serves: ids, or prefixes ending in `*` (a tenant's ids, e.g.
   * "acme:*"). Absent: every one. A key limited this way is refused (403) for anyone else's wallet or queue,
   * on reads and writes alike.
   */
  users?: readonly string[];
  queues?: readonly string[];
}

/** A configured key: its holder and the SHA-256 of its secret (the secret itself is never kept). */
export interface KeyEntry extends ApiKey {
  sha256: Buffer;
}

export const developmentKey = (): KeyEntry => ({ name: 'development', scopes: SCOPES, sha256: sha256(DEV_API_KEY) });

const MIN_KEY_LENGTH = 16;
const KEY_CHARSET = /^[\x21-\x7e]{16,256}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
const LIMIT_PATTERN = new RegExp(`^(\\*|${ID_PATTERN.source.slice(1, -1)}\\*?)$`);

/** API_KEYS is unusable; the message names the entry but never quotes a secret. */
export class ApiKeysError extends SecretConfigError {
  constructor(message: string) {
    super([message]);
    this.name = 'ApiKeysError';
  }
}

const ENTRY_SHAPE = '{"name", "scopes", "keySha256" (or "key"), "users"?, "queues"?}';

/**
 * Reads API_KEYS: a JSON array of keys, every entry checked, names and keys unique. A key is given by the hex
 * SHA-256 of its secret (`keySha256`, so the configuration holds no secret), or outside production by the
 * secret itself (`key`).
 */
export function parseApiKeys(json: string, environment = 'development'): KeyEntry[] {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    throw new ApiKeysError(`must be a JSON array of ${ENTRY_SHAPE} (it is not valid JSON)`);
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new ApiKeysError(`must be a non-empty JSON array of ${ENTRY_SHAPE}`);
  const keys = entries.map((entry, index) => parseEntry(entry, index, environment));
  if (new Set(keys.map((k) => k.name)).size !== keys.length) throw new ApiKeysError('every key must have its own name');
  if (new Set(keys.map((k) => k.sha256.toString('hex'))).size !== keys.length)
    throw new ApiKeysError('every key must be different');
  return keys;
}

function parseEntry(entry: unknown, index: number, environment: string): KeyEntry {
  const where = `entry ${index}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new ApiKeysError(`${where} must be an object ${ENTRY_SHAPE}`);
  const { key, keySha256, name, scopes, users, queues, ...rest } = entry as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ApiKeysError(`${where} has unknown fields: ${unknown.join(', ')}`);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name))
    throw new ApiKeysError(`${where}: name must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
  const named = `${where} (${name})`;
  const digest = keyDigest(named, key, keySha256, environment);
  if (!Array.isArray(scopes) || scopes.length === 0)
    throw new ApiKeysError(`${named}: scopes must be a non-empty array of ${SCOPES.join(', ')}`);
  for (const scope of scopes) {
    if (!SCOPES.includes(scope as Scope))
      throw new ApiKeysError(`${named}: unknown scope ${JSON.stringify(scope)} (known: ${SCOPES.join(', ')})`);
  }
  const parsed: KeyEntry = { name, scopes: [...new Set(scopes as Scope[])], sha256: digest };
  const userLimits = parseLimits(named, 'users', users);
  const queueLimits = parseLimits(named, 'queues', queues);
  if (userLimits) parsed.users = userLimits;
  if (queueLimits) parsed.queues = queueLimits;
  return parsed;
}

function keyDigest(named: string, key: unknown, keySha256: unknown, environment: string): Buffer {
  if ((key === undefined) === (keySha256 === undefined))
    throw new ApiKeysError(`${named}: give exactly one of keySha256 (the hex SHA-256 of the secret) or key`);
  if (keySha256 !== undefined) {
    if (typeof keySha256 !== 'string' || !SHA256_HEX.test(keySha256))
      throw new ApiKeysError(`${named}: keySha256 must be 64 lowercase hex digits (sha256sum of the secret)`);
    if (keySha256 === sha256(DEV_API_KEY).toString('hex'))
      throw new ApiKeysError(`${named}: that is the development key's hash; the development key is never configured`);
    return Buffer.from(keySha256, 'hex');
  }
  if (environment === 'production')
    throw new ApiKeysError(`${named}: production takes keySha256 only, so the configuration holds no secret`);
  if (key === DEV_API_KEY)
    throw new ApiKeysError(
      `${named}: the development key is built in and never configured; leave API_KEYS unset to use it locally`,
    );
  if (typeof key !== 'string' || !KEY_CHARSET.test(key))
    throw new ApiKeysError(`${named}: key must be ${MIN_KEY_LENGTH}-256 printable characters without spaces`);
  return sha256(key);
}

function parseLimits(named: string, kind: ResourceKind, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const shape = `${kind} must be a non-empty array of ids or id prefixes ending in * (at most ${ID_MAX_LENGTH} characters of A-Z a-z 0-9 . _ : @ -)`;
  if (!Array.isArray(value) || value.length === 0) throw new ApiKeysError(`${named}: ${shape}`);
  for (const limit of value) {
    if (typeof limit !== 'string' || limit.length > ID_MAX_LENGTH + 1 || !LIMIT_PATTERN.test(limit))
      throw new ApiKeysError(`${named}: ${shape}; ${JSON.stringify(limit)} is not`);
  }
  return [...new Set(value as string[])];
}

export interface ChosenKeys {
  keys: KeyEntry[];
  /** True when API_KEYS was unset outside production: the caller warns and prints the key. */
  usingDevelopmentKey: boolean;
}

/** Configured keys; else, outside production only, the development key. Production never starts without keys. */
export function chooseApiKeys(configured: string | undefined, environment: string): ChosenKeys {
  if (configured === undefined || configured === '') {
    if (environment === 'production')
      throw new ApiKeysError('is required when TALLY_ENV is production (the development key is refused there)');
    return { keys: [developmentKey()], usingDevelopmentKey: true };
  }
  return { keys: parseApiKeys(configured, environment), usingDevelopmentKey: false };
}

/** Whether a key limited to some users or queues serves this one (a key without limits serves all). */
export function serves(caller: ApiKey, kind: ResourceKind, id: string): boolean {
  const limits = caller[kind];
  if (limits === undefined) return true;
  return limits.some((limit) => (limit.endsWith('*') ? id.startsWith(limit.slice(0, -1)) : id === limit));
}

/** The users or queues a request names: every one must be served by the key. */
export interface NamedResources {
  kind: ResourceKind;
  ids: readonly string[];
}

export type Authorization = { ok: true; caller: ApiKey } | { ok: false; status: 401 | 403; message: string };

export type Presented = { bearer: false } | { bearer: true; caller: ApiKey | undefined };

/** The bearer credential of an Authorization header, or undefined when there is none in the right shape. */
export const bearerOf = (authorizationHeader: string | undefined): string | undefined =>
  /^Bearer +(\S+) *$/i.exec(authorizationHeader ?? '')?.[1];

/**
 * Finds the key a request presents. Every configured key is compared, in constant time over SHA-256 digests
 * (equal lengths, whatever the input), and without stopping at a match, so timing tells nothing about keys.
 */
export class ApiKeyring {
  constructor(private readonly entries: readonly KeyEntry[]) {}

  identify(presented: string): ApiKey | undefined {
    const digest = sha256(presented);
    let found: ApiKey | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.sha256, digest) && found === undefined) found = entry;
    }
    return found;
  }

  /** What an Authorization header presents: no bearer credential, or one that is a configured key (its caller) or not. */
  presented(authorizationHeader: string | undefined): Presented {
    const bearer = bearerOf(authorizationHeader);
    return bearer === undefined ? { bearer: false } : { bearer: true, caller: this.identify(bearer) };
  }

  /**
   * 401 when no valid key is presented; 403 when the key lacks the scope the route needs, or is limited to
   * users or queues that do not include every one the request names.
   */
  permit(presented: Presented, scope: Scope, named?: NamedResources): Authorization {
    if (!presented.bearer)
      return { ok: false, status: 401, message: 'this route needs an API key: send "Authorization: Bearer <key>"' };
    const { caller } = presented;
    if (caller === undefined) return { ok: false, status: 401, message: 'the API key is not valid' };
    if (!caller.scopes.includes(scope))
      return { ok: false, status: 403, message: `the API key "${caller.name}" lacks the scope ${scope}` };
    const refused = named?.ids.find((id) => !serves(caller, named.kind, id));
    if (named && refused !== undefined)
      return {
        ok: false,
        status: 403,
        message: `the API key "${caller.name}" does not serve ${named.kind === 'users' ? 'user' : 'queue'} ${refused}`,
      };
    return { ok: true, caller };
  }

  authorize(authorizationHeader: string | undefined, scope: Scope, named?: NamedResources): Authorization {
    return this.permit(this.presented(authorizationHeader), scope, named);
  }
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
