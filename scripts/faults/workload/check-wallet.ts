/**
 * The ledger against the ledger's rule replayed over what each user was sent: per user the balance, one
 * history entry per accepted (source, seq) in the order sent (a payee's in any order: see wallet.ts), each
 * entry's status (a debit or transfer is rejected exactly when it would overdraw its sender), and balanceAfter
 * chaining from 0 by ± each applied amount (a transfer: − for its sender, + for its payee), never below zero;
 * each entry's time is the gateway's receipt of its write (within the write's HTTP round trip).
 */
import { parseAmount } from '@tally/money';
import type { InvariantResult } from '../invariant-result.js';
import { mapConcurrently, type Gateway } from './gateway.js';
import { countsVerdict, ruleVerdict, unreadable } from './verdicts.js';
import { ASSET, type WalletModel, type WalletUser } from './wallet.js';

interface Entry {
  id: string;
  type: 'credit' | 'debit' | 'transfer';
  amount: string;
  /** A transfer's sides. */
  from?: string;
  to?: string;
  status: 'applied' | 'rejected';
  balanceAfter: string;
  /** When the gateway received the write (epoch ms). */
  at: number;
}

interface UserRead {
  userId: string;
  user: WalletUser;
  balance: string;
  /** Oldest first. */
  entries: Entry[];
}

/** "12.34" → 1234, "0.00" → 0, "-1.00" → -100 (a negative balance must be reported, not crash the check). */
const minor = (amount: string): number =>
  amount.startsWith('-') ? -minor(amount.slice(1)) : /^0(\.0+)?$/.test(amount) ? 0 : parseAmount(amount);

async function readUser(gateway: Gateway, userId: string, user: WalletUser): Promise<UserRead> {
  const [wallet, history] = await Promise.all([
    gateway.read<{ balances: Record<string, string> }>(`/v1/wallets/${userId}`),
    gateway.read<{ transactions: Entry[] }>(`/v1/wallets/${userId}/transactions?limit=100`),
  ]);
  return {
    userId,
    user,
    balance: wallet.body.balances?.[ASSET] ?? '0.00',
    entries: [...(history.body.transactions ?? [])].reverse(),
  };
}

export async function checkWallet(
  gateway: Gateway,
  model: WalletModel,
  repeatDisagreements: string[],
): Promise<InvariantResult[]> {
  let reads: UserRead[];
  try {
    reads = await mapConcurrently([...model.users], 16, ([userId, user]) => readUser(gateway, userId, user));
  } catch (error) {
    return [unreadable('wallet', 'balances and histories', error)];
  }
  return [
    countsVerdict(
      'wallet',
      'balance = applied credits − applied debits ± applied transfers, per user (in cents)',
      'cents',
      reads.map((r) => ({ key: r.userId, expected: r.user.balanceMinor, observed: minor(r.balance) })),
    ),
    historyVerdict(reads),
    ruleVerdict(
      'wallet',
      'history in the order the user’s writes were sent (a payee’s: the same entries, in any order)',
      'the same order',
      reads.length,
      reads.flatMap(orderProblem),
    ),
    ruleVerdict(
      'wallet',
      'each entry’s status: a debit or transfer is rejected exactly when it would overdraw its sender',
      'the ledger’s rule',
      reads.length,
      reads.flatMap(statusProblems),
    ),
    ruleVerdict(
      'wallet',
      'balanceAfter chains (previous ± amount), never negative, the last = the balance',
      'a chain from 0',
      reads.length,
      reads.flatMap(chainProblems),
    ),
    ruleVerdict(
      'wallet',
      'each entry’s time is when the gateway received its write (within the write’s round trip)',
      'the receipt time',
      reads.reduce((n, r) => n + r.entries.length, 0),
      reads.flatMap(timeProblems),
    ),
    answersVerdict(model, repeatDisagreements),
  ];
}

