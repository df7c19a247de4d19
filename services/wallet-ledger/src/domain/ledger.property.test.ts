/**
 * The ledger under at-least-once delivery. The store is modelled in memory (test-support.ts LedgerModel) as the
 * use case drives Postgres: a batch locks and reads the accounts `accountsTouched` names, calls `decide`, appends
 * the entries and writes the accounts, holds and write records; the expiry loop runs between batches.
 *
 * Logs are random: credits, debits, transfers among 5 users, grants, linked groups, holds with captures (all,
 * part, too much, another user's) and releases, the expiry loop, client retries (the same write again, received
 * later) and reuses of an id with another body. The ledger is NOT order-independent (a debit is judged against
 * the balance at its place in the partition, a capture against the hold's deadline), so the partition order is
 * the ledger's order. What holds, and is tested here:
 * (a) Delivered at least once, in any batch split, with any prefix delivered again (a crash before the offset
 *     commit, a rebalance, a replay): the same final state, the same history and the same answer for every
 *     delivery as delivering each command exactly once in order; and every retry hears its write's first answer.
 * (b) At every batch, for any log and delivery: conservation (per asset, the balances add up to what was credited
 *     minus what was debited; transfers and captures paid to a payee move money, they make none), no available
 *     and no held below zero, each account's held is the sum of its pending holds, and the chains of every
 *     (user, asset): an entry's balanceAfter / heldAfter is the previous one plus its delta when applied, the
 *     previous one unchanged when rejected, and the account is where its chain ends.
 * (c) Credits and grants alone commute: any order, with copies, gives the same balances and the same entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountKey, accountOf, refusal, type Command, type Entry, type Member, type Outcome } from './ledger.js';
import { LIMITS, LedgerModel, T0, command } from './test-support.js';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const ASSETS = ['BDP', 'GEM'];

const user = fc.nat(USERS.length - 1);
/** Another user than `from`: an offset in 1..4 around the circle. */
const other = fc.integer({ min: 1, max: USERS.length - 1 });
const asset = fc.nat(ASSETS.length - 1);
const amount = fc.integer({ min: 1, max: 120 });
/** Credits larger than what spends, so that logs have money to move, and GEM (limit 300) reaches its limit. */
const creditAmount = fc.integer({ min: 1, max: 300 });
const dt = fc.integer({ min: 0, max: 40 });

/** A capture or release by a user other than the hold's owner, now and then. */
const stranger = fc.nat(4).map((n) => n === 0);
const memberArb = fc.record({ kind: fc.constantFrom('CREDIT', 'DEBIT', 'TRANSFER'), user, to: other, asset, amount });
const stepArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('CREDIT'), user, asset, amount: creditAmount, dt }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('DEBIT'), user, asset, amount, dt }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('TRANSFER'), user, to: other, asset, amount, dt }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('GRANT'), users: fc.subarray(USERS, { minLength: 1 }), asset, amount, dt }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('GROUP'), members: fc.array(memberArb, { minLength: 1, maxLength: 3 }), dt }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('HOLD'),
      user,
      asset,
      amount: fc.integer({ min: 1, max: 60 }),
      payee: fc.option(other, { freq: 2 }),
      timeout: fc.integer({ min: 1, max: 400 }),
      dt,
    }),
  },
  // mode: 0 all, 1 and 2 a part, 3 more than the hold; stranger: a user other than the hold's owner
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('CAPTURE'),
      pick: fc.nat(),
      mode: fc.nat(3),
      part: amount,
      stranger,
      dt,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('RELEASE'), pick: fc.nat(), stranger, dt }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('EXPIRE'), dt }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('RETRY', 'REUSE'), pick: fc.nat(), dt }) },
);
type Step = typeof stepArb extends fc.Arbitrary<infer S> ? S : never;

/** The expiry loop's pass at a time; everything else in the log is a command. */
type Item = Command | { expireAtMs: number };
const isCommand = (item: Item): item is Command => 'id' in item;

