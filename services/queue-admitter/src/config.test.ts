import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@tally/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { DEVELOPMENT_KID, developmentSigningKey } from './domain/signing-keys.js';

const key = (kid: string) => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d!, kid };
};

/** A production deployment whose transports are TLS, as production requires: only the keys are in question here. */
const PRODUCTION = {
  TALLY_ENV: 'production',
  KAFKA_SECURITY_PROTOCOL: 'SSL',
  SCHEMA_REGISTRY_URL: 'https://registry.example.com/apis/ccompat/v7',
  REDIS_URL: 'rediss://redis.example.com:6380',
  DATABASE_URL: 'postgres://tally@db.example.com:5432/tally?sslmode=verify-full',
};

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('the configuration was accepted');
}

/** No problem may quote private key material, whatever went wrong. */
function expectNoSecretIn(problems: string[], ...secrets: string[]) {
  for (const secret of secrets) for (const problem of problems) expect(problem).not.toContain(secret);
}

describe('ADMISSION_SIGNING_KEYS', () => {
  it('takes a JSON array of private JWKs: the first signs, all verify', () => {
    const [first, second] = [key('2026-02'), { ...key('2026-01'), alg: 'ES256', use: 'sig' }];
    const config = loadConfig({ ...PRODUCTION, ADMISSION_SIGNING_KEYS: JSON.stringify([first, second]) });
    expect(config.signingKeys.usingDevelopmentKey).toBe(false);
    expect(config.signingKeys.keys.map((k) => k.kid)).toEqual(['2026-02', '2026-01']);
    expect(config.signingKeys.keys[0]).toEqual(first);
    expect(config.ADMISSION_TOKEN_ISSUER).toBe('tally');
  });

  it('outside production, unset means the development key (the same one every time)', () => {
    for (const environment of [
      {},
      { TALLY_ENV: 'development' },
      { TALLY_ENV: 'test' },
      { ADMISSION_SIGNING_KEYS: '' },
    ]) {
      const config = loadConfig(environment);
      expect(config.signingKeys).toEqual({ keys: [developmentSigningKey()], usingDevelopmentKey: true });
      expect(config.signingKeys.keys[0]!.kid).toBe(DEVELOPMENT_KID);
    }
  });

  it('production refuses to start without keys, and refuses the development key pasted in', () => {
    expect(problemsOf({ ...PRODUCTION })).toEqual([
      expect.stringMatching(/^ADMISSION_SIGNING_KEYS: is required when TALLY_ENV is production/),
    ]);
    const development = developmentSigningKey();
    for (const pasted of [development, { ...development, kid: 'renamed' }]) {
      const problems = problemsOf({ ...PRODUCTION, ADMISSION_SIGNING_KEYS: JSON.stringify([key('real'), pasted]) });
      expect(problems).toEqual([
        expect.stringMatching(
          /^ADMISSION_SIGNING_KEYS: entry 1 \(kid "(tally-development|renamed)"\): is the development key/,
        ),
      ]);
      expectNoSecretIn(problems, development.d);
    }
    // outside production the development key may be configured explicitly (several instances, one key)
    expect(loadConfig({ ADMISSION_SIGNING_KEYS: JSON.stringify([development]) }).signingKeys.keys).toEqual([
      development,
    ]);
  });

  it('refuses ADMISSION_TOKEN_SECRET, the HS256 secret it replaced, without quoting it', () => {
    const environments: Record<string, string>[] = [
      {},
      { ...PRODUCTION, ADMISSION_SIGNING_KEYS: JSON.stringify([key('k')]) },
    ];
    for (const environment of environments) {
      const problems = problemsOf({
        ...environment,
        ADMISSION_TOKEN_SECRET: 'an-old-shared-secret-of-40-characters-xx',
      });
      expect(problems).toEqual([
        expect.stringMatching(/^ADMISSION_TOKEN_SECRET: was replaced by ADMISSION_SIGNING_KEYS/),
      ]);
      expectNoSecretIn(problems, 'an-old-shared-secret');
    }
  });

  it('names each problem of each entry, never quoting key material', () => {
    const good = key('good');
    const other = key('other');
    const entries = [
      good,
      { ...key('no-private'), d: undefined },
      { ...key('swapped'), x: other.x, y: other.y },
      { ...key('short-d'), d: good.d.slice(0, 20) },
      { kty: 'RSA', n: 'abc', e: 'AQAB', d: 'secret-rsa-exponent', kid: 'rsa' },
      { ...key('bad kid with spaces'), kid: 'bad kid with spaces' },
      { ...key('hs'), alg: 'HS256', use: 'enc' },
      { ...key('oct'), k: 'a-symmetric-secret' },
      { ...other, kid: DEVELOPMENT_KID },
      'not an object',
      { ...good, kid: 'good-again' },
      key('good'),
    ];
    const problems = problemsOf({ ADMISSION_SIGNING_KEYS: JSON.stringify(entries), PORT: '99999' });
    expect(problems).toEqual([
      'PORT: must be between 0 and 65535 (got "99999")',
      'ADMISSION_SIGNING_KEYS: entry 1 (kid "no-private"): has no "d": ADMISSION_SIGNING_KEYS takes private keys (their public halves are published at /.well-known/jwks.json)',
      'ADMISSION_SIGNING_KEYS: entry 2 (kid "swapped"): x and y are not the public key of d (a key pasted in parts from two keys?)',
      'ADMISSION_SIGNING_KEYS: entry 3 (kid "short-d"): d must be a P-256 private key: 32 bytes in base64url (43 characters)',
      'ADMISSION_SIGNING_KEYS: entry 4 (kid "rsa"): unknown fields "n", "e" (an EC key has kty, crv, x, y, d, kid and optionally alg, use)',
      'ADMISSION_SIGNING_KEYS: entry 4 (kid "rsa"): must be an EC key on P-256 ("kty":"EC", "crv":"P-256"): tokens are signed with ES256',
      'ADMISSION_SIGNING_KEYS: entry 4 (kid "rsa"): x must be 32 bytes in base64url (43 characters)',
      'ADMISSION_SIGNING_KEYS: entry 4 (kid "rsa"): y must be 32 bytes in base64url (43 characters)',
      'ADMISSION_SIGNING_KEYS: entry 4 (kid "rsa"): d must be a P-256 private key: 32 bytes in base64url (43 characters)',
      'ADMISSION_SIGNING_KEYS: entry 5: kid must be 1-64 characters of A-Z a-z 0-9 . _ : -',
      'ADMISSION_SIGNING_KEYS: entry 6 (kid "hs"): alg, when given, must be "ES256"',
      'ADMISSION_SIGNING_KEYS: entry 6 (kid "hs"): use, when given, must be "sig"',
      'ADMISSION_SIGNING_KEYS: entry 7 (kid "oct"): unknown fields "k" (an EC key has kty, crv, x, y, d, kid and optionally alg, use)',
      `ADMISSION_SIGNING_KEYS: entry 8 (kid "${DEVELOPMENT_KID}"): kid "${DEVELOPMENT_KID}" is reserved for the built-in development key; give this key another kid`,
      'ADMISSION_SIGNING_KEYS: entry 9 must be a JWK object {"kty":"EC","crv":"P-256","x","y","d","kid"}',
      'ADMISSION_SIGNING_KEYS: every key must have its own kid ("good" more than once)',
      'ADMISSION_SIGNING_KEYS: every entry must be a different key ("good-again" repeats an earlier entry\'s key)',
    ]);
    expectNoSecretIn(
      problems,
      ...entries.flatMap((e) =>
        typeof e === 'object'
          ? [e.d, (e as { k?: string }).k].filter((v): v is string => typeof v === 'string' && v.length > 0)
          : [],
      ),
    );
  });

  it('says what it wants when the value is not a JSON array of keys, without echoing it', () => {
    const pastedPem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBx...\n-----END EC PRIVATE KEY-----';
    for (const value of [pastedPem, '{"kty":"EC"}', '[]', JSON.stringify(key('alone'))]) {
      const problems = problemsOf({ ADMISSION_SIGNING_KEYS: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^ADMISSION_SIGNING_KEYS: must be a JSON array of private EC P-256 JWKs, each with its own "kid"/,
      );
      expectNoSecretIn(problems, 'MHcCAQEEIBx', value);
    }
  });

  it('reports a bad TALLY_ENV once, and the keys not at all (which rule applies is unknown)', () => {
    expect(problemsOf({ TALLY_ENV: 'prod' })).toEqual([
      'TALLY_ENV: must be one of development, test, production (got "prod")',
    ]);
  });

  it('takes the issuer from ADMISSION_TOKEN_ISSUER', () => {
    expect(loadConfig({ ADMISSION_TOKEN_ISSUER: 'https://queue.example.com' }).ADMISSION_TOKEN_ISSUER).toBe(
      'https://queue.example.com',
    );
  });
});
