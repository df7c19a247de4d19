/**
 * The keys that sign admission tokens: ES256 (ECDSA over P-256), from ADMISSION_SIGNING_KEYS, a JSON array of
 * private JWKs, each with its own `kid`. The first one signs; every one is published (GET
 * /.well-known/jwks.json) and verifies. Rotation, with no token refused on the way:
 *
 * 1. append the new key at the end and deploy: edges fetch it from the JWKS before any token uses it;
 * 2. move it first and deploy: new tokens carry its kid, older ones still verify with the old key;
 * 3. once the longest admission (a queue's activeSeconds, at most a day) has passed, drop the old key.
 *
 * Outside production, with ADMISSION_SIGNING_KEYS unset, a fixed development key is used: its private half is
 * derived from a string in this file, so every admitter instance and every restart agrees, and so anyone can
 * sign with it; production refuses it, configured or not.
 *
 * Problems are reported one per entry and field, naming the entry by its index and kid, never quoting key
 * material (a JWK pasted into the wrong field is still a secret).
 */
import { createECDH, createHash } from 'node:crypto';
import { SecretConfigError } from '@tally/config';

/** A private P-256 key as a JWK, checked: x and y are the public point of d. */
export interface SigningJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
  kid: string;
}

/** The public half as published: what a verifier needs, never `d`. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export const DEVELOPMENT_KID = 'tally-development';
const DEVELOPMENT_SEED = 'tally development admission signing key: public, never for production';

export const KID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Fields a private EC JWK may carry besides its own; anything else (a `k`, an `n`) is another kind of key. */
const KNOWN_FIELDS = new Set(['kty', 'crv', 'x', 'y', 'd', 'kid', 'alg', 'use', 'key_ops', 'ext']);
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const FORMAT = 'a JSON array of private EC P-256 JWKs, each with its own "kid" (`pnpm tally admission-key` makes one)';

/** ADMISSION_SIGNING_KEYS is unusable: every problem, one line each, none quoting key material. */
export class SigningKeysError extends SecretConfigError {
  constructor(problems: readonly string[]) {
    super(problems);
    this.name = 'SigningKeysError';
  }
}

/** The public point (x, y) of the private scalar d, all base64url of 32 bytes; undefined if d is no P-256 key. */
function publicPoint(d: Buffer): { x: string; y: string } | undefined {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d); // throws unless 0 < d < the curve's order
    const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
    return { x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') };
  } catch {
    return undefined;
  }
}

/** The development key: d = sha256 of a fixed string (below the curve order), the same on every machine. */
export function developmentSigningKey(): SigningJwk {
  const d = createHash('sha256').update(DEVELOPMENT_SEED).digest();
  const point = publicPoint(d)!;
  return { kty: 'EC', crv: 'P-256', ...point, d: d.toString('base64url'), kid: DEVELOPMENT_KID };
}

/** Reads ADMISSION_SIGNING_KEYS: every entry checked, kids and keys unique; all problems at once. */
export function parseSigningKeys(json: string, environment: string): SigningJwk[] {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    throw new SigningKeysError([`must be ${FORMAT} (it is not valid JSON)`]);
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new SigningKeysError([`must be ${FORMAT} (it is not a non-empty array)`]);
  const problems: string[] = [];
  const keys: SigningJwk[] = [];
  entries.forEach((entry: unknown, index) => {
    const key = parseEntry(entry, index, environment, problems);
    if (key) keys.push(key);
  });
  const kids = keys.map((k) => k.kid);
  const repeatedKids = [...new Set(kids.filter((kid, i) => kids.indexOf(kid) !== i))];
  if (repeatedKids.length > 0)
    problems.push(
      `every key must have its own kid (${repeatedKids.map((kid) => JSON.stringify(kid)).join(', ')} more than once)`,
    );
  const points = keys.map((k) => `${k.x}.${k.y}`);
  const repeatedKeys = keys.filter((_, i) => points.indexOf(points[i]!) !== i).map((k) => JSON.stringify(k.kid));
  if (repeatedKeys.length > 0)
    problems.push(
      `every entry must be a different key (${repeatedKeys.join(', ')} repeat${repeatedKeys.length === 1 ? 's' : ''} an earlier entry's key)`,
    );
  if (problems.length > 0) throw new SigningKeysError(problems);
  return keys;
}

