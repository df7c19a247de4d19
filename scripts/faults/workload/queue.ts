/**
 * The waiting queue: fans join (each once; now and then a fan joins again while still in line, which must name
 * the ticket they hold), some give up (leave), and fans whose ticket is active finish (complete), as a client
 * polling its ticket would. One source sends all of a fan's writes, in order. Active tickets last a day, so
 * nothing expires during a run and who is active follows from the writes alone: the first `capacity` live
 * tickets in join order.
 *
 * A join answers the ticket's id and its secret; the fans poll their tickets with the secret, as a client
 * holding a ticket does (no key), while the checks read every ticket with the run's key (queues:read).
 *
 * Join order is the order the admitter read the joins in, which the public API does not show; what the client
 * knows for sure is "accepted before sent": a join the gateway acknowledged before another was sent is ahead of
 * it on the queue's partition. Every ticket keeps those two times for the check.
 */
import type { TrafficContext } from './context.js';
import type { Answer } from './gateway.js';
import { SourcePool, type Source } from './sources.js';

export const QUEUE_SETTINGS = { capacity: 25, activeSeconds: 86_400 };
/** Above this many live tickets, fans join less and leave more, so the line stays a few hundred long. */
const TARGET_LIVE = 300;

export interface TicketRecord {
  ticketId: string;
  /** What the join handed the fan to read its ticket with. */
  ticketSecret: string;
  userId: string;
  owner: Source;
  joinFirstSentAtMs: number;
  joinAcceptedAtMs: number;
  /** Set when the leave or complete is sent (it is applied: nothing else ends a ticket during a run). */
  ended?: 'left' | 'completed';
}

export class QueueModel {
  /** By ticket id, once the join was accepted (the answer names the ticket). */
  readonly tickets = new Map<string, TicketRecord>();
  /** A second join of a fan in line → the ticket the fan holds. */
  readonly aliases = new Map<string, string>();
  readonly sent = { joins: 0, rejoins: 0, leaves: 0, completes: 0 };
  /** GET /v1/queues/{id} during the load: how often read, the most active seen, reads above capacity. */
  readonly samples = { reads: 0, maxActive: 0, overCapacity: 0 };
  /** Ended tickets already seen right by a check: later checks read only a sample of them. */
  readonly verifiedEnded = new Set<string>();
  joinsInFlight = 0;

  constructor(readonly queueId: string) {}

  live(): TicketRecord[] {
    return [...this.tickets.values()].filter((t) => !t.ended);
  }
}

