import { expect } from 'vitest';
import { unlistedProblem } from '@tally/contracts';

/** An answer as the tests judge it, whether it came through app.inject or over HTTP (fetch). */
export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  body: Record<string, unknown>;
}

/** The answer is exactly `status` in docs/API.md's error shape with code `error`, and nothing more. */
export function expectProblem(answer: Answer, status: number, error: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(answer.body).sort()).toEqual(['details', 'error', 'message']);
  expect(answer.body.error).toBe(error);
  // and the code is one of the contract's closed list, gone out with the status the list gives it
  expect(unlistedProblem(answer.status, answer.body)).toBeUndefined();
  expect(typeof answer.body.message).toBe('string');
  expect((answer.body.message as string).length).toBeGreaterThan(10);
  expect(Array.isArray(answer.body.details)).toBe(true);
  if (status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
}

/** The fields an error's details name, in order. */
export const detailFields = (answer: Answer): string[] =>
  (answer.body.details as { field: string }[]).map((detail) => detail.field);
