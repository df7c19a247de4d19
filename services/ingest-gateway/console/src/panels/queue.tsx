import { useEffect, useState } from 'preact/hooks';
import { Card, Empty, ErrorNote } from '../card';
import { Choices, CommitInput, LookupRow } from '../inputs';
import { fetchTicket, type Fetched, type TicketView } from '../api';
import { duration, formatCount, plain } from '../format';
import type { ConsoleView } from '../view';

type QueueView = NonNullable<ConsoleView['queue']>;

interface QueueProps {
  queue: ConsoleView['queue'] | undefined;
  queueId: string;
  known: string[];
  onQueue: (queueId: string) => void;
}

/** One waiting queue: how many wait, how many are in, how fast it admits; and one ticket's place in it. */
export function QueuePanel({ queue, queueId, known, onQueue }: QueueProps) {
  const current = queue && queue.queueId === queueId ? queue : undefined;
  return (
    <Card
      area="queue"
      title="Waiting queue"
      hint="First come, first served; the server admits"
      tools={
        <>
          <CommitInput
            label="Queue"
            testId="queue-id"
            value={queueId}
            list="known-queues"
            placeholder="queue id"
            width="9rem"
            onCommit={onQueue}
          />
          <Choices id="known-queues" values={known} />
        </>
      }
    >
      {!queueId ? (
        <Empty>Choose a queue to follow.</Empty>
      ) : current ? (
        <QueueFigures queue={current} />
      ) : (
        <Empty>Waiting for queue {queueId}…</Empty>
      )}
      <TicketLookup queueId={queueId} />
    </Card>
  );
}

function QueueFigures({ queue }: { queue: QueueView }) {
  if (queue.error) return <ErrorNote message={queue.error} />;
  const share = queue.capacity > 0 ? Math.min(1, queue.active / queue.capacity) : 0;
  return (
    <>
      <div class="figures">
        <Figure label="waiting" testId="queue-waiting" value={queue.waiting} emphasis />
        <Figure label="active" testId="queue-active" value={queue.active} />
        <Figure label="capacity" testId="queue-capacity" value={queue.capacity} />
        <Figure label="admitted" testId="queue-admitted-total" value={queue.admittedTotal} />
        <Figure label="admitted / min" testId="queue-admission-rate" value={queue.admissionsPerMinute} />
        <Figure label="outflow / min" testId="queue-outflow" value={queue.outflowPerMinute} />
      </div>
      <p class="settings" data-testid="queue-settings">
        <strong data-testid="queue-state">{queue.state}</strong>
        {' · '}
        {formatCount(queue.capacity)} at once for {duration(queue.activeSeconds)}
        {queue.admitPerMinute !== null && <> · at most {formatCount(queue.admitPerMinute)} / min</>}
        {queue.opensAt !== null && <> · opens {new Date(queue.opensAt).toLocaleString()}</>}
        {queue.abandonSeconds !== null && <> · drops the unseen after {duration(queue.abandonSeconds)}</>}
        {' · '}a newcomer waits about{' '}
        <span data-testid="queue-newcomer-wait">{duration(queue.newcomerWaitSeconds)}</span>
      </p>
      <div class="meter" title={`${queue.active} of ${queue.capacity} slots in use`}>
        <div class="meter-track">
          <div class={`meter-fill${share >= 1 ? ' full' : ''}`} style={{ width: `${share * 100}%` }} />
        </div>
        <span class="meter-label">
          {formatCount(queue.active)} / {formatCount(queue.capacity)} active
        </span>
      </div>
    </>
  );
}

function Figure({
  label,
  testId,
  value,
  emphasis,
}: {
  label: string;
  testId: string;
  value: number;
  emphasis?: boolean;
}) {
  return (
    <div class={`figure${emphasis ? ' emphasis' : ''}`}>
      <span class="figure-value" data-testid={testId}>
        {plain(value)}
      </span>
      <span class="figure-label">{label}</span>
    </div>
  );
}

function TicketLookup({ queueId }: { queueId: string }) {
  const [ticketId, setTicketId] = useState('');
  const [result, setResult] = useState<Fetched<TicketView> | undefined>();
  useEffect(() => setResult(undefined), [queueId]);

  const lookUp = async (e: Event) => {
    e.preventDefault();
    const id = ticketId.trim();
    if (!queueId) return setResult({ ok: false, message: 'Choose a queue first.' });
    if (!id) return setResult({ ok: false, message: 'Enter a ticket id.' });
    setResult(await fetchTicket(queueId, id));
  };

  return (
    <div class="lookup">
      <LookupRow
        value={ticketId}
        onInput={setTicketId}
        onLookUp={lookUp}
        testId="ticket-id"
        buttonTestId="ticket-lookup"
        label="Ticket id"
        button="Look up ticket"
      />
      {result && (result.ok ? <TicketResult ticket={result.value} /> : <ErrorNote message={result.message} />)}
    </div>
  );
}

function TicketResult({ ticket }: { ticket: TicketView }) {
  return (
    <div class="ticket">
      <span class={`badge status-${ticket.status}`} data-testid="ticket-status">
        {ticket.status}
      </span>
      {ticket.position === null ? (
        <span>
          in the pre-queue of {formatCount(ticket.waitingTotal)}: a place is drawn at{' '}
          {new Date(ticket.opensAt ?? 0).toLocaleTimeString()}
        </span>
      ) : (
        <span>
          position <strong data-testid="ticket-position">{ticket.position}</strong> of{' '}
          {formatCount(ticket.waitingTotal)} waiting
        </span>
      )}
      {ticket.status === 'waiting' && <span class="muted">≈ {duration(ticket.estimatedWaitSeconds)} to go</span>}
      {ticket.expiresAt !== undefined && (
        <span class="muted">in until {new Date(ticket.expiresAt).toLocaleTimeString()}</span>
      )}
    </div>
  );
}
