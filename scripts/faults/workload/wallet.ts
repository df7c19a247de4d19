/**
 * Wallets: quest rewards (credits), store purchases (debits, often more than the balance, so refused) and chat
 * grants (one credit to each of a few users). One source sends all of a user's writes, in order, so the
 * ledger sees them in the order they were made and its rule can be replayed here exactly: a debit applies
 * only if the balance covers it. Transactions are sent with `?wait=true`; the outcome the gateway answers must
 * agree with that rule (a "pending" answer is checked later, in the history).
 *
 * Each history entry's time is when the gateway received the write (its receipt time, kept through a rebuild),
 * which the client knows up to the round trip of the write.
 *
 * A user takes at most LINES_PER_USER transactions, then a new user takes its place: the history read returns
 * at most 100 entries, and the check reads every user's whole history.
 */
import { formatMinor } from '@tally/money';
import { formatWriteKey } from '@tally/contracts';
import type { TrafficContext } from './context.js';
import type { Answer } from './gateway.js';
import { SourcePool, type Source } from './sources.js';

export const LINES_PER_USER = 90;
const USERS_PER_SOURCE = 3;
export const ASSET = 'coins';

export interface LedgerLine {
  id: string;
  type: 'credit' | 'debit';
  amountMinor: number;
  status: 'applied' | 'rejected';
  balanceAfterMinor: number;
  /** When the gateway received the write, as the client knows it: [first attempt sent, accepted] (once accepted). */
  received?: { from: number; to: number };
}

export interface WalletUser {
  balanceMinor: number;
  /** Oldest first, as the ledger appends them. */
  lines: LedgerLine[];
}

export class WalletModel {
  readonly users = new Map<string, WalletUser>();
  readonly answers = { decided: 0, pending: 0, disagreements: 0, examples: [] as string[] };
  readonly sent = { credits: 0, debits: 0, grants: 0, rejected: 0 };

  /** The ledger's rule: a credit adds; a debit that would take the balance below zero is rejected. */
  apply(userId: string, id: string, type: LedgerLine['type'], amountMinor: number): LedgerLine {
    const user = this.users.get(userId) ?? { balanceMinor: 0, lines: [] };
    this.users.set(userId, user);
    const applies = type === 'credit' || user.balanceMinor >= amountMinor;
    if (applies) user.balanceMinor += type === 'credit' ? amountMinor : -amountMinor;
    else this.sent.rejected++;
    const line: LedgerLine = {
      id,
      type,
      amountMinor,
      status: applies ? 'applied' : 'rejected',
      balanceAfterMinor: user.balanceMinor,
    };
    user.lines.push(line);
    return line;
  }

  /** What is wrong with the gateway's `?wait=true` answer for `line`, or undefined if it agrees. */
  disagreement(line: LedgerLine, answer: Answer): string | undefined {
    if (answer.status !== 200) return undefined;
    const { status, balance } = answer.body as { status: string; balance: string };
    if (status === line.status && balance === formatMinor(line.balanceAfterMinor)) return undefined;
    return `${line.id}: answered ${status} with balance ${balance}, the ledger's rule says ${line.status} with ${formatMinor(line.balanceAfterMinor)}`;
  }

  noteAnswer(line: LedgerLine, answer: Answer): void {
    if (answer.status !== 200) {
      this.answers.pending++;
      return;
    }
    this.answers.decided++;
    const problem = this.disagreement(line, answer);
    if (!problem) return;
    this.answers.disagreements++;
    if (this.answers.examples.length < 10) this.answers.examples.push(problem);
  }
}

export class WalletTraffic {
  readonly pool: SourcePool;
  /** Per source: the users it writes for now, and how many users it has had. */
  private readonly owned: { active: string[]; made: number }[];

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: WalletModel,
    sourceCount: number,
  ) {
    this.pool = new SourcePool(`${ctx.tag}.wallet`, sourceCount, ctx.gateway, ctx.stats);
    this.owned = this.pool.sources.map(() => ({ active: [], made: 0 }));
  }

  next(): boolean {
    const source = this.pool.pick(this.ctx.random);
    if (!source) return false;
    const users = this.usersOf(source);
    const roll = this.ctx.random.next();
    if (roll < 0.45)
      this.transaction(source, this.ctx.random.pick(users), 'credit', (1 + this.ctx.random.int(20)) * 100);
    else if (roll < 0.9)
      this.transaction(source, this.ctx.random.pick(users), 'debit', (1 + this.ctx.random.int(30)) * 100 + 50);
    else this.grant(source, users, (1 + this.ctx.random.int(5)) * 100);
    return true;
  }

  /** The source's active users, each with room for one more line (a full one is replaced by a new user). */
  private usersOf(source: Source): string[] {
    const owned = this.owned[source.index]!;
    owned.active = owned.active.filter((u) => (this.model.users.get(u)?.lines.length ?? 0) < LINES_PER_USER);
    while (owned.active.length < USERS_PER_SOURCE)
      owned.active.push(`${this.ctx.tag}-wallet-${source.index}-${owned.made++}`);
    return owned.active;
  }

  private transaction(source: Source, userId: string, type: LedgerLine['type'], amountMinor: number): void {
    const seq = source.nextSeq();
    const line = this.model.apply(userId, formatWriteKey({ source: source.name, seq }), type, amountMinor);
    this.model.sent[type === 'credit' ? 'credits' : 'debits']++;
    if (line.status === 'rejected') this.ctx.stats.rejectedByDomain.wallet++;
    const request = {
      method: 'POST' as const,
      path: `/v1/wallets/${userId}/transactions?wait=true`,
      body: { source: source.name, seq, type, asset: ASSET, amount: formatMinor(amountMinor) },
    };
    source.send({
      product: 'wallet',
      request,
      onAccepted: (answer, timing) => {
        line.received = { from: timing.firstSentAtMs, to: timing.acceptedAtMs };
        this.model.noteAnswer(line, answer);
        // a repeat is the same transaction: the ledger answers its first outcome again
        this.ctx.repeats.offer({
          product: 'wallet',
          request,
          checkRepeat: (repeat) => this.model.disagreement(line, repeat),
        });
      },
    });
  }

  private grant(source: Source, users: string[], amountMinor: number): void {
    const seq = source.nextSeq();
    const lines = users.map((userId) =>
      this.model.apply(userId, formatWriteKey({ source: source.name, seq }), 'credit', amountMinor),
    );
    this.model.sent.grants++;
    const request = {
      method: 'POST' as const,
      path: '/v1/wallets/grants',
      body: { source: source.name, seq, asset: ASSET, amount: formatMinor(amountMinor), userIds: [...users] },
    };
    source.send({
      product: 'wallet',
      request,
      onAccepted: (_answer, timing) => {
        for (const line of lines) line.received = { from: timing.firstSentAtMs, to: timing.acceptedAtMs };
        this.ctx.repeats.offer({ product: 'wallet', request });
      },
    });
  }
}
