import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLuaScript } from './lua.js';

describe('readLuaScript', () => {
  it('splices each included file in once, in place', () => {
    const script = readLuaScript(fileURLToPath(new URL('./fixtures/main.lua', import.meta.url)));
    expect(script.match(/local function double/g)).toHaveLength(1);
    expect(script.indexOf('local function double')).toBeLessThan(script.indexOf('return double'));
  });

  it('resolves package includes such as the idempotency building blocks', () => {
    const file = fileURLToPath(new URL('../../idempotency/test/fixtures/admit.lua', import.meta.url));
    expect(readLuaScript(file)).toContain('local function tally_admit_seq');
  });
});
