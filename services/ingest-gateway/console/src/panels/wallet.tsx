import { useEffect, useRef, useState } from 'preact/hooks';
import { Card, Empty, ErrorNote } from '../card';
import {
  fetchWallet,
  fetchWalletHistory,
  type Fetched,
  type WalletBalances,
  type WalletHistory,
  type WalletTransaction,
} from '../api';
import { clock } from '../format';
import { LookupRow } from '../inputs';

interface WalletProps {
  userId: string;
  /** outcomes the live stream saw for this user; each change means the ledger moved */
  outcomes: number | undefined;
  onUser: (userId: string) => void;
}

interface WalletReads {
  balances: Fetched<WalletBalances>;
  history: Fetched<WalletHistory>;
}

/**
 * Reads balances and history together, again whenever the live stream reports a new outcome for the user.
 * A counter drops answers that arrive after a newer request was sent.
 */
function useWallet(userId: string, outcomes: number | undefined, lookups: number): WalletReads | undefined {
  const [reads, setReads] = useState<WalletReads | undefined>();
  const latest = useRef(0);
  useEffect(() => {
    if (!userId) return setReads(undefined);
    const request = ++latest.current;
    void Promise.all([fetchWallet(userId), fetchWalletHistory(userId)]).then(([balances, history]) => {
      if (request === latest.current) setReads({ balances, history });
    });
  }, [userId, outcomes, lookups]);
  return reads;
}

/** One user's balances and transaction history, live. */
export function WalletPanel({ userId, outcomes, onUser }: WalletProps) {
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
      hint="Balances and history from the ledger"
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
        <WalletBody reads={reads} />
      )}
    </Card>
  );
}

function WalletBody({ reads }: { reads: WalletReads }) {
  return (
    <>
      {reads.balances.ok ? (
        <Balances balances={reads.balances.value.balances} />
      ) : (
        <ErrorNote message={reads.balances.message} />
      )}
      {reads.history.ok ? (
        <History transactions={reads.history.value.transactions} />
      ) : (
        <ErrorNote message={reads.history.message} />
      )}
    </>
  );
}

function Balances({ balances }: { balances: Record<string, string> }) {
  const assets = Object.keys(balances).sort();
  if (assets.length === 0) return <Empty>No balance yet.</Empty>;
  return (
    <div class="balances">
      {assets.map((asset) => (
        <div key={asset} class="balance">
          <span class="balance-value" data-testid="wallet-balance" data-asset={asset}>
            {balances[asset]}
          </span>
          <span class="figure-label">{asset}</span>
        </div>
      ))}
    </div>
  );
}

function History({ transactions }: { transactions: WalletTransaction[] }) {
  if (transactions.length === 0) return <Empty>No transaction yet.</Empty>;
  return (
    <div class="scroll wallet-history">
      <table class="table">
        <thead>
          <tr>
            <th>Type</th>
            <th class="num">Amount</th>
            <th class="num">Balance after</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {transactions.map((tx) => (
            <tr key={tx.id} data-testid="wallet-tx" data-tx-id={tx.id} title={describe(tx)}>
              <td>
                <span class={`kind kind-${tx.type}`}>{tx.grant ? 'grant' : tx.type}</span>
                <span class="muted"> · {tx.asset}</span>
              </td>
              <td class={`num strong amount-${tx.type}`} data-testid="wallet-tx-amount">
                {tx.amount}
              </td>
              <td class="num" data-testid="wallet-tx-balance-after">
                {tx.balanceAfter}
              </td>
              <td>
                <span class={`badge status-${tx.status}`} data-testid="wallet-tx-status">
                  {tx.status}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The row's tooltip: its id and time, and why it was rejected or what the writer said. */
function describe(tx: WalletTransaction): string {
  return [tx.id, tx.at && clock(tx.at), tx.reason && `rejected: ${tx.reason}`, tx.note].filter(Boolean).join(' · ');
}
