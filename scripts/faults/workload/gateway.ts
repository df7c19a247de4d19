/**
 * The workload's HTTP side: requests to the public API of one gateway, as JSON, with the environment's key.
 * Node's fetch keeps connections alive (undici's pool), so the load reuses sockets instead of opening one per
 * request.
 */
export interface GatewayRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Omitted for leave and complete, which take no body. */
  body?: unknown;
}

export interface Answer {
  status: number;
  body: unknown;
  /** From Retry-After, when the gateway said how long to wait. */
  retryAfterMs?: number;
}

/** A write answered with something other than 2xx, 5xx or 429: the workload sent something the API refuses. */
export class RefusedWriteError extends Error {
  constructor(
    readonly request: GatewayRequest,
    readonly answer: Answer,
  ) {
    super(`${request.method} ${request.path} was refused with HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
    this.name = 'RefusedWriteError';
  }
}

/** A read that kept failing (the owner down, or answering 5xx) until the attempts ran out. */
export class ReadFailedError extends Error {
  constructor(path: string, detail: string) {
    super(`GET ${path} kept failing: ${detail}`);
    this.name = 'ReadFailedError';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** 5xx, 429 and 408 are the gateway saying "not now": the client side of at-least-once retries them. */
export const isRetriable = (status: number) => status >= 500 || status === 429 || status === 408;

export class Gateway {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    /** Longer than the gateway's own waits (Kafka ack 5 s, wallet outcome 5 s), so it answers first. */
    private readonly timeoutMs = 15_000,
  ) {}

  /**
   * One attempt, with the environment's key, or `bearer` instead (a ticket's secret, as the client holding the
   * ticket reads it). Throws on no answer (connection refused, reset, timeout).
   */
  async send(request: GatewayRequest, bearer = this.apiKey): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a proxy's error page): kept as text for the report
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return { status: response.status, body, ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
  }

  /**
   * Sends until the gateway accepts (2xx), retrying "not now" answers and lost connections with the same
   * request (so the same source and seq). Resolves with the accepted answer and how many attempts it took.
   */
  async sendUntilAccepted(request: GatewayRequest): Promise<{ answer: Answer; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.send(request).catch(() => undefined);
      if (answer && answer.status < 300) return { answer, attempts: attempt };
      if (answer && !isRetriable(answer.status)) throw new RefusedWriteError(request, answer);
      await sleep(Math.min(2000, answer?.retryAfterMs ?? 50 * 2 ** Math.min(attempt, 6)));
    }
  }

  /** A GET that tolerates a moment of unavailability (a service restarting): a few attempts, then an error. */
  async read<T>(path: string, attempts = 8, bearer = this.apiKey): Promise<{ status: number; body: T }> {
    let detail = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const answer = await this.send({ method: 'GET', path }, bearer).catch((error: unknown) => {
        detail = error instanceof Error ? error.message : String(error);
        return undefined;
      });
      if (answer && !isRetriable(answer.status)) return { status: answer.status, body: answer.body as T };
      if (answer) detail = `HTTP ${answer.status} ${JSON.stringify(answer.body)}`;
      await sleep(100 * attempt);
    }
    throw new ReadFailedError(path, detail);
  }
}

/** Runs `work` over `items` with at most `concurrency` at once; results in input order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
