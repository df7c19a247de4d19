/**
 * What the abuse phase counts: per category of attack, the requests (or connections, or tokens) and what came of
 * them, and the few answers that were wrong, to show. Every answer is judged by its category:
 *   ok          as expected (a refusal where one is due, an answer where the right credentials were shown);
 *   leak        a request without the right credentials got through (any answer but 401, 403 or 429 on a
 *               private route, a forged token judged valid, a guessed ticket found);
 *   control     the right credentials were refused (the attack proves nothing if the controls fail);
 *   unexpected  refused, but not as documented (a 400 where a 413 is due, a 403 where a 401 is);
 * and, whatever the category, a 5xx or a connection dropped where an answer was due is counted as such.
 */

export type AbuseGroup = 'access' | 'tickets' | 'tokens' | 'transport';
export type Verdict = 'ok' | 'leak' | 'control' | 'unexpected';

export interface AbuseCategory {
  group: AbuseGroup;
  /** The attack, e.g. "no key" or "alg none". */
  name: string;
  /** What was sent, and what the gateway must answer. */
  what: string;
  expected: string;
  /** Requests, connections or tokens tried. */
  tried: number;
  /** Answers by status (or, for sockets and offline checks, by what happened). */
  outcomes: Record<string, number>;
  leaks: number;
  controlsFailed: number;
  unexpected: number;
  serverErrors: number;
  dropped: number;
  /** Private reads (GET) among `leaks`: data a request without the right credentials could see. */
  privateReadLeaks: number;
  /** Measured alongside (seconds a slow client was held, the longest answer, ...). */
  numbers?: Record<string, number>;
}

export interface AbuseFinding {
  category: string;
  verdict: Verdict | '5xx' | 'dropped';
  request: string;
  answer: string;
}

const MAX_FINDINGS = 40;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export class AbuseTally {
  readonly categories: AbuseCategory[] = [];
  readonly findings: AbuseFinding[] = [];
  private omitted = 0;

  category(group: AbuseGroup, name: string, what: string, expected: string): CategoryCounter {
    const existing = this.categories.find((c) => c.group === group && c.name === name);
    const category = existing ?? {
      group,
      name,
      what,
      expected,
      tried: 0,
      outcomes: {},
      leaks: 0,
      controlsFailed: 0,
      unexpected: 0,
      serverErrors: 0,
      dropped: 0,
      privateReadLeaks: 0,
    };
    if (!existing) this.categories.push(category);
    return new CategoryCounter(category, this);
  }

  note(finding: AbuseFinding): void {
    if (this.findings.length < MAX_FINDINGS)
      this.findings.push({ ...finding, request: cut(finding.request, 400), answer: cut(finding.answer, 300) });
    else this.omitted++;
  }

  /** Findings beyond those kept. */
  get findingsOmitted(): number {
    return this.omitted;
  }
}

export class CategoryCounter {
  constructor(
    readonly category: AbuseCategory,
    private readonly tally: AbuseTally,
  ) {}

  /**
   * One attempt: `outcome` is its status (a number for an HTTP answer, 'connection error' when none came, or a
   * word for what a socket or an offline check did), `verdict` the caller's judgement of it. A 5xx or a
   * connection error is counted as such whatever the verdict; `privateRead` marks a leak as a private read.
   */
  record(request: string, outcome: number | string, verdict: Verdict, answer = '', privateRead = false): void {
    const c = this.category;
    c.tried++;
    const key = String(outcome);
    c.outcomes[key] = (c.outcomes[key] ?? 0) + 1;
    let judged: AbuseFinding['verdict'] = verdict;
    if (typeof outcome === 'number' && outcome >= 500) {
      c.serverErrors++;
      judged = '5xx';
    } else if (outcome === 'connection error') {
      c.dropped++;
      judged = 'dropped';
    }
    if (verdict === 'leak') {
      c.leaks++;
      if (privateRead) c.privateReadLeaks++;
    } else if (verdict === 'control') c.controlsFailed++;
    else if (verdict === 'unexpected' && judged === 'unexpected') c.unexpected++;
    if (judged !== 'ok') this.tally.note({ category: `${c.group}: ${c.name}`, verdict: judged, request, answer });
  }

  /** A number measured alongside (kept as the largest, or the sum, as `how` says). */
  measure(name: string, value: number, how: 'max' | 'min' | 'sum' = 'max'): void {
    const numbers = (this.category.numbers ??= {});
    const old = numbers[name];
    numbers[name] =
      old === undefined
        ? value
        : how === 'max'
          ? Math.max(old, value)
          : how === 'min'
            ? Math.min(old, value)
            : old + value;
  }
}

/** The statuses a request without the right credentials may get: anything else shows it got through. */
export const REFUSALS: ReadonlySet<number> = new Set([401, 403, 429]);

/** A refusal category's verdict: `expected` exactly is ok, another refusal is unexpected, anything else a leak. */
export function refusalVerdict(status: number | 'connection error', expected: readonly number[]): Verdict {
  if (status === 'connection error' || status >= 500) return 'unexpected';
  if (expected.includes(status)) return 'ok';
  return REFUSALS.has(status) ? 'unexpected' : 'leak';
}

export interface AbuseTotals {
  tried: number;
  leaks: number;
  privateReadLeaks: number;
  controlsFailed: number;
  unexpected: number;
  serverErrors: number;
  dropped: number;
  /** Refusals over every category, by status. */
  refusalsByStatus: Record<string, number>;
}

export function totalsOf(categories: readonly AbuseCategory[]): AbuseTotals {
  const sum = (pick: (c: AbuseCategory) => number) => categories.reduce((n, c) => n + pick(c), 0);
  const refusalsByStatus: Record<string, number> = {};
  for (const c of categories) {
    for (const [status, count] of Object.entries(c.outcomes)) {
      if (/^4\d\d$/.test(status)) refusalsByStatus[status] = (refusalsByStatus[status] ?? 0) + count;
    }
  }
  return {
    tried: sum((c) => c.tried),
    leaks: sum((c) => c.leaks),
    privateReadLeaks: sum((c) => c.privateReadLeaks),
    controlsFailed: sum((c) => c.controlsFailed),
    unexpected: sum((c) => c.unexpected),
    serverErrors: sum((c) => c.serverErrors),
    dropped: sum((c) => c.dropped),
    refusalsByStatus: Object.fromEntries(Object.entries(refusalsByStatus).sort(([a], [b]) => a.localeCompare(b))),
  };
}
