/** What the fuzzer saw, counted as answers arrive: statuses, failures to show, the invalid-only phase. */
import type { Answer, FuzzRequest } from './raw-http.js';

export interface FuzzFinding {
  /** Which case it was, e.g. "body field: seq NaN". */
  case: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** At most 500 characters. */
  body: string;
  status: number | 'connection error';
  /** At most 300 characters. */
  response: string;
}

const MAX_FINDINGS = 20;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export const isServerError = (answer: Answer) => answer.status === 'connection error' || answer.status >= 500;
export const isClientError = (answer: Answer) =>
  typeof answer.status === 'number' && answer.status >= 400 && answer.status < 500;

function findingOf(request: FuzzRequest, answer: Answer): FuzzFinding {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers)
    headers[name] = cut(headers[name] === undefined ? value : `${headers[name]}, ${value}`, 200);
  const body =
    request.body === undefined ? '' : typeof request.body === 'string' ? request.body : request.body.toString('utf8');
  return {
    case: request.label,
    method: request.method,
    path: cut(request.target, 500),
    headers,
    body: cut(body, 500),
    status: answer.status,
    response: cut(answer.text, 300),
  };
}

/** Counts answers; keeps the failures with the lowest request numbers, so the same seed reports the same ones. */
export class FuzzTally {
  readonly byStatus: Record<string, number> = {};
  /** Per case family (the label before its colon): the answers by status, to see what each kind of case met. */
  readonly byCase: Record<string, Record<string, number>> = {};
  requests = 0;
  serverErrors = 0;
  private failures: { index: number; finding: FuzzFinding }[] = [];

  record(index: number, request: FuzzRequest, answer: Answer, failed: boolean): void {
    this.requests++;
    const status = String(answer.status);
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    const family = (this.byCase[request.label.split(':')[0]!] ??= {});
    family[status] = (family[status] ?? 0) + 1;
    if (isServerError(answer)) this.serverErrors++;
    if (!failed) return;
    this.failures.push({ index, finding: findingOf(request, answer) });
    // answers arrive out of order: keep a sorted few rather than every failure of a badly broken gateway
    if (this.failures.length > 4 * MAX_FINDINGS) this.failures = this.lowest();
  }

  findings(): FuzzFinding[] {
    return this.lowest().map((failure) => failure.finding);
  }

  private lowest() {
    return [...this.failures].sort((a, b) => a.index - b.index).slice(0, MAX_FINDINGS);
  }
}
