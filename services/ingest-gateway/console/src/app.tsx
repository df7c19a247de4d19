import { useEffect, useState } from 'preact/hooks';
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

/**
 * The console: one live stream for the current selection (reopened when it changes) and six panels.
 * Each `state` message replaces the whole view.
 */
export function App() {
  const [selection, setSelection] = useState<Selection>(() => selectionFromQuery(window.location.search));
  const [view, setView] = useState<ConsoleView | null>(null);
  const [status, setStatus] = useState<LiveStatus>('reconnecting');
  const [problem, setProblem] = useState<string | undefined>();
  const query = selectionParams(selection).toString();

  useEffect(() => {
    window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
    return subscribe(new URLSearchParams(query), {
      onView: setView,
      onStatus: (next, why) => {
        setStatus(next);
        setProblem(why);
      },
    });
  }, [query]);

  const choose = (patch: Partial<Selection>) => setSelection((s) => ({ ...s, ...patch }));
  const at = view?.at ?? Date.now();
  const outcomes = view?.wallet && view.wallet.userId === selection.wallet ? view.wallet.outcomes : undefined;

  return (
    <div class="page">
      <Header status={status} at={view?.at} />
      {problem && (
        <p class="problem" role="alert" data-testid="live-problem">
          The gateway refused this view: {problem}
        </p>
      )}
      <main class="grid">
        <ViewersPanel viewers={view?.viewers} at={at} charted={selection.streams} onChart={(streams) => choose({ streams })} />
        <RankingPanel
          ranking={view?.ranking}
          metric={selection.metric}
          window={selection.window}
          onMetric={(metric) => choose({ metric })}
          onWindow={(w) => choose({ window: w })}
        />
        <QueuePanel queue={view?.queue} queueId={selection.queue} known={view?.known.queues ?? []} onQueue={(queue) => choose({ queue })} />
        <PollPanel poll={view?.poll} pollId={selection.poll} known={view?.known.polls ?? []} at={at} onPoll={(poll) => choose({ poll })} />
        <WalletPanel userId={selection.wallet} outcomes={outcomes} onUser={(wallet) => choose({ wallet })} />
        <LagPanel lag={view?.lag} sideRecords={view?.sideRecords} />
      </main>
    </div>
  );
}

function Header({ status, at }: { status: LiveStatus; at: number | undefined }) {
  return (
    <header class="topbar">
      <div class="brand">
        <span class="logo" aria-hidden="true">
          T
        </span>
        <h1>Tally console</h1>
        <span class="tagline">real-time counting on Kafka</span>
      </div>
      <div class="status">
        <span class="server-time">
          server time <strong data-testid="server-time">{at === undefined ? '—' : clock(at)}</strong>
        </span>
        <span class={`pill ${status}`}>
          <span class="pulse" aria-hidden="true" />
          <span data-testid="live-status">{status}</span>
        </span>
      </div>
    </header>
  );
}
