/**
 * The queue against what was sent: one ticket per join (a second join of a fan in line names the held ticket),
 * left and completed tickets as ended, the rest live; the first `capacity` live tickets in join order active and
 * never more; waiting positions 0..n-1 (docs/API.md: the number of waiting tickets ahead) in an order no client
 * can contradict ("accepted before sent" means ahead in line); and waiting + active + completed + left +
 * expired = tickets.
 *
 * Ended tickets are final: once a check has read one right, later checks read a sample of 200 of them again.
 */
import type { InvariantResult } from '../invariant-result.js';
import { mapConcurrently, type Gateway } from './gateway.js';
import type { QueueModel, TicketRecord } from './queue.js';
import { QUEUE_SETTINGS } from './queue.js';
import type { Random } from './random.js';
import { countsVerdict, ruleVerdict, unreadable } from './verdicts.js';

interface Summary {
  waiting: number;
  active: number;
  capacity: number;
  admittedTotal: number;
}

interface TicketView {
  ticketId: string;
  status: 'waiting' | 'active' | 'expired' | 'left' | 'completed';
  position: number;
  waitingTotal: number;
}

const ENDED_SAMPLE = 200;

interface Read {
  ticket: TicketRecord;
  /** undefined: 404, the queue does not know the ticket. */
  view: TicketView | undefined;
}

interface QueueRead {
  summary: Summary;
  live: TicketRecord[];
  tickets: Read[];
  /** Ended tickets verified by an earlier check and not read again this time. */
  verifiedEarlier: number;
  aliases: { alias: string; held: string; seen: string | undefined }[];
}

/** The queue, every live ticket, ended tickets not yet verified plus a sample of the others, a sample of aliases. */
async function readQueue(gateway: Gateway, model: QueueModel, random: Random): Promise<QueueRead> {
  const base = `/v1/queues/${model.queueId}`;
  const live = model.live();
  const ended = [...model.tickets.values()].filter((t) => t.ended);
  const unverified = ended.filter((t) => !model.verifiedEnded.has(t.ticketId));
  const resampled = random.shuffle(ended.filter((t) => model.verifiedEnded.has(t.ticketId))).slice(0, ENDED_SAMPLE);
  const summary = (await gateway.read<Summary>(base)).body;
  const tickets = await mapConcurrently([...live, ...unverified, ...resampled], 16, async (ticket) => {
    const { status, body } = await gateway.read<TicketView>(`${base}/tickets/${ticket.ticketId}`);
    return { ticket, view: status === 200 ? body : undefined };
  });
  const aliases = await mapConcurrently(
    random.shuffle([...model.aliases]).slice(0, ENDED_SAMPLE),
    16,
    async ([alias, held]) => ({
      alias,
      held,
      seen: (await gateway.read<TicketView>(`${base}/tickets/${alias}`)).body?.ticketId,
    }),
  );
  for (const r of tickets)
    if (r.ticket.ended && r.view?.status === r.ticket.ended) model.verifiedEnded.add(r.ticket.ticketId);
  return { summary, live, tickets, verifiedEarlier: ended.length - unverified.length - resampled.length, aliases };
}

export async function checkQueue(
  gateway: Gateway,
  model: QueueModel,
  random: Random,
  repeatDisagreements: string[],
): Promise<InvariantResult[]> {
  let read: QueueRead;
  try {
    read = await readQueue(gateway, model, random);
  } catch (error) {
    return [unreadable('queue', 'queue and tickets', error)];
  }
  const { summary, live, tickets, aliases } = read;
  const expectedActive = Math.min(QUEUE_SETTINGS.capacity, live.length);
  const waiting = tickets.filter((r) => r.view?.status === 'waiting');
  return [
    countsVerdict('queue', 'live tickets: active = min(capacity, live), waiting = the rest', 'tickets', [
      { key: 'active', expected: expectedActive, observed: summary.active },
      { key: 'waiting', expected: live.length - expectedActive, observed: summary.waiting },
    ]),
    ruleVerdict(
      'queue',
      'active never exceeds capacity (now, and in every read during the load)',
      `≤ ${QUEUE_SETTINGS.capacity}`,
      model.samples.reads + 1,
      capacityProblems(summary, model),
    ),
    ticketsVerdict(tickets, read.verifiedEarlier, summary),
    ruleVerdict(
      'queue',
      'each ticket’s status: left and completed as sent, the others waiting or active',
      'as sent',
      tickets.length,
      tickets.flatMap(statusProblem),
    ),
    ruleVerdict(
      'queue',
      'waiting positions are 0..n-1 (tickets ahead) and waitingTotal = n',
      summary.waiting > 0 ? `0..${summary.waiting - 1}` : 'none waiting',
      waiting.length,
      positionProblems(waiting, summary.waiting),
    ),
    ruleVerdict(
      'queue',
      'first come, first served: no ticket ahead of one accepted before it was sent',
      'join order',
      tickets.length,
      orderProblems(tickets),
    ),
    ruleVerdict(
      'queue',
      'a second join of a fan in line names the ticket held; a repeated join the same ticket',
      'the held ticket',
      aliases.length,
      [
        ...aliases
          .filter((a) => a.seen !== a.held)
          .map((a) => `${a.alias} names ${a.seen ?? 'nothing (404)'}, the fan holds ${a.held}`),
        ...repeatDisagreements,
      ],
    ),
  ];
}

