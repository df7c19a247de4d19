import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Card, Empty, ErrorNote } from '../card';
import {
  fetchHold,
  fetchTransaction,
  fetchWallet,
  fetchWalletHistory,
  type Fetched,
  type HoldView,
  type TransactionDetail,
  type WalletBalances,
  type WalletHistory,
  type WalletTransaction,
} from '../api';
import { clock } from '../format';
import { LookupRow } from '../inputs';
import { expiresIn, historyLine, isZero, unsettledHolds } from '../wallet-lines';

interface WalletProps {
  userId: string;
  /** outcomes the live stream saw for this user; each change means the ledger moved */
  outcomes: number | undefined;
  /** the server's time of the latest view, for the holds' countdowns */
  at: number;
  onUser: (userId: string) => void;
}

interface WalletReads {
  balances: Fetched<WalletBalances>;
  history: Fetched<WalletHistory>;
  /** The holds the history shows placed and not ended, those the ledger still has pending. */
  holds: Fetched<HoldView[]>;
}

/**
 * Reads balances and history together, then the holds the history leaves open, again whenever the live stream
 * reports a new outcome for the user. A counter drops answers that arrive after a newer request was sent.
 */
function useWallet(userId: string, outcomes: number | undefined, lookups: number): WalletReads | undefined {
  const [reads, setReads] = useState<WalletReads | undefined>();
  const latest = useRef(0);
  useEffect(() => {
    if (!userId) return setReads(undefined);
    const request = ++latest.current;
    void Promise.all([fetchWallet(userId), fetchWalletHistory(userId)]).then(async ([balances, history]) => {
      const holds = history.ok ? await pendingHolds(userId, history.value.transactions) : noHolds;
      if (request === latest.current) setReads({ balances, history, holds });
    });
  }, [userId, outcomes, lookups]);
  return reads;
}

const noHolds: Fetched<HoldView[]> = { ok: true, value: [] };

/** Asks the ledger about each hold the history leaves open: one read each, usually none or a few. */
async function pendingHolds(userId: string, transactions: WalletTransaction[]): Promise<Fetched<HoldView[]>> {
  const answers = await Promise.all(unsettledHolds(transactions).map((id) => fetchHold(userId, id)));
  const failed = answers.find((a) => !a.ok);
  if (failed) return failed;
  return { ok: true, value: answers.flatMap((a) => (a.ok && a.value.status === 'pending' ? [a.value] : [])) };
}

/** One user's balances (available and held), pending holds and history, live. */
export function WalletPanel({ userId, outcomes, at, onUser }: WalletProps) {
  const [draft, setDraft] = useState(userId);
  useEffect(() => setDraft(userId), [userId]);
  // Looking up the user already shown reads again: the button always answers.
  const [lookups, setLookups] = useState(0);
  const reads = useWallet(userId, outcomes, lookups);

  const lookUp = (e: Event) => {
    e.preventDefault();
    onUser(draft.trim());
    setLookups((n) => n + 1);
  };

  return (
    <Card
      area="wallet"
      title="Wallet"
      hint="Balances, holds and history from the ledger"
      tools={
        <LookupRow
          value={draft}
          onInput={setDraft}
          onLookUp={lookUp}
          testId="wallet-user"
          buttonTestId="wallet-lookup"
          label="User id"
          button="Look up"
        />
      }
    >
      {!userId ? (
        <Empty>Look up a user to follow their wallet.</Empty>
      ) : !reads ? (
        <Empty>Loading {userId}…</Empty>
      ) : (
        <WalletBody userId={userId} reads={reads} at={at} />
      )}
    </Card>
  );
}

function WalletBody({ userId, reads, at }: { userId: string; reads: WalletReads; at: number }) {
  return (
    <>
      {reads.balances.ok ? <Balances wallet={reads.balances.value} /> : <ErrorNote message={reads.balances.message} />}
      {reads.holds.ok ? (
        reads.holds.value.length > 0 && <PendingHolds holds={reads.holds.value} at={at} />
      ) : (
        <ErrorNote message={reads.holds.message} />
      )}
      {reads.history.ok ? (
        <History userId={userId} transactions={reads.history.value.transactions} />
      ) : (
        <ErrorNote message={reads.history.message} />
      )}
    </>
  );
}