/** The partition's log of the steps, in time order (the gateway's receipt times); ids `<source>:<seq>`. */
function logOf(steps: Step[]): Item[] {
  const log: Item[] = [];
  const commands: Command[] = [];
  const holds: Command[] = [];
  let now = T0;
  let seq = 0;
  const add = (change: Partial<Command>, id = `app:${++seq}`) => {
    const c = command({ id, requestedAtMs: now, ...change });
    commands.push(c);
    log.push(c);
    return c;
  };
  const userAt = (i: number) => USERS[i % USERS.length]!;
  for (const step of steps) {
    now += step.dt;
    switch (step.t) {
      case 'CREDIT':
      case 'DEBIT':
      case 'TRANSFER':
        add({
          type: step.t,
          userId: userAt(step.user),
          to: step.t === 'TRANSFER' ? userAt(step.user + step.to) : null,
          asset: ASSETS[step.asset]!,
          amountMinor: BigInt(step.amount),
        });
        break;
      case 'GRANT': {
        const id = `grants:${++seq}`;
        for (const u of step.users)
          add(
            {
              id,
              userId: u,
              asset: ASSETS[step.asset]!,
              amountMinor: BigInt(step.amount),
              grant: true,
              grantDigest: step.users.join(','),
              reason: 'grant',
            },
            id,
          );
        break;
      }
      case 'GROUP': {
        const members: Member[] = step.members.map((m) => ({
          userId: userAt(m.user),
          type: m.kind,
          asset: ASSETS[m.asset]!,
          amountMinor: BigInt(m.amount),
          to: m.kind === 'TRANSFER' ? userAt(m.user + m.to) : null,
          reason: null,
        }));
        add({ type: 'GROUP', userId: members[0]!.userId, asset: '', amountMinor: 0n, members });
        break;
      }
      case 'HOLD':
        holds.push(
          add({
            type: 'HOLD',
            userId: userAt(step.user),
            asset: ASSETS[step.asset]!,
            amountMinor: BigInt(step.amount),
            to: step.payee === null ? null : userAt(step.user + step.payee),
            timeoutMs: step.timeout,
          }),
        );
        break;
      case 'CAPTURE':
      case 'RELEASE': {
        // mostly one of the latest holds, still pending or just decided
        const h = holds[holds.length - 1 - (step.pick % Math.min(3, Math.max(1, holds.length)))];
        const owner = h ? USERS.indexOf(h.userId) : step.pick;
        const amountMinor =
          step.t === 'RELEASE' || step.mode === 0 || !h
            ? 0n
            : step.mode === 3
              ? h.amountMinor + 1n
              : BigInt(1 + (step.part % Number(h.amountMinor)));
        add({
          type: step.t,
          userId: userAt(owner + (step.stranger ? 1 : 0)),
          asset: '',
          amountMinor,
          holdId: h?.id ?? 'app:0',
        });
        break;
      }
      case 'EXPIRE':
        log.push({ expireAtMs: now });
        break;
      case 'RETRY':
      case 'REUSE': {
        const earlier = commands[step.pick % Math.max(1, commands.length)];
        if (!earlier) break;
        const again = { ...earlier, requestedAtMs: now };
        // another amount, still one the gateway would send (a reuse of a reuse must stay within the asset's limit)
        if (step.t === 'REUSE') again.amountMinor += again.amountMinor > 1n ? -1n : 1n;
        commands.push(again);
        log.push(again);
        break;
      }
    }
  }
  return log;
}

const stepsArb = fc.array(stepArb, { maxLength: 50, size: 'max' });

/** Each delivery's answer: the log position it came from and its outcome. */
type Answer = { at: number; outcome: Outcome };

/** Runs the items of a batch: commands between expiry passes in one `decide` each, as the use case would. */
function deliver(model: LedgerModel, items: Item[], from: number, answers: Answer[], check?: () => void) {
  let run: Command[] = [];
  let runFrom = from;
  const flush = () => {
    if (run.length > 0) model.apply(run).outcomes.forEach((outcome, i) => answers.push({ at: runFrom + i, outcome }));
    check?.();
  };
  items.forEach((item, i) => {
    if (isCommand(item)) {
      if (run.length === 0) runFrom = from + i;
      run.push(item);
      return;
    }
    flush();
    run = [];
    model.expire(item.expireAtMs);
    check?.();
  });
  flush();
}

/**
 * A consumer over the partition: each step takes a batch from its position, applies it, and may then go back
 * to any earlier position (a crash before the offset commit, a rebalance, a replay), so any prefix is delivered
 * again; what remains after the steps is delivered in one batch.
 */
function consume(model: LedgerModel, log: Item[], steps: { size: number; back: number | null }[], check?: () => void) {
  const answers: Answer[] = [];
  let position = 0;
  for (const { size, back } of steps) {
    if (position >= log.length) break;
    deliver(model, log.slice(position, position + size), position, answers, check);
    position = Math.min(log.length, position + size);
    if (back !== null) position = back % (position + 1);
  }
  deliver(model, log.slice(position), position, answers, check);
  return answers;
}