export class QueueTraffic {
  readonly pool: SourcePool;
  /** Per source: its fans' live tickets that nothing is ending yet. */
  private readonly owned: TicketRecord[][];
  /** Live tickets in the order their joins were accepted: the ones at the front are polled for admission. */
  private byAcceptance: TicketRecord[] = [];
  private fans = 0;

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: QueueModel,
    sourceCount: number,
  ) {
    this.pool = new SourcePool(`${ctx.tag}.queue`, sourceCount, ctx.gateway, ctx.stats);
    this.owned = this.pool.sources.map(() => []);
  }

  next(): boolean {
    const { random } = this.ctx;
    const source = this.pool.pick(random);
    if (!source) return false;
    const mine = this.owned[source.index]!;
    const joinShare = this.liveCount() > TARGET_LIVE ? 0.35 : 0.7;
    const roll = random.next();
    if (roll < 0.1 && mine.length > 0) this.rejoin(source, random.pick(mine));
    else if (roll < 0.1 + joinShare || mine.length === 0) this.join(source, `${this.ctx.tag}-queuefan-${this.fans++}`);
    else this.end(random.pick(mine), 'left');
    return true;
  }

  /** What a client polling its ticket does: reads the front of the line and completes some of the active ones. */
  async poll(): Promise<void> {
    const { gateway, random } = this.ctx;
    const summary = await gateway
      .read<{ active: number; capacity: number }>(`/v1/queues/${this.model.queueId}`, 2)
      .catch(() => undefined);
    if (summary?.status === 200) {
      this.model.samples.reads++;
      this.model.samples.maxActive = Math.max(this.model.samples.maxActive, summary.body.active);
      if (summary.body.active > summary.body.capacity) this.model.samples.overCapacity++;
    }
    this.byAcceptance = this.byAcceptance.filter((t) => !t.ended);
    for (const ticket of this.byAcceptance.slice(0, 8)) {
      const read = await gateway
        .read<{ status: string }>(`/v1/queues/${this.model.queueId}/tickets/${ticket.ticketId}`, 2, ticket.ticketSecret)
        .catch(() => undefined);
      if (read?.status === 200 && read.body.status === 'active' && !ticket.ended && random.chance(0.3))
        this.end(ticket, 'completed');
    }
  }

  private liveCount(): number {
    return this.byAcceptance.length + this.model.joinsInFlight;
  }

  private join(source: Source, userId: string): void {
    this.model.sent.joins++;
    this.model.joinsInFlight++;
    const request = {
      method: 'POST' as const,
      path: `/v1/queues/${this.model.queueId}/tickets`,
      body: { source: source.name, seq: source.nextSeq(), userId },
    };
    source.send({
      product: 'queue',
      request,
      onAccepted: (answer, timing) => {
        this.model.joinsInFlight--;
        const { ticketId, ticketSecret } = ticketOf(answer);
        const ticket: TicketRecord = {
          ticketId,
          ticketSecret,
          userId,
          owner: source,
          joinFirstSentAtMs: timing.firstSentAtMs,
          joinAcceptedAtMs: timing.acceptedAtMs,
        };
        this.model.tickets.set(ticketId, ticket);
        this.owned[source.index]!.push(ticket);
        this.byAcceptance.push(ticket);
        this.ctx.repeats.offer({
          product: 'queue',
          request,
          checkRepeat: (repeat) => sameTicket(repeat, ticketId, ticketSecret),
        });
      },
    });
  }

  /** A fan still in line joins again: the admitter must answer with the ticket the fan holds. */
  private rejoin(source: Source, held: TicketRecord): void {
    this.model.sent.rejoins++;
    const request = {
      method: 'POST' as const,
      path: `/v1/queues/${this.model.queueId}/tickets`,
      body: { source: source.name, seq: source.nextSeq(), userId: held.userId },
    };
    source.send({
      product: 'queue',
      request,
      onAccepted: (answer) => {
        const alias = ticketOf(answer);
        this.model.aliases.set(alias.ticketId, held.ticketId);
        this.ctx.repeats.offer({
          product: 'queue',
          request,
          checkRepeat: (repeat) => sameTicket(repeat, alias.ticketId, alias.ticketSecret),
        });
      },
    });
  }

  private end(ticket: TicketRecord, how: 'left' | 'completed'): void {
    ticket.ended = how;
    this.model.sent[how === 'left' ? 'leaves' : 'completes']++;
    const mine = this.owned[ticket.owner.index]!;
    const at = mine.indexOf(ticket);
    if (at >= 0) mine.splice(at, 1);
    const path = `/v1/queues/${this.model.queueId}/tickets/${ticket.ticketId}`;
    // the owner sends it, after everything it sent for this fan before
    ticket.owner.send({
      product: 'queue',
      request: how === 'left' ? { method: 'DELETE', path } : { method: 'POST', path: `${path}/complete` },
    });
  }
}

function ticketOf(answer: Answer): { ticketId: string; ticketSecret: string } {
  const { ticketId, ticketSecret } = answer.body as { ticketId?: unknown; ticketSecret?: unknown };
  if (typeof ticketId !== 'string' || typeof ticketSecret !== 'string')
    throw new Error(`a join was accepted without a ticketId and ticketSecret: ${JSON.stringify(answer.body)}`);
  return { ticketId, ticketSecret };
}

/** A repeated join must hand out the same ticket, and the same secret to read it with. */
const sameTicket = (answer: Answer, ticketId: string, ticketSecret: string) => {
  const repeated = answer.body as { ticketId?: unknown; ticketSecret?: unknown };
  if (repeated.ticketId !== ticketId)
    return `a repeated join answered ticket ${String(repeated.ticketId)}, the first answer was ${ticketId}`;
  return repeated.ticketSecret === ticketSecret
    ? undefined
    : `a repeated join of ${ticketId} answered another ticketSecret than the first`;
};
