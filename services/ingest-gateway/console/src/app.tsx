import { useEffect, useState } from 'preact/hooks';
import { forgetKey, rememberKey, storedKey } from './key';
import { subscribe, type LiveStatus } from './live';
import { selectionFromQuery, selectionParams, type Selection } from './selection';
import { clock } from './format';
import type { ConsoleView } from './view';
import { ViewersPanel } from './panels/viewers';
import { RankingPanel } from './panels/ranking';
import { QueuePanel } from './panels/queue';
import { PollPanel } from './panels/poll';
import { WalletPanel } from './panels/wallet';
import { LagPanel } from './panels/lag';
import { Brand, KeyForm } from './sign-in';

/**
 * The page: a key form until the operator gives a key (kept in sessionStorage), then the console with it. A key
 * the gateway refuses (401, 403) is forgotten and the form shown again with the reason; "sign out" forgets it.
 */
export function App() {
  const [key, setKey] = useState(storedKey);
  const [reason, setReason] = useState<string | undefined>();
  const signOut = (why?: string) => {
    forgetKey();
    setReason(why);
    setKey(undefined);
  };
  if (!key) {
    return (
      <KeyForm
        reason={reason}
        onKey={(next) => {
          rememberKey(next);
          setReason(undefined);
          setKey(next);
        }}
      />
    );
  }
  return <Console apiKey={key} onSignOut={signOut} />;
}

/**
 * The console: one live stream for the current selection and key (reopened when either changes) and six panels.
 * Each `state` message replaces the whole view.
 */
function Console({ apiKey, onSignOut }: { apiKey: string; onSignOut: (why?: string) => void }) {
  const [selection, setSelection] = useState<Selection>(() => selectionFromQuery(window.location.search));
  const [view, setView] = useState<ConsoleView | null>(null);
  const [status, setStatus] = useState<LiveStatus>('reconnecting');
  const [problem, setProblem] = useState<string | undefined>();
  const query = selectionParams(selection).toString();

  useEffect(() => {
    window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
    return subscribe(new URLSearchParams(query), apiKey, {
      onView: setView,
      onStatus: (next, why) => {
        setStatus(next);
        setProblem(why);
      },
      onKeyRefused: onSignOut,
    });
  }, [query, apiKey]);

  const choose = (patch: Partial<Selection>) => setSelection((s) => ({ ...s, ...patch }));
  const at = view?.at ?? Date.now();
  const outcomes = view?.wallet && view.wallet.userId === selection.wallet ? view.wallet.outcomes : undefined;

  return (
    <div class="page">
      <Header status={status} at={view?.at} onSignOut={() => onSignOut()} />
      {problem && (
        <p class="problem" role="alert" data-testid="live-problem">
          {status === 'refused' ? 'The gateway refused this view' : 'Waiting for the gateway'}: {problem}
        </p>
      )}
      <main class="grid">
        <ViewersPanel
          viewers={view?.viewers}
          at={at}
          charted={selection.streams}
          onChart={(streams) => choose({ streams })}
        />
        <RankingPanel
          ranking={view?.ranking}
          metric={selection.metric}
          window={selection.window}
          onMetric={(metric) => choose({ metric })}
          onWindow={(w) => choose({ window: w })}
        />
        <QueuePanel
          queue={view?.queue}
          queueId={selection.queue}
          known={view?.known.queues ?? []}
          onQueue={(queue) => choose({ queue })}
        />
        <PollPanel
          poll={view?.poll}
          pollId={selection.poll}
          known={view?.known.polls ?? []}
          at={at}
          onPoll={(poll) => choose({ poll })}
        />
        <WalletPanel userId={selection.wallet} outcomes={outcomes} at={at} onUser={(wallet) => choose({ wallet })} />
        <LagPanel lag={view?.lag} sideRecords={view?.sideRecords} />
      </main>
    </div>
  );
}

function Header({ status, at, onSignOut }: { status: LiveStatus; at: number | undefined; onSignOut: () => void }) {
  return (
    <header class="topbar">
      <Brand />
      <div class="status">
        <span class="server-time">
          server time <strong data-testid="server-time">{at === undefined ? '—' : clock(at)}</strong>
        </span>
        <span class={`pill ${status}`}>
          <span class="pulse" aria-hidden="true" />
          <span data-testid="live-status">{status}</span>
        </span>
        <button
          type="button"
          class="quiet"
          data-testid="sign-out"
          title="Forget the API key in this tab"
          onClick={onSignOut}
        >
          Sign out
        </button>
      </div>
    </header>
  );
}