/** Per asset the balance; under it what can be spent (available) and what pending holds keep of it (held). */
function Balances({ wallet }: { wallet: WalletBalances }) {
  const assets = Object.keys(wallet.balances).sort();
  if (assets.length === 0) return <Empty>No balance yet.</Empty>;
  return (
    <div class="balances">
      {assets.map((asset) => {
        const available = wallet.available?.[asset];
        const held = wallet.held?.[asset];
        return (
          <div key={asset} class="balance">
            <span class="balance-value" data-testid="wallet-balance" data-asset={asset}>
              {wallet.balances[asset]}
            </span>
            <span class="figure-label">{asset}</span>
            {available !== undefined && (
              <span class="balance-available" title="What can be spent: the balance less what holds keep">
                available{' '}
                <strong data-testid="wallet-available" data-asset={asset}>
                  {available}
                </strong>
              </span>
            )}
            {held !== undefined && (
              <span class={`balance-held${isZero(held) ? '' : ' holding'}`} title="Kept aside by pending holds">
                held{' '}
                <span data-testid="wallet-held" data-asset={asset}>
                  {held}
                </span>
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

/**
 * The server's clock, ticking each second between views (an unchanged view is sent only every few seconds):
 * the browser's clock measures only the time since the latest view, so a skewed browser counts down right.
 */
function useServerNow(at: number): number {
  const offset = useMemo(() => at - Date.now(), [at]);
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return Date.now() + offset;
}

function PendingHolds({ holds, at }: { holds: HoldView[]; at: number }) {
  const now = useServerNow(at);
  return (
    <div class="holds">
      <h3 class="subhead">Pending holds</h3>
      <ul class="hold-list">
        {holds.map((hold) => (
          <li key={hold.id} class="hold" data-testid="wallet-hold" data-hold-id={hold.id}>
            <span class="ident" title={hold.id}>
              {hold.id}
            </span>
            <span class="strong num" data-testid="wallet-hold-amount">
              {hold.amount}
            </span>
            <span class="muted">{hold.asset}</span>
            {hold.to && <span class="party">→ {hold.to}</span>}
            <span class="hold-expiry" data-testid="wallet-hold-expires" title={`expires at ${clock(hold.expiresAt)}`}>
              expires {expiresIn(hold.expiresAt, now)}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

const rowKey = (tx: WalletTransaction) => `${tx.id}#${tx.leg ?? 0}`;

function History({ userId, transactions }: { userId: string; transactions: WalletTransaction[] }) {
  // one row's details open at a time, read again with every refresh (a reuse of its id may come later)
  const [open, setOpen] = useState<string | undefined>();
  if (transactions.length === 0) return <Empty>No transaction yet.</Empty>;
  return (
    <div class="scroll wallet-history">
      <table class="table">
        <thead>
          <tr>
            <th>Type</th>
            <th class="num">Amount</th>
            <th class="num" title="The balance after it, and what holds kept of it">
              Balance
            </th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {transactions.map((tx) => {
            const key = rowKey(tx);
            const isOpen = open === key;
            return (
              <Fragment key={key}>
                <HistoryRow tx={tx} userId={userId} open={isOpen} onToggle={() => setOpen(isOpen ? undefined : key)} />
                {isOpen && <DetailRow userId={userId} id={tx.id} version={transactions} />}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface HistoryRowProps {
  tx: WalletTransaction;
  userId: string;
  open: boolean;
  onToggle: () => void;
}

function HistoryRow({ tx, userId, open, onToggle }: HistoryRowProps) {
  const line = historyLine(tx, userId);
  return (
    <tr data-testid="wallet-tx" data-tx-id={tx.id} data-type={tx.type} title={describe(tx)}>
      <td>
        <div>
          <button
            type="button"
            class="disclose"
            aria-expanded={open}
            aria-label={`details of ${tx.id}`}
            data-testid="wallet-tx-open"
            onClick={onToggle}
          >
            {open ? '▾' : '▸'}
          </button>
          <span class={`kind kind-${line.kind}`} data-testid="wallet-tx-kind">
            {line.kind}
          </span>
          {line.party && (
            <span class="party" data-testid="wallet-tx-party">
              {line.party}
            </span>
          )}
        </div>
        {/* a second, smaller line keeps the narrow card's columns in view */}
        <div class="tx-meta">
          {tx.asset}
          {tx.group && (
            <span class="tag" data-testid="wallet-tx-group" title="A member of a linked group: all applied or none">
              group
            </span>
          )}
          {tx.reason && (
            <span class="tx-reason" data-testid="wallet-tx-reason">
              {tx.reason}
            </span>
          )}
        </div>
      </td>
      <td class={`num strong flow-${line.flow}`} data-testid="wallet-tx-amount">
        {line.amount}
      </td>
      <td class="num">
        <div data-testid="wallet-tx-balance-after">{tx.balanceAfter}</div>
        {tx.heldAfter && !isZero(tx.heldAfter) && <div class="held-after">held {tx.heldAfter}</div>}
      </td>
      <td>
        <span class={`badge status-${tx.status}`} data-testid="wallet-tx-status">
          {tx.status}
        </span>
      </td>
    </tr>
  );
}

/** The row's tooltip: its id and time, both sides, the hold it acts on, why it was rejected, what the writer said. */
function describe(tx: WalletTransaction): string {
  return [
    tx.id,
    tx.at && clock(tx.at),
    tx.from && tx.to && `${tx.from} → ${tx.to}`,
    tx.holdId && tx.type !== 'hold' && `hold ${tx.holdId}`,
    tx.reason && `rejected: ${tx.reason}`,
    tx.note,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * One write's outcome as the ledger keeps it, read when its row is opened: the failing member of a group, and
 * every later write that reused its id with another body (each refused; only this read lists them).
 */
function DetailRow({ userId, id, version }: { userId: string; id: string; version: unknown }) {
  const [detail, setDetail] = useState<Fetched<TransactionDetail> | undefined>();
  useEffect(() => {
    let current = true;
    void fetchTransaction(userId, id).then((answer) => current && setDetail(answer));
    return () => {
      current = false;
    };
  }, [userId, id, version]);
  return (
    <tr class="tx-detail" data-testid="wallet-tx-detail" data-tx-id={id}>
      <td colSpan={4}>
        {!detail ? (
          <span class="muted">Reading {id}…</span>
        ) : detail.ok ? (
          <TransactionFacts detail={detail.value} />
        ) : (
          <ErrorNote message={detail.message} />
        )}
      </td>
    </tr>
  );
}

function TransactionFacts({ detail }: { detail: TransactionDetail }) {
  const conflicts = detail.conflicts ?? [];
  return (
    <div class="tx-facts">
      <span>
        id <span class="ident">{detail.id}</span>
        {detail.at !== undefined && <span class="muted"> · received {clock(detail.at)}</span>}
      </span>
      {detail.holdId && detail.type !== 'hold' && (
        <span>
          hold <span class="ident">{detail.holdId}</span>
        </span>
      )}
      {detail.member !== undefined && <span>members[{detail.member}] failed, so none was applied</span>}
      {detail.note && <span class="muted">“{detail.note}”</span>}
      {conflicts.length === 0 ? (
        <span class="muted">id never reused with another body</span>
      ) : (
        conflicts.map((c, i) => (
          <span key={i} class="tx-conflict" data-testid="wallet-tx-conflict">
            reused {clock(c.at)} with another {c.field}, refused: <span class="tx-reason">{c.reason}</span>
          </span>
        ))
      )}
    </div>
  );
}
