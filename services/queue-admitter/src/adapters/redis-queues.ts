import { fileURLToPath } from 'node:url';
import { PartitionReadiness, defineScripts, script, type Redis, type ScriptRunner } from '@tally/storage';
import type { Ticket, TicketStatus } from '../domain/tickets.js';
import type { QueueChange } from '../apply-queue-commands.js';
import type { QueueFigures, QueueProjectionPort } from '../queue-admitter.js';

export interface LiveTicketView {
  ticketId: string;
  userId: string;
  status: TicketStatus;
  admittedAtMs: number | null;
  expiresAtMs: number | null;
  position: number;
  waitingTotal: number;
  /** What the ticket's wait is estimated from. */
  line: QueueLine;
}

/** A queue's figures and what a wait estimate needs of it. */
export interface QueueLine extends QueueFigures {
  /** The expiry of the active ticket whose slot the asked position gets (null: a free slot). */
  slotExpiresAtMs: number | null;
}

/**
 * The queues' read model in Redis, written only from committed Postgres changes. Keys per queue share the hash
 * tag `{q:<queueId>}`; `<prefix>:{ready}:p<partition>` marks a partition whose queues are all in Redis.
 */
export class QueueProjection implements QueueProjectionPort {
  private readonly readiness: PartitionReadiness;
  private readonly projectQueue: ScriptRunner;
  private readonly readTicket: ScriptRunner;
  private readonly readQueue: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.readiness = new PartitionReadiness(redis, prefix);
    const lua = (name: string) => fileURLToPath(new URL(`./lua/${name}.lua`, import.meta.url));
    defineScripts(redis, {
      projectQueue: { file: lua('project-queue'), keys: 6 },
      readTicket: { file: lua('read-ticket'), keys: 6 },
      readQueue: { file: lua('read-queue'), keys: 3 },
    });
    this.projectQueue = script(redis, 'projectQueue');
    this.readTicket = script(redis, 'readTicket');
    this.readQueue = script(redis, 'readQueue');
  }

  private keys(queueId: string) {
    const tag = `${this.prefix}:{q:${queueId}}`;
    return {
      waiting: `${tag}:waiting`,
      active: `${tag}:active`,
      tickets: `${tag}:tickets`,
      meta: `${tag}:meta`,
      aliases: `${tag}:aliases`,
      seen: `${tag}:seen`,
    };
  }

  /** Writes committed changes; a ticket that starts waiting is seen at `nowMs` (joining counts as being seen). */
  async project(changes: QueueChange[], nowMs = Date.now()): Promise<void> {
    await Promise.all(
      changes.map((c) => {
        const k = this.keys(c.queueId);
        const { settings } = c;
        const args: (string | number)[] = [
          settings.capacity,
          settings.activeSeconds,
          settings.admitPerMinute ?? '',
          settings.opensAtMs ?? '',
          settings.abandonSeconds ?? '',
          settings.paused ? 1 : 0,
          c.settingsVersion,
          c.observedHoldMs ?? '',
          c.admittedTotal,
          c.admittedLastMinute,
          nowMs,
          c.tickets.length,
        ];
        for (const t of c.tickets)
          args.push(t.ticketId, t.userId, t.status, t.joinOrder, t.admittedAtMs ?? '', t.expiresAtMs ?? '');
        for (const [alias, live] of c.aliases) args.push(alias, live);
        return this.projectQueue(k.waiting, k.active, k.tickets, k.meta, k.aliases, k.seen, ...args);
      }),
    );
  }

  /** Replaces what Redis holds of these queues with their full live state (a rebuild). */
  async replace(changes: QueueChange[]): Promise<void> {
    if (changes.length === 0) return;
    // one DEL per queue: a queue's keys share its hash tag, other queues' live in other slots
    await Promise.all(
      changes.map((c) =>
        this.redis.del(...Object.values(this.keys(c.queueId)).filter((key) => !key.endsWith(':aliases'))),
      ),
    );
    await this.project(changes);
  }

  /**
   * A live ticket as Redis knows it, or undefined (ended, unknown, or Redis does not hold it). Reading a waiting
   * ticket counts as its holder being seen at `nowMs`.
   */
  async ticket(queueId: string, ticketId: string, nowMs: number): Promise<LiveTicketView | undefined> {
    const k = this.keys(queueId);
    const [id, json, rank, waiting, active, slot, meta] = (await this.readTicket(
      k.waiting,
      k.tickets,
      k.meta,
      k.aliases,
      k.active,
      k.seen,
      ticketId,
      nowMs,
    )) as [string, string | null, number, number, number, string | null, string[]];
    if (!json) return undefined;
    const t = JSON.parse(json) as Pick<Ticket, 'userId' | 'status' | 'admittedAtMs' | 'expiresAtMs'>;
    return {
      ticketId: id,
      userId: t.userId,
      status: t.status,
      admittedAtMs: t.admittedAtMs ?? null,
      expiresAtMs: t.expiresAtMs ?? null,
      position: Math.max(0, Number(rank)),
      waitingTotal: Number(waiting),
      line: lineOf(pairs(meta), Number(waiting), Number(active), slot),
    };
  }

  /** A queue's figures, with the slot a join now would get; undefined if Redis does not hold the queue. */
  async queue(queueId: string): Promise<QueueLine | undefined> {
    const k = this.keys(queueId);
    const [waiting, active, slot, meta] = (await this.readQueue(k.waiting, k.active, k.meta)) as [
      number,
      number,
      string | null,
      string[],
    ];
    const fields = pairs(meta);
    if (!fields.capacity) return undefined;
    return lineOf(fields, Number(waiting), Number(active), slot);
  }

  /** Waiting tickets of a queue whose holders were last seen before `beforeMs`, at most `limit`. */
  unseenSince(queueId: string, beforeMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys(queueId).seen, '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
  }

  /** Partitions whose state is not all in Redis (after a wipe, before their owner rebuilt them). */
  partitionsNotReady(partitions: number[]): Promise<number[]> {
    return this.readiness.notReady(partitions);
  }

  markReady(partition: number): Promise<void> {
    return this.readiness.markReady(partition);
  }
}

const pairs = (flat: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
};
const orNull = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

/** The meta hash (see project-queue.lua) and the counts read beside it. */
function lineOf(meta: Record<string, string>, waiting: number, active: number, slot: string | null): QueueLine {
  return {
    settings: {
      capacity: Number(meta.capacity),
      activeSeconds: Number(meta.activeSeconds),
      admitPerMinute: orNull(meta.admitPerMinute),
      opensAtMs: orNull(meta.opensAtMs),
      abandonSeconds: orNull(meta.abandonSeconds),
      paused: meta.paused === '1',
    },
    settingsVersion: Number(meta.settingsVersion ?? 0),
    observedHoldMs: orNull(meta.observedHoldMs),
    waiting,
    active,
    admittedTotal: Number(meta.admittedTotal ?? 0),
    admittedLastMinute: Number(meta.admittedLastMinute ?? 0),
    slotExpiresAtMs: slot === null ? null : Number(slot),
  };
}