const consumerArb = fc.array(
  fc.record({ size: fc.integer({ min: 1, max: 8 }), back: fc.option(fc.nat(), { freq: 3 }) }),
  {
    maxLength: 14,
    size: 'max',
  },
);

const once = (log: Item[]) => {
  const model = new LedgerModel();
  const answers: Answer[] = [];
  log.forEach((item, at) => deliver(model, [item], at, answers));
  return { model, answers };
};

const nonZero = (model: LedgerModel) =>
  [...model.accounts]
    .filter(([, a]) => a.balanceMinor !== 0n || a.heldMinor !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : 1));
const answerOf = (o: Outcome) => ({ entries: o.entries, member: o.member, conflict: o.conflict?.field ?? null });

/** Every invariant of (b) on the model as it stands; returns what is broken. */
function broken(model: LedgerModel): string[] {
  const problems: string[] = [];
  const chains = new Map<string, { balance: bigint; held: bigint }>();
  const moved = new Map<string, bigint>();
  for (const e of model.log) {
    const key = accountKey(e.userId, e.asset);
    const before = chains.get(key) ?? { balance: 0n, held: 0n };
    const applied = e.status === 'APPLIED';
    if (!applied && (e.balanceDeltaMinor !== 0n || e.heldDeltaMinor !== 0n))
      problems.push(`${e.id}: rejected with a delta`);
    const after = { balance: before.balance + e.balanceDeltaMinor, held: before.held + e.heldDeltaMinor };
    if (e.balanceAfterMinor !== after.balance || e.heldAfterMinor !== after.held)
      problems.push(
        `${e.id}/${e.leg} of ${e.userId}: after ${e.balanceAfterMinor}/${e.heldAfterMinor}, the chain says ${after.balance}/${after.held}`,
      );
    if (after.held < 0n || after.balance - after.held < 0n) problems.push(`${e.id} of ${e.userId}: below zero`);
    chains.set(key, after);
    if (applied) moved.set(e.asset, (moved.get(e.asset) ?? 0n) + madeOrDestroyed(e));
  }
  const total = new Map<string, bigint>();
  for (const [key, account] of model.accounts) {
    const chain = chains.get(key) ?? { balance: 0n, held: 0n };
    if (account.balanceMinor !== chain.balance || account.heldMinor !== chain.held)
      problems.push(`${key}: not where its chain ends`);
    if (account.heldMinor < 0n || account.balanceMinor < account.heldMinor) problems.push(`${key}: below zero`);
    const pending = [...model.holds.values()]
      .filter((h) => h.status === 'PENDING' && accountKey(h.userId, h.asset) === key)
      .reduce((sum, h) => sum + h.amountMinor, 0n);
    if (account.heldMinor !== pending) problems.push(`${key}: held ${account.heldMinor}, pending holds ${pending}`);
    const { asset } = accountOf(key);
    total.set(asset, (total.get(asset) ?? 0n) + account.balanceMinor);
  }
  for (const a of ASSETS)
    if ((total.get(a) ?? 0n) !== (moved.get(a) ?? 0n))
      problems.push(`${a}: balances ${total.get(a)}, credited - debited ${moved.get(a)}`);
  return problems;
}

/** What an applied entry makes or destroys: credits and debits do, and a capture paying nobody; the rest move. */
function madeOrDestroyed(e: Entry): bigint {
  if (e.type === 'CREDIT') return e.amountMinor;
  if (e.type === 'DEBIT') return -e.amountMinor;
  if (e.type === 'CAPTURE' && e.leg === 0 && e.counterparty === null) return -e.amountMinor;
  return 0n;
}

