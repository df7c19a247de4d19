/**
 * One request to Tally, the same for writes and reads: JSON in and out, the key as a Bearer token; the answer,
 * with a TallyError when it is a refusal. A failed network throws as fetch does (the caller retries).
 */
import { TallyError } from './errors.js';

export interface Exchange {
  status: number;
  body: unknown;
  error?: TallyError;
}

/** The platform's fetch, looked up when called (so a page's or a test's replacement is used). */
export const platformFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

export async function exchange(
  send: typeof fetch,
  url: URL,
  method: string,
  key: string | undefined,
  body?: string,
  keepalive = false,
): Promise<Exchange> {
  const response = await send(url, {
    method,
    // no content-type without a body: an open read from another origin then needs no preflight
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body,
    keepalive,
  });
  const answer: unknown = await response.json().catch(() => undefined);
  const { ok, status, headers } = response;
  return { status, body: answer, error: ok ? undefined : new TallyError(status, answer, headers.get('retry-after')) };
}
