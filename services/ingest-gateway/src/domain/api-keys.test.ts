import { describe, expect, it } from 'vitest';
import {
  ApiKeyring,
  ApiKeysError,
  DEV_API_KEY,
  SCOPES,
  chooseApiKeys,
  parseApiKeys,
  serves,
  sha256,
} from './api-keys.js';

const writerSecret = 'k'.repeat(32);
const writer = { key: writerSecret, name: 'player-fleet', scopes: ['viewers:write'] };
const adminSecret = 'a'.repeat(32);
const admin = { keySha256: sha256(adminSecret).toString('hex'), name: 'ops', scopes: ['queues:admin', 'polls:admin'] };
const acmeSecret = 'acme-wallet-reader-0123456789';
const acme = {
  keySha256: sha256(acmeSecret).toString('hex'),
  name: 'acme',
  scopes: ['wallets:read', 'queues:read'],
  users: ['acme:*', 'vip-1'],
  queues: ['acme-sale'],
};

function errorOf(json: string, environment = 'development'): Error {
  try {
    parseApiKeys(json, environment);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`parsed: ${json}`);
}

describe('API keys from configuration', () => {
  it('parses a JSON array of keys with names, scopes and limits, keeping only the hash of each secret', () => {
    const keys = parseApiKeys(JSON.stringify([writer, admin, acme]));
    expect(keys.map(({ sha256: digest, ...rest }) => ({ ...rest, sha256: digest.toString('hex') }))).toEqual([
      { name: 'player-fleet', scopes: ['viewers:write'], sha256: sha256(writerSecret).toString('hex') },
      { name: 'ops', scopes: ['queues:admin', 'polls:admin'], sha256: admin.keySha256 },
      {
        name: 'acme',
        scopes: ['wallets:read', 'queues:read'],
        users: ['acme:*', 'vip-1'],
        queues: ['acme-sale'],
        sha256: acme.keySha256,
      },
    ]);
    expect(JSON.stringify(keys)).not.toContain(writerSecret);
  });

  it('refuses bad entries with a sentence that never quotes the secret', () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not valid JSON/],
      [[], /non-empty JSON array/],
      [{ ...writer }, /non-empty JSON array/],
      [[{ ...writer, key: 'short-secret' }], /key must be 16-256 printable characters/],
      [[{ ...writer, key: 'has a space in the middle' }], /key must be/],
      [[{ ...writer, keySha256: admin.keySha256 }], /exactly one of keySha256/],
      [[{ name: 'x', scopes: ['viewers:write'] }], /exactly one of keySha256/],
      [[{ ...admin, keySha256: 'ABC' }], /64 lowercase hex/],
      [[{ ...admin, keySha256: sha256(DEV_API_KEY).toString('hex') }], /development key's hash/],
      [[{ ...writer, name: 'no spaces please' }], /name must be/],
      [[{ ...writer, scopes: [] }], /scopes must be a non-empty array/],
      [[{ ...writer, scopes: ['viewers:read'] }], /unknown scope "viewers:read"/],
      [[{ ...writer, role: 'x' }], /unknown fields: role/],
      [[{ ...acme, users: [] }], /users must be a non-empty array/],
      [[{ ...acme, users: ['a b'] }], /"a b" is not/],
      [[{ ...acme, queues: ['acme*x'] }], /"acme\*x" is not/],
      [[writer, { ...admin, name: writer.name }], /its own name/],
      [[writer, { ...admin, keySha256: sha256(writerSecret).toString('hex') }], /must be different/],
      [[{ ...writer, key: DEV_API_KEY }], /development key is built in/],
    ];
    for (const [value, message] of cases) {
      const json = typeof value === 'string' ? value : JSON.stringify(value);
      const error = errorOf(json);
      expect(error, json).toBeInstanceOf(ApiKeysError);
      expect(error.message, json).toMatch(message);
      expect(error.message).not.toContain(writerSecret);
      expect(error.message).not.toContain('short-secret');
    }
  });

  it('takes only hashes in production, so its configuration holds no secret', () => {
    expect(errorOf(JSON.stringify([writer]), 'production').message).toMatch(/production takes keySha256 only/);
    expect(parseApiKeys(JSON.stringify([admin]), 'production')).toHaveLength(1);
  });

  it('uses the development key with every scope only outside production', () => {
    const chosen = chooseApiKeys(undefined, 'development');
    expect(chosen.usingDevelopmentKey).toBe(true);
    expect(chosen.keys).toEqual([{ name: 'development', scopes: SCOPES, sha256: sha256(DEV_API_KEY) }]);
    expect(chooseApiKeys('', 'test').usingDevelopmentKey).toBe(true);
    expect(() => chooseApiKeys(undefined, 'production')).toThrow(/required when TALLY_ENV is production/);
    expect(chooseApiKeys(JSON.stringify([admin]), 'production').usingDevelopmentKey).toBe(false);
  });
});