describe('the ledger under at-least-once delivery', () => {
  it('generates only commands the domain takes (refusal), as the gateway writes them', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const refused = logOf(steps)
          .filter(isCommand)
          .flatMap((c) => refusal(c, LIMITS) ?? []);
        expect(refused).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('(a) redelivered prefixes in any batch split give the state, history and answers of each command once', () => {
    fc.assert(
      fc.property(stepsArb, consumerArb, (steps, consumer) => {
        const log = logOf(steps);
        const expected = once(log);
        const model = new LedgerModel();
        const answers = consume(model, log, consumer);
        expect(model.log).toEqual(expected.model.log);
        expect(nonZero(model)).toEqual(nonZero(expected.model));
        expect(model.holds).toEqual(expected.model.holds);
        expect(model.writes).toEqual(expected.model.writes);
        expect([...model.conflicts.keys()].sort()).toEqual([...expected.model.conflicts.keys()].sort());
        const first = new Map(expected.answers.map((a) => [a.at, answerOf(a.outcome)]));
        expect(answers.map((a) => answerOf(a.outcome))).toEqual(answers.map((a) => first.get(a.at)));
        // a retry hears its write's first answer (a grant: the first answer to that user)
        const heard = new Map<string, ReturnType<typeof answerOf>>();
        for (const { outcome } of expected.answers) {
          if (outcome.conflict) continue;
          const key = `${outcome.command.id} ${outcome.command.grant ? outcome.command.userId : ''}`;
          if (!heard.has(key)) heard.set(key, answerOf(outcome));
          expect(answerOf(outcome), key).toEqual(heard.get(key));
        }
      }),
      { numRuns: 250 },
    );
  }, 30_000);

  it('(b) any log, any delivery, at every batch: conservation, nothing below zero, held = pending holds, the chains', () => {
    fc.assert(
      fc.property(stepsArb, consumerArb, (steps, consumer) => {
        const model = new LedgerModel();
        consume(model, logOf(steps), consumer, () => expect(broken(model)).toEqual([]));
      }),
      { numRuns: 250 },
    );
  }, 30_000);

  it('(c) credits and grants alone, in any order and with copies: the same balances and the same entries', () => {
    const creditsOnly = fc.array(
      fc.oneof(
        fc.record({ t: fc.constant('CREDIT' as const), user, asset: fc.constant(0), amount, dt }),
        fc.record({
          t: fc.constant('GRANT' as const),
          users: fc.subarray(USERS, { minLength: 1 }),
          asset: fc.constant(0),
          amount,
          dt,
        }),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(
        creditsOnly,
        fc.array(fc.nat(1000), { minLength: 80, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        consumerArb,
        (steps, mix, copies, consumer) => {
          const log = logOf(steps);
          const expected = once(log).model;
          const withCopies = log.length === 0 ? [] : [...log, ...copies.map((c) => ({ ...log[c % log.length]! }))];
          const permuted = withCopies
            .map((item, i) => ({ item, key: mix[i % mix.length]!, i }))
            .sort((x, y) => x.key - y.key || x.i - y.i)
            .map((x) => x.item);
          const model = new LedgerModel();
          consume(model, permuted, consumer);
          expect(nonZero(model)).toEqual(nonZero(expected));
          const recorded = (m: LedgerModel) =>
            m.log.map((e) => [e.userId, e.id, e.leg, e.amountMinor, e.status].join(' ')).sort();
          expect(recorded(model)).toEqual(recorded(expected));
          expect(model.log.every((e) => e.status === 'APPLIED')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  }, 30_000);

  it('the logs drawn exercise the rules: every kind applied and rejected, conflicts, retries, expiries', () => {
    const sample = fc.sample(fc.tuple(stepsArb, consumerArb), { numRuns: 300, seed: 17 });
    const seen = new Map<string, number>();
    const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);
    for (const [steps, consumer] of sample) {
      const model = new LedgerModel();
      const log = logOf(steps);
      const answers = consume(model, log, consumer);
      for (const e of model.log) count(`${e.type} ${e.status} ${e.rejection ?? ''}`.trim());
      for (const a of answers) if (a.outcome.conflict) count(`conflict ${a.outcome.conflict.field}`);
      for (const a of answers) if (a.outcome.member !== null) count('group member failed');
      for (let i = log.filter(isCommand).length; i < answers.length; i++) count('delivered again');
    }
    const wanted = [
      'CREDIT APPLIED',
      'CREDIT REJECTED balance_limit_exceeded',
      'DEBIT APPLIED',
      'DEBIT REJECTED insufficient_funds',
      'TRANSFER APPLIED',
      'TRANSFER REJECTED insufficient_funds',
      'TRANSFER REJECTED balance_limit_exceeded',
      'HOLD APPLIED',
      'HOLD REJECTED insufficient_funds',
      'CAPTURE APPLIED',
      'CAPTURE REJECTED capture_exceeds_hold',
      'CAPTURE REJECTED hold_expired',
      'CAPTURE REJECTED hold_not_pending',
      'CAPTURE REJECTED hold_not_found',
      'RELEASE APPLIED',
      'RELEASE REJECTED hold_expired',
      'EXPIRY APPLIED',
      'conflict amount',
      'group member failed',
      'delivered again',
    ];
    expect(wanted.filter((w) => (seen.get(w) ?? 0) < 5)).toEqual([]);
  });
});
