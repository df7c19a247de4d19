import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  ERROR_CODE_NAMES,
  apiError,
  clientProblem,
  isErrorCode,
  problem,
  unlistedProblem,
} from './errors.js';

const REPO = join(import.meta.dirname, '../../..');

/** Every source file (not a test) of every service and package: where answers are written. */
function sourceFiles(): string[] {
  const roots = ['services', 'packages'].flatMap((top) =>
    readdirSync(join(REPO, top), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(REPO, top, entry.name, 'src')),
  );
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) files.push(path);
    }
  };
  roots.forEach(walk);
  return files;
}

/** The codes and statuses every answer in the code spells out: by name, or a status beside its code. */
function answersInSource() {
  const named: { file: string; code: string }[] = [];
  const withStatus: { file: string; status: number; code: string }[] = [];
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:\berror:|\bapiError\(|\bproblem\(|Problem\.of\(|sendProblem\(\s*reply\s*,)\s*'([a-z_]+)'/g,
    ))
      named.push({ file, code: m[1]! });
    for (const m of text.matchAll(/new HttpProblem\(\s*(\d{3})\s*,\s*apiError\(\s*'([a-z_]+)'/g))
      withStatus.push({ file, status: Number(m[1]), code: m[2]! });
  }
  return { named, withStatus };
}

describe('the public error codes', () => {
  it('give each code the status HTTP means by it, and say which a client may retry', () => {
    const statuses = Object.fromEntries(ERROR_CODE_NAMES.map((code) => [code, ERROR_CODES[code].status]));
    expect(statuses).toEqual({
      invalid_request: 400,
      invalid_range: 400,
      malformed_json: 400,
      unauthorized: 401,
      forbidden: 403,
      not_found: 404,
      id_reused: 409,
      request_timeout: 408,
      payload_too_large: 413,
      unsupported_media_type: 415,
      rate_limited: 429,
      internal: 500,
      bad_gateway: 502,
      unavailable: 503,
    });
    expect(ERROR_CODE_NAMES.filter((code) => ERROR_CODES[code].retriable)).toEqual([
      'request_timeout',
      'rate_limited',
      'bad_gateway',
      'unavailable',
    ]);
    for (const code of ERROR_CODE_NAMES) expect(ERROR_CODES[code].meaning.length, code).toBeGreaterThan(10);
  });

  it('answer in the one shape, with the listed status', () => {
    expect(problem('invalid_range', 'at most 1000 buckets')).toEqual({
      status: 400,
      body: { error: 'invalid_range', message: 'at most 1000 buckets', details: [] },
    });
    expect(problem('unavailable', 'try again', [{ field: 'x', message: 'y' }]).status).toBe(503);
    expect(apiError('forbidden', 'no')).toEqual({ error: 'forbidden', message: 'no', details: [] });
  });

  it('name a refusal HTTP itself names by its status, keeping that status', () => {
    expect(clientProblem(400, 'bad').body.error).toBe('invalid_request');
    expect(clientProblem(404, 'gone').body.error).toBe('not_found');
    expect(clientProblem(413, 'big').body.error).toBe('payload_too_large');
    expect(clientProblem(431, 'headers too large')).toEqual({
      status: 431,
      body: { error: 'invalid_request', message: 'headers too large', details: [] },
    });
  });

  it('tell a listed code from anything else', () => {
    expect(isErrorCode('not_found')).toBe(true);
    expect(isErrorCode('teapot')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('judge any answer: a listed code, with its status, in the shape', () => {
    const { status, body } = problem('not_found', 'no queue q');
    expect(unlistedProblem(status, body)).toBeUndefined();
    expect(unlistedProblem(431, clientProblem(431, 'headers too large').body)).toBeUndefined();
    expect(unlistedProblem(400, { error: 'Bad Request', message: 'x', statusCode: 400 })).toMatch(/not listed/);
    expect(unlistedProblem(413, { ...body, error: 'unavailable' })).toMatch(/goes out with 503, not 413/);
    expect(unlistedProblem(404, { ...body, details: [{ instancePath: '/x' }] })).toMatch(/details/);
    expect(unlistedProblem(404, { ...body, statusCode: 404 })).toMatch(/unknown fields: statusCode/);
    expect(unlistedProblem(404, 'not found')).toMatch(/not an object/);
    // an id_reused answer also names the write it refused, and only that
    const reused = { ...problem('id_reused', 'app:1 was already used').body, id: 'app:1', status: 'rejected' };
    expect(unlistedProblem(409, { ...reused, reason: 'id_reused_with_different_amount' })).toBeUndefined();
    expect(unlistedProblem(409, { ...reused, balance: '1.00' })).toMatch(/unknown fields: balance/);
    expect(unlistedProblem(404, { ...body, id: 'app:1' })).toMatch(/unknown fields: id/);
  });

  it('are closed: every code any service or package answers is listed, with its listed status', () => {
    const { named, withStatus } = answersInSource();
    // the owners' and the gateway's answers are all found (a pattern that matches nothing proves nothing)
    expect([...new Set(named.map((a) => a.code))]).toEqual(
      expect.arrayContaining(['invalid_range', 'not_found', 'unavailable', 'invalid_request', 'rate_limited']),
    );
    expect(withStatus.length).toBeGreaterThan(0);
    expect(named.filter((a) => !isErrorCode(a.code))).toEqual([]);
    expect(withStatus.filter((a) => !isErrorCode(a.code) || ERROR_CODES[a.code].status !== a.status)).toEqual([]);
  });
});
