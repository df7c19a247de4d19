/**
 * Wallets: quest rewards (credits), store purchases (debits, often more than the balance, so refused), chat
 * grants (one credit to each of a few users) and gifts (transfers to a payee). One source sends all of a user's
 * writes, in order, so the ledger sees them in the order they were made and its rule can be replayed here
 * exactly: a debit or a transfer applies only if the sender's balance covers it. Transactions and transfers are
 * sent with `?wait=true`; the outcome the gateway answers must agree with that rule (a "pending" answer is
 * checked later, in the history).
 *
 * A transfer is keyed by its sender, so it is ordered with the sender's own writes, not the receiver's. Its
 * receiver is therefore a payee: a user of the workload that only ever receives transfers (each source has one
 * at a time). Nothing a payee is sent depends on its balance, so every outcome stays exact in any order the
 * ledger meets the senders' partitions in, live or in a replay or rebuild; only the order of a payee's history
 * is not the send order, and the check compares it as a set.
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
  type: 'credit' | 'debit' | 'transfer';
  amountMinor: number;
  status: 'applied' | 'rejected';
  balanceAfterMinor: number;
  /** When the gateway received the write, as the client knows it: [first attempt sent, accepted] (once accepted). */
  received?: { from: number; to: number };
}

export interface WalletUser {
  balanceMinor: number;
  /** Oldest first, as the ledger appends them (a payee's: as sent, which the ledger need not keep). */
  lines: LedgerLine[];
  /** Receives transfers only, from senders on other partitions: its history's order is not the send order. */
  payee?: boolean;
}

export class WalletModel {
  readonly users = new Map<string, WalletUser>();
  readonly answers = { decided: 0, pending: 0, disagreements: 0, examples: [] as string[] };
  readonly sent = { credits: 0, debits: 0, grants: 0, transfers: 0, rejected: 0 };

  /**
   * The ledger's rule: a credit adds; a debit, or a transfer's sending side, that would take the balance below
   * zero is rejected (the workload places no holds: the balance is what is available).
   */
  apply(userId: string, id: string, type: LedgerLine['type'], amountMinor: number): LedgerLine {
    const user = this.user(userId);
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

  /**
   * A transfer: the sender's side by the rule above; the payee gets an entry only when it applied (a rejected
   * transfer is in the sender's history alone). `line` is the sender's, which `?wait=true` answers for.
   */
  transfer(from: string, to: string, id: string, amountMinor: number): { line: LedgerLine; received?: LedgerLine } {
    this.sent.transfers++;
    const line = this.apply(from, id, 'transfer', amountMinor);
    // known even when it got nothing: the check then reads that a rejected transfer left it untouched
    const payee = this.user(to, true);
    if (line.status === 'rejected') return { line };
    payee.balanceMinor += amountMinor;
    const received: LedgerLine = { ...line, balanceAfterMinor: payee.balanceMinor };
    payee.lines.push(received);
    return { line, received };
  }

  private user(userId: string, payee = false): WalletUser {
    const user = this.users.get(userId) ?? { balanceMinor: 0, lines: [], ...(payee ? { payee } : {}) };
    this.users.set(userId, user);
    return user;
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
  /** Per source: the users it writes for now, how many users it has had, its payee now and how many it has had. */
  private readonly owned: { active: string[]; made: number; payee: string; payees: number }[];

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: WalletModel,
    sourceCount: number,
  ) {
    this.pool = new SourcePool(`${ctx.tag}.wallet`, sourceCount, ctx.gateway, ctx.stats);
    this.owned = this.pool.sources.map((s) => ({ active: [], made: 0, payee: this.payeeName(s, 0), payees: 1 }));
  }

  next(): boolean {
    const source = this.pool.pick(this.ctx.random);
    if (!source) return false;
    const users = this.usersOf(source);
    const roll = this.ctx.random.next();
    if (roll < 0.42)
      this.transaction(source, this.ctx.random.pick(users), 'credit', (1 + this.ctx.random.int(20)) * 100);
    else if (roll < 0.82)
      this.transaction(source, this.ctx.random.pick(users), 'debit', (1 + this.ctx.random.int(30)) * 100 + 50);
    else if (roll < 0.9) this.transfer(source, this.ctx.random.pick(users), (1 + this.ctx.random.int(20)) * 100 + 25);
    else this.grant(source, users, (1 + this.ctx.random.int(5)) * 100);
    return true;
  }

  private payeeName(source: Source, index: number): string {
    return `${this.ctx.tag}-wallet-${source.index}-payee-${index}`;
  }

  /** The source's payee, with room for one more line (a full one is replaced by a new payee). */
  private payeeOf(source: Source): string {
    const owned = this.owned[source.index]!;
    if ((this.model.users.get(owned.payee)?.lines.length ?? 0) >= LINES_PER_USER)
      owned.payee = this.payeeName(source, owned.payees++);
    return owned.payee;
  }

  /** The source's active users, each with room for one more line (a full one is replaced by a new user). */
  private usersOf(source: Source): string[] {
    const owned = this.owned[source.index]!;
    owned.active = owned.active.filter((u) => (this.model.users.get(u)?.lines.length ?? 0) < LINES_PER_USER);
    while (owned.active.length < USERS_PER_SOURCE)
      owned.active.push(`${this.ctx.tag}-wallet-${source.index}-${owned.made++}`);
    return owned.active;
  }

  private transaction(source: Source, userId: string, type: 'credit' | 'debit', amountMinor: number): void {
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

  /** A gift from one of the source's users to its payee, answered (`?wait=true`) with the sender's figures. */
  private transfer(source: Source, from: string, amountMinor: number): void {
    const seq = source.nextSeq();
    const to = this.payeeOf(source);
    const { line, received } = this.model.transfer(from, to, formatWriteKey({ source: source.name, seq }), amountMinor);
    if (line.status === 'rejected') this.ctx.stats.rejectedByDomain.wallet++;
    const request = {
      method: 'POST' as const,
      path: '/v1/transfers?wait=true',
      body: { source: source.name, seq, from, to, asset: ASSET, amount: formatMinor(amountMinor) },
    };
    source.send({
      product: 'wallet',
      request,
      onAccepted: (answer, timing) => {
        for (const l of [line, received]) if (l) l.received = { from: timing.firstSentAtMs, to: timing.acceptedAtMs };
        this.model.noteAnswer(line, answer);
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
