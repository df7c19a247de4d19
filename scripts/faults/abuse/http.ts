/**
 * The abuse phase's HTTP client for well-formed requests (fetch, so connections are kept alive across thousands
 * of guesses); malformed and slow requests go over raw sockets (fuzz/raw-http.ts, abuse/sockets.ts).
 */

export interface Call {
  method: string;
  /** Path and query, as sent. */
  target: string;
  /** The whole Authorization header, or none. */
  authorization?: string;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string. */
  body?: unknown;
}

export type Outcome =
  | { status: number; text: string; contentType: string; retryAfter: string | undefined }
  | { status: 'connection error'; text: string };

export const answered = (outcome: Outcome): outcome is Extract<Outcome, { status: number }> =>
  typeof outcome.status === 'number';

const TIMEOUT_MS = 15_000;
/** How much of a server-sent event stream is read before it is closed (its head is the answer). */
const STREAM_PEEK_MS = 300;

/**
 * One request. A 200 event stream (the console) is read for a moment and closed: its status and head are the
 * answer. No answer at all (refused, reset, timed out) is a 'connection error'.
 */
export async function call(baseUrl: string, request: Call, timeoutMs = TIMEOUT_MS): Promise<Outcome> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', ...request.headers };
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  if (request.body !== undefined) headers['content-type'] ??= 'application/json';
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(`${baseUrl}${request.target}`, {
      method: request.method,
      headers,
      body:
        request.body === undefined
          ? undefined
          : typeof request.body === 'string'
            ? request.body
            : JSON.stringify(request.body),
      signal: abort.signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    if (contentType.startsWith('text/event-stream')) {
      const text = await peek(response, STREAM_PEEK_MS);
      abort.abort();
      return { status: response.status, text, contentType, retryAfter };
    }
    return { status: response.status, text: await response.text(), contentType, retryAfter };
  } catch (error) {
    return { status: 'connection error', text: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** What a stream sends within `ms` (at least its first chunk, if one comes). */
async function peek(response: Response, ms: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const until = Date.now() + ms;
  try {
    while (Date.now() < until) {
      const next = await Promise.race([
        reader.read(),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.max(1, until - Date.now()))),
      ]);
      if (!next || next.done) break;
      chunks.push(decoder.decode(next.value, { stream: true }));
    }
  } catch {
    // closed meanwhile: what came is the answer
  }
  await reader.cancel().catch(() => undefined);
  return chunks.join('');
}

/** A console event stream held open until close(): for counting how many one key may hold. */
export interface HeldStream {
  status: number | 'connection error';
  retryAfter: string | undefined;
  /** True while the gateway keeps it open. */
  open(): boolean;
  close(): void;
}

export async function holdStream(
  baseUrl: string,
  target: string,
  authorization: string | undefined,
): Promise<HeldStream> {
  const abort = new AbortController();
  let open = false;
  try {
    const response = await fetch(`${baseUrl}${target}`, {
      headers: { accept: 'text/event-stream', ...(authorization ? { authorization } : {}) },
      signal: abort.signal,
    });
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    if (response.status !== 200) {
      await response.text().catch(() => undefined);
      return { status: response.status, retryAfter, open: () => false, close: () => undefined };
    }
    open = true;
    // read (and drop) whatever it sends, so the gateway never holds it back; the end of the body is its close
    void (async () => {
      try {
        const reader = response.body!.getReader();
        for (let next = await reader.read(); !next.done; next = await reader.read());
      } catch {
        // aborted by close()
      }
      open = false;
    })();
    return { status: 200, retryAfter, open: () => open, close: () => abort.abort() };
  } catch (error) {
    return { status: 'connection error', retryAfter: describe(error), open: () => false, close: () => undefined };
  }
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code =
    cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  return code ? `${error.message} (${code})` : error.message;
}

/** Runs `work` over `items`, `concurrency` at a time. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