/** One entry per accepted (source, seq) and user: lost are the missing ones, doubled the extra or repeated ones. */
function historyVerdict(reads: UserRead[]): InvariantResult {
  let expected = 0;
  let observed = 0;
  let lost = 0;
  let doubled = 0;
  const broken: string[] = [];
  for (const r of reads) {
    const sent = new Set(r.user.lines.map((l) => l.id));
    const seen = new Map<string, number>();
    for (const e of r.entries) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
    const missing = [...sent].filter((id) => !seen.has(id));
    const extra = [...seen].reduce((n, [id, times]) => n + (sent.has(id) ? times - 1 : times), 0);
    expected += sent.size;
    observed += r.entries.length;
    lost += missing.length;
    doubled += extra;
    if (missing.length || extra)
      broken.push(`${r.userId}: ${missing.length} missing (${missing.slice(0, 2).join(', ')}), ${extra} extra`);
  }
  return {
    ...ruleVerdict(
      'wallet',
      'history: exactly one entry per accepted (source, seq) and user',
      `${expected} entries`,
      reads.length,
      broken,
    ),
    observed: `${observed} entries; lost ${lost}, doubled ${doubled}${broken.length ? `; ${broken.slice(0, 3).join('; ')}` : ''}`,
    lost,
    doubled,
  };
}

function orderProblem(r: UserRead): string[] {
  // a payee's transfers come from senders on other partitions, which the ledger meets in no set order
  const order = (ids: string[]) => (r.user.payee ? [...ids].sort() : ids).join(',');
  const sent = order(r.user.lines.map((l) => l.id));
  const seen = order(r.entries.map((e) => e.id));
  return sent === seen ? [] : [`${r.userId}: sent ${abbreviate(sent)}, history ${abbreviate(seen)}`];
}

function statusProblems(r: UserRead): string[] {
  const byId = new Map(r.user.lines.map((l) => [l.id, l]));
  return r.entries.flatMap((e) => {
    const line = byId.get(e.id);
    if (!line || (line.status === e.status && line.amountMinor === minor(e.amount) && line.type === e.type)) return [];
    return [`${r.userId} ${e.id}: ${e.type} ${e.amount} ${e.status}, the rule says ${line.type} ${line.status}`];
  });
}

function chainProblems(r: UserRead): string[] {
  const problems: string[] = [];
  let previous = 0;
  for (const e of r.entries) {
    const after = minor(e.balanceAfter);
    const moved = e.status === 'applied' ? (takes(e, r.userId) ? -minor(e.amount) : minor(e.amount)) : 0;
    if (after !== previous + moved)
      problems.push(
        `${r.userId} ${e.id}: balanceAfter ${e.balanceAfter} after ${previous} ${e.status} ${e.type} ${e.amount}`,
      );
    if (after < 0) problems.push(`${r.userId} ${e.id}: negative balanceAfter ${e.balanceAfter}`);
    previous = after;
  }
  if (r.entries.length > 0 && previous !== minor(r.balance))
    problems.push(`${r.userId}: last balanceAfter ${previous} cents, balance ${r.balance}`);
  return problems;
}

/** Whether the entry takes its amount from this user: a debit, or a transfer this user sent. */
const takes = (e: Entry, userId: string) => e.type === 'debit' || (e.type === 'transfer' && e.from === userId);

function timeProblems(r: UserRead): string[] {
  const byId = new Map(r.user.lines.map((l) => [l.id, l]));
  return r.entries.flatMap((e) => {
    const received = byId.get(e.id)?.received;
    if (!received || (e.at >= received.from && e.at <= received.to)) return [];
    return [`${r.userId} ${e.id}: at ${e.at}, the write was sent at ${received.from} and accepted at ${received.to}`];
  });
}

/** `?wait=true` answers (and repeated writes' answers) must say what the ledger decided the first time. */
function answersVerdict(model: WalletModel, repeatDisagreements: string[]): InvariantResult {
  const { decided, pending, disagreements, examples } = model.answers;
  const broken = [...examples, ...repeatDisagreements];
  return {
    ...ruleVerdict(
      'wallet',
      '?wait=true answers (first and repeated) agree with the ledger’s rule',
      `${decided} decided answers (${pending} answered pending)`,
      decided + repeatDisagreements.length,
      broken,
    ),
    ok: disagreements === 0 && repeatDisagreements.length === 0,
  };
}

const abbreviate = (ids: string) => (ids.length > 120 ? `${ids.slice(0, 120)}…` : ids);
