import { describe, expect, it } from 'vitest';
import { ApiKeyring, ApiKeysError, DEV_API_KEY, SCOPES, chooseApiKeys, parseApiKeys } from './api-keys.js';

const writer = { key: 'k'.repeat(32), name: 'player-fleet', scopes: ['viewers:write'] };
const admin = { key: 'a'.repeat(32), name: 'ops', scopes: ['queues:admin', 'polls:admin'] };

describe('API keys from configuration', () => {
  it('parses a JSON array of keys with names and scopes', () => {
    expect(parseApiKeys(JSON.stringify([writer, admin]))).toEqual([writer, admin]);
  });

  it('refuses bad entries with a sentence that never quotes the secret', () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not valid JSON/],
      [[], /non-empty JSON array/],
      [{ ...writer }, /non-empty JSON array/],
      [[{ ...writer, key: 'short-secret' }], /key must be 16-256 printable characters/],
      [[{ ...writer, key: 'has a space in the middle' }], /key must be/],
      [[{ ...writer, name: 'no spaces please' }], /name must be/],
      [[{ ...writer, scopes: [] }], /scopes must be a non-empty array/],
      [[{ ...writer, scopes: ['viewers:read'] }], /unknown scope "viewers:read"/],
      [[{ ...writer, role: 'x' }], /unknown fields: role/],
      [[writer, { ...admin, name: writer.name }], /its own name/],
      [[writer, { ...admin, key: writer.key }], /must be different/],
      [[{ ...writer, key: DEV_API_KEY }], /development key is built in/],
    ];
    for (const [value, message] of cases) {
      const json = typeof value === 'string' ? value : JSON.stringify(value);
      let error: unknown;
      try {
        parseApiKeys(json);
      } catch (e) {
        error = e;
      }
      expect(error, json).toBeInstanceOf(ApiKeysError);
      expect((error as Error).message, json).toMatch(message);
      expect((error as Error).message).not.toContain(writer.key);
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('uses the development key with every scope only outside production', () => {
    expect(chooseApiKeys(undefined, 'development')).toEqual({ keys: [{ key: DEV_API_KEY, name: 'development', scopes: SCOPES }], usingDevelopmentKey: true });
    expect(chooseApiKeys('', 'test').usingDevelopmentKey).toBe(true);
    expect(() => chooseApiKeys(undefined, 'production')).toThrow(/required when TALLY_ENV is production/);
    expect(chooseApiKeys(JSON.stringify([writer]), 'production')).toEqual({ keys: [writer], usingDevelopmentKey: false });
  });
});

describe('authorizing a request', () => {
  const keyring = new ApiKeyring([writer, admin] as never);

  it('identifies the caller by the bearer key and checks the scope', () => {
    expect(keyring.authorize(`Bearer ${writer.key}`, 'viewers:write')).toMatchObject({ ok: true, caller: { name: 'player-fleet' } });
    expect(keyring.authorize(`bearer  ${admin.key} `, 'polls:admin')).toMatchObject({ ok: true, caller: { name: 'ops' } });
  });

  it('answers 401 without a valid key and 403 without the scope', () => {
    for (const header of [undefined, '', 'Bearer', `Basic ${writer.key}`, `Bearer ${writer.key}x`, 'Bearer k', `Bearer ${writer.key} extra`]) {
      expect(keyring.authorize(header, 'viewers:write'), String(header)).toMatchObject({ ok: false, status: 401 });
    }
    expect(keyring.authorize(`Bearer ${admin.key}`, 'viewers:write')).toEqual({ ok: false, status: 403, message: 'the API key "ops" lacks the scope viewers:write' });
  });
});