function parseEntry(entry: unknown, index: number, environment: string, problems: string[]): SigningJwk | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`entry ${index} must be a JWK object {"kty":"EC","crv":"P-256","x","y","d","kid"}`);
    return undefined;
  }
  const fields = entry as Record<string, unknown>;
  const { kid } = fields;
  const kidValid = typeof kid === 'string' && KID_PATTERN.test(kid);
  const where = kidValid ? `entry ${index} (kid ${JSON.stringify(kid)})` : `entry ${index}`;
  const before = problems.length;
  const problem = (text: string) => problems.push(`${where}: ${text}`);

  if (!kidValid) problem('kid must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  const unknown = Object.keys(fields).filter((name) => !KNOWN_FIELDS.has(name));
  if (unknown.length > 0)
    problem(
      `unknown fields ${unknown.map((name) => JSON.stringify(name.slice(0, 32))).join(', ')} (an EC key has kty, crv, x, y, d, kid and optionally alg, use)`,
    );
  if (fields.kty !== 'EC' || fields.crv !== 'P-256')
    problem('must be an EC key on P-256 ("kty":"EC", "crv":"P-256"): tokens are signed with ES256');
  if (fields.alg !== undefined && fields.alg !== 'ES256') problem('alg, when given, must be "ES256"');
  if (fields.use !== undefined && fields.use !== 'sig') problem('use, when given, must be "sig"');
  for (const name of ['x', 'y'] as const) {
    if (typeof fields[name] !== 'string' || !COORDINATE.test(fields[name]))
      problem(`${name} must be 32 bytes in base64url (43 characters)`);
  }
  let point: { x: string; y: string } | undefined;
  if (fields.d === undefined)
    problem(
      'has no "d": ADMISSION_SIGNING_KEYS takes private keys (their public halves are published at /.well-known/jwks.json)',
    );
  else if (
    typeof fields.d !== 'string' ||
    !COORDINATE.test(fields.d) ||
    !(point = publicPoint(Buffer.from(fields.d, 'base64url')))
  )
    problem('d must be a P-256 private key: 32 bytes in base64url (43 characters)');
  else if (point.x !== fields.x || point.y !== fields.y)
    problem('x and y are not the public key of d (a key pasted in parts from two keys?)');
  if (problems.length > before) return undefined;

  const key: SigningJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: fields.x as string,
    y: fields.y as string,
    d: fields.d as string,
    kid: kid as string,
  };
  const development = developmentSigningKey();
  const isDevelopmentKey = key.x === development.x && key.y === development.y;
  if (environment === 'production' && isDevelopmentKey) {
    problem(
      'is the development key, whose private half is in the source: production refuses it (make a key with `pnpm tally admission-key`)',
    );
    return undefined;
  }
  if (key.kid === DEVELOPMENT_KID && !isDevelopmentKey) {
    problem(
      `kid ${JSON.stringify(DEVELOPMENT_KID)} is reserved for the built-in development key; give this key another kid`,
    );
    return undefined;
  }
  return key;
}

export interface ChosenSigningKeys {
  /** The first signs; all verify and are published. */
  keys: SigningJwk[];
  /** True when ADMISSION_SIGNING_KEYS was unset outside production: the service warns. */
  usingDevelopmentKey: boolean;
}

/** Configured keys; else, outside production only, the development key. Production never starts without keys. */
export function chooseSigningKeys(configured: string | undefined, environment: string): ChosenSigningKeys {
  if (configured === undefined || configured === '') {
    if (environment === 'production')
      throw new SigningKeysError([
        'is required when TALLY_ENV is production (the development key is refused there; `pnpm tally admission-key` makes a key)',
      ]);
    return { keys: [developmentSigningKey()], usingDevelopmentKey: true };
  }
  return { keys: parseSigningKeys(configured, environment), usingDevelopmentKey: false };
}

/** The published form of a key: its public point, kid, alg and use; `d` is left out by construction. */
export function publicJwk(key: SigningJwk): PublicJwk {
  return { kty: 'EC', crv: 'P-256', x: key.x, y: key.y, kid: key.kid, alg: 'ES256', use: 'sig' };
}