function capacityProblems(summary: Summary, model: QueueModel): string[] {
  const problems: string[] = [];
  if (summary.capacity !== QUEUE_SETTINGS.capacity) problems.push(`capacity reads ${summary.capacity}`);
  if (summary.active > summary.capacity) problems.push(`${summary.active} active now`);
  if (model.samples.overCapacity > 0)
    problems.push(
      `${model.samples.overCapacity} reads during the load above capacity (most ${model.samples.maxActive})`,
    );
  return problems;
}

/** waiting + active + completed + left + expired = tickets, with ended tickets verified earlier counted as such. */
function ticketsVerdict(reads: Read[], verifiedEarlier: number, summary: Summary): InvariantResult {
  const byStatus = (status: TicketView['status']) => reads.filter((r) => r.view?.status === status).length;
  const ended = byStatus('completed') + byStatus('left') + byStatus('expired');
  const expected = reads.length + verifiedEarlier;
  const observed = summary.waiting + summary.active + ended + verifiedEarlier;
  const unknown = reads.filter((r) => !r.view).length;
  const lost = Math.max(0, expected - observed);
  const doubled = Math.max(0, observed - expected);
  return {
    product: 'queue',
    invariant: 'waiting + active + completed + left + expired = tickets (one per first join)',
    ok: observed === expected && unknown === 0,
    expected: `${expected} tickets`,
    observed:
      `${summary.waiting} waiting + ${summary.active} active + ${byStatus('completed')} completed + ${byStatus('left')} left + ${byStatus('expired')} expired` +
      ` (+ ${verifiedEarlier} ended, verified before) = ${observed}; ${unknown} unknown to the queue; lost ${lost}, doubled ${doubled}`,
    lost,
    doubled,
  };
}

function statusProblem({ ticket, view }: Read): string[] {
  if (!view) return [`${ticket.ticketId} (${ticket.userId}) is unknown to the queue`];
  const fine = ticket.ended ? view.status === ticket.ended : view.status === 'waiting' || view.status === 'active';
  return fine ? [] : [`${ticket.ticketId} is ${view.status}, expected ${ticket.ended ?? 'waiting or active'}`];
}

function positionProblems(waiting: Read[], total: number): string[] {
  const problems: string[] = [];
  const positions = waiting.map((r) => r.view!.position).sort((a, b) => a - b);
  if (positions.some((p, i) => p !== i) || positions.length !== total)
    problems.push(`positions ${abbreviate(positions)} for ${total} waiting`);
  for (const r of waiting)
    if (r.view!.waitingTotal !== total) problems.push(`${r.ticket.ticketId} says waitingTotal ${r.view!.waitingTotal}`);
  return problems;
}

/**
 * The line as the queue shows it (active tickets first, then waiting ones by position) must not put a ticket
 * ahead of one whose join was accepted before this one's was even sent: Kafka had that one first.
 */
function orderProblems(reads: Read[]): string[] {
  const active = reads.filter((r) => r.view?.status === 'active');
  const waiting = reads.filter((r) => r.view?.status === 'waiting').sort((a, b) => a.view!.position - b.view!.position);
  const problems: string[] = [];
  // walk from the back: `earliestBehind` is the earliest acceptance among the tickets behind the current one
  let earliestBehind = Number.POSITIVE_INFINITY;
  let behindId = '';
  for (let i = waiting.length - 1; i >= 0; i--) {
    const t = waiting[i]!.ticket;
    if (earliestBehind < t.joinFirstSentAtMs)
      problems.push(
        `${behindId} waits behind ${t.ticketId} (position ${waiting[i]!.view!.position}) though accepted before it was sent`,
      );
    if (t.joinAcceptedAtMs < earliestBehind) [earliestBehind, behindId] = [t.joinAcceptedAtMs, t.ticketId];
  }
  for (const r of active) {
    if (earliestBehind < r.ticket.joinFirstSentAtMs)
      problems.push(`${r.ticket.ticketId} is active while ${behindId}, accepted before it was sent, waits`);
  }
  return problems;
}

const abbreviate = (numbers: number[]) =>
  numbers.length > 12 ? `${numbers.slice(0, 6).join(',')},…,${numbers.slice(-6).join(',')}` : numbers.join(',');