describe('authorizing a request', () => {
  const keyring = new ApiKeyring(parseApiKeys(JSON.stringify([writer, admin, acme])));

  it('identifies the caller by the bearer key and checks the scope', () => {
    expect(keyring.authorize(`Bearer ${writerSecret}`, 'viewers:write')).toMatchObject({
      ok: true,
      caller: { name: 'player-fleet' },
    });
    expect(keyring.authorize(`bearer  ${adminSecret} `, 'polls:admin')).toMatchObject({
      ok: true,
      caller: { name: 'ops' },
    });
  });

  it('answers 401 without a valid key and 403 without the scope', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      `Basic ${writerSecret}`,
      `Bearer ${writerSecret}x`,
      'Bearer k',
      `Bearer ${writerSecret} extra`,
      `Bearer ${admin.keySha256}`,
    ]) {
      expect(keyring.authorize(header, 'viewers:write'), String(header)).toMatchObject({ ok: false, status: 401 });
    }
    expect(keyring.authorize(`Bearer ${adminSecret}`, 'viewers:write')).toEqual({
      ok: false,
      status: 403,
      message: 'the API key "ops" lacks the scope viewers:write',
    });
  });

  it('refuses a limited key for users and queues it does not serve (403), every one named', () => {
    const as = (kind: 'users' | 'queues', ...ids: string[]) =>
      keyring.authorize(`Bearer ${acmeSecret}`, kind === 'users' ? 'wallets:read' : 'queues:read', { kind, ids });
    expect(as('users', 'acme:42')).toMatchObject({ ok: true });
    expect(as('users', 'vip-1', 'acme:1')).toMatchObject({ ok: true });
    expect(as('users', 'globex:42')).toEqual({
      ok: false,
      status: 403,
      message: 'the API key "acme" does not serve user globex:42',
    });
    expect(as('users', 'acme:1', 'vip-10')).toMatchObject({ ok: false, status: 403 });
    expect(as('queues', 'acme-sale')).toMatchObject({ ok: true });
    expect(as('queues', 'acme-sale-2')).toMatchObject({ ok: false, status: 403 });
    // a key without limits serves everyone
    expect(
      keyring.authorize(`Bearer ${adminSecret}`, 'queues:admin', { kind: 'queues', ids: ['anything'] }),
    ).toMatchObject({ ok: true });
  });

  it('matches limits as ids or prefixes ending in *', () => {
    const key = { name: 'k', scopes: [], users: ['acme:*', 'bob'] } as const;
    expect(serves(key, 'users', 'acme:')).toBe(true);
    expect(serves(key, 'users', 'acme')).toBe(false);
    expect(serves(key, 'users', 'bob')).toBe(true);
    expect(serves(key, 'users', 'bobby')).toBe(false);
    expect(serves(key, 'queues', 'any')).toBe(true);
    expect(serves({ name: 'all', scopes: [], users: ['*'] }, 'users', 'x')).toBe(true);
  });
});
