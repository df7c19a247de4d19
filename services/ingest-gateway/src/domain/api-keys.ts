import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key may do. One scope per kind of write, and an admin scope where PRODUCT.md marks routes (admin). */
export const SCOPES = ['viewers:write', 'counters:write', 'wallets:write', 'queues:write', 'queues:admin', 'polls:write', 'polls:admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  /** The secret the client sends as `Authorization: Bearer <key>`. Never logged. */
  key: string;
  /** Who holds it: the name logs, metrics and rate limits use instead of the secret. */
  name: string;
  scopes: readonly Scope[];
}

/** Printed at start on a local stack, so a developer can call the API without configuring anything. */
export const DEV_API_KEY = 'tally-dev-key';

export const developmentKey = (): ApiKey => ({ key: DEV_API_KEY, name: 'development', scopes: SCOPES });

const MIN_KEY_LENGTH = 16;
const KEY_CHARSET = /^[\x21-\x7e]{16,256}$/;
const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** API_KEYS is unusable; the message names the entry but never quotes a secret. */
export class ApiKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeysError';
  }
}

/** Reads API_KEYS: a JSON array of {"key", "name", "scopes"}, every entry checked, names and keys unique. */
export function parseApiKeys(json: string): ApiKey[] {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    throw new ApiKeysError('must be a JSON array of {"key", "name", "scopes"} (it is not valid JSON)');
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new ApiKeysError('must be a non-empty JSON array of {"key", "name", "scopes"}');
  const keys = entries.map((entry, index) => parseEntry(entry, index));
  const names = new Set(keys.map((k) => k.name));
  if (names.size !== keys.length) throw new ApiKeysError('every key must have its own name');
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw new ApiKeysError('every key must be different');
  return keys;
}

function parseEntry(entry: unknown, index: number): ApiKey {
  const where = `entry ${index}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ApiKeysError(`${where} must be an object {"key", "name", "scopes"}`);
  const { key, name, scopes, ...rest } = entry as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ApiKeysError(`${where} has unknown fields: ${unknown.join(', ')}`);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw new ApiKeysError(`${where}: name must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
  const named = `${where} (${name})`;
  if (key === DEV_API_KEY) throw new ApiKeysError(`${named}: the development key is built in and never configured; leave API_KEYS unset to use it locally`);
  if (typeof key !== 'string' || !KEY_CHARSET.test(key)) throw new ApiKeysError(`${named}: key must be ${MIN_KEY_LENGTH}-256 printable characters without spaces`);
  if (!Array.isArray(scopes) || scopes.length === 0) throw new ApiKeysError(`${named}: scopes must be a non-empty array of ${SCOPES.join(', ')}`);
  for (const scope of scopes) {
    if (!SCOPES.includes(scope as Scope)) throw new ApiKeysError(`${named}: unknown scope ${JSON.stringify(scope)} (known: ${SCOPES.join(', ')})`);
  }
  return { key, name, scopes: [...new Set(scopes as Scope[])] };
}

export interface ChosenKeys {
  keys: ApiKey[];
  /** True when API_KEYS was unset outside production: the caller warns and prints the key. */
  usingDevelopmentKey: boolean;
}

/** Configured keys; else, outside production only, the development key. Production never starts without keys. */
export function chooseApiKeys(configured: string | undefined, environment: string): ChosenKeys {
  if (configured === undefined || configured === '') {
    if (environment === 'production') throw new ApiKeysError('is required when TALLY_ENV is production (the development key is refused there)');
    return { keys: [developmentKey()], usingDevelopmentKey: true };
  }
  return { keys: parseApiKeys(configured), usingDevelopmentKey: false };
}

export type Authorization = { ok: true; caller: ApiKey } | { ok: false; status: 401 | 403; message: string };

/**
 * Finds the key a request presents. Every configured key is compared, in constant time over SHA-256 digests
 * (equal lengths, whatever the input), and without stopping at a match, so timing tells nothing about keys.
 */
export class ApiKeyring {
  private readonly entries: { digest: Buffer; key: ApiKey }[];

  constructor(keys: readonly ApiKey[]) {
    this.entries = keys.map((key) => ({ digest: sha256(key.key), key }));
  }

  identify(presented: string): ApiKey | undefined {
    const digest = sha256(presented);
    let found: ApiKey | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.key;
    }
    return found;
  }

  /** 401 when no valid key is presented, 403 when the key lacks the scope the route needs. */
  authorize(authorizationHeader: string | undefined, scope: Scope): Authorization {
    const presented = /^Bearer +(\S+) *$/i.exec(authorizationHeader ?? '')?.[1];
    if (presented === undefined) return { ok: false, status: 401, message: 'this route needs an API key: send "Authorization: Bearer <key>"' };
    const caller = this.identify(presented);
    if (caller === undefined) return { ok: false, status: 401, message: 'the API key is not valid' };
    if (!caller.scopes.includes(scope)) return { ok: false, status: 403, message: `the API key "${caller.name}" lacks the scope ${scope}` };
    return { ok: true, caller };
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
