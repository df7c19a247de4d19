import { fileURLToPath } from 'node:url';
import { PartitionReadiness, defineScripts, script, type Redis, type ScriptRunner } from '@tally/storage';
import type { Ticket, TicketStatus } from '../domain/tickets.js';
import type { QueueChange } from '../apply-queue-commands.js';
import type { QueueProjectionPort } from '../queue-admitter.js';

export interface LiveTicketView {
  ticketId: string;
  userId: string;
  status: TicketStatus;
  admittedAtMs: number | null;
  expiresAtMs: number | null;
  position: number;
  waitingTotal: number;
  admissionRate: number;
}

/**
 * The queues' read model in Redis, written only from committed Postgres changes. Keys per queue share the hash
 * tag `{q:<queueId>}`; `<prefix>:{ready}:p<partition>` marks a partition whose queues are all in Redis.
 */
export class QueueProjection implements QueueProjectionPort {
  private readonly readiness: PartitionReadiness;
  private readonly projectQueue: ScriptRunner;
  private readonly readTicket: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.readiness = new PartitionReadiness(redis, prefix);
    const lua = (name: string) => fileURLToPath(new URL(`./lua/${name}.lua`, import.meta.url));
    defineScripts(redis, {
      projectQueue: { file: lua('project-queue'), keys: 5 },
      readTicket: { file: lua('read-ticket'), keys: 4 },
    });
    this.projectQueue = script(redis, 'projectQueue');
    this.readTicket = script(redis, 'readTicket');
  }

  private keys(queueId: string) {
    const tag = `${this.prefix}:{q:${queueId}}`;
    return {
      waiting: `${tag}:waiting`,
      active: `${tag}:active`,
      tickets: `${tag}:tickets`,
      meta: `${tag}:meta`,
      aliases: `${tag}:aliases`,
    };
  }

  async project(changes: QueueChange[]): Promise<void> {
    await Promise.all(
      changes.map((c) => {
        const k = this.keys(c.queueId);
        const args: (string | number)[] = [
          c.settings.capacity,
          c.settings.activeSeconds,
          c.admittedTotal,
          c.admissionRate,
          c.tickets.length,
        ];
        for (const t of c.tickets)
          args.push(t.ticketId, t.userId, t.status, t.joinOrder, t.admittedAtMs ?? '', t.expiresAtMs ?? '');
        for (const [alias, live] of c.aliases) args.push(alias, live);
        return this.projectQueue(k.waiting, k.active, k.tickets, k.meta, k.aliases, ...args);
      }),
    );
  }

  /** Replaces what Redis holds of these queues with their full live state (a rebuild). */
  async replace(changes: QueueChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.redis.del(
      ...changes.flatMap((c) => Object.values(this.keys(c.queueId)).filter((key) => !key.endsWith(':aliases'))),
    );
    await this.project(changes);
  }

  /** A live ticket as Redis knows it, or undefined (ended, unknown, or Redis does not hold it). */
  async ticket(queueId: string, ticketId: string): Promise<LiveTicketView | undefined> {
    const k = this.keys(queueId);
    const [id, json, rank, total, rate] = (await this.readTicket(
      k.waiting,
      k.tickets,
      k.meta,
      k.aliases,
      ticketId,
    )) as [string, string | null, number, number, string];
    if (!json) return undefined;
    const t = JSON.parse(json) as Pick<Ticket, 'userId' | 'status' | 'admittedAtMs' | 'expiresAtMs'>;
    return {
      ticketId: id,
      userId: t.userId,
      status: t.status,
      admittedAtMs: t.admittedAtMs ?? null,
      expiresAtMs: t.expiresAtMs ?? null,
      position: Math.max(0, Number(rank)),
      waitingTotal: Number(total),
      admissionRate: Number(rate),
    };
  }

  async queue(
    queueId: string,
  ): Promise<{ waiting: number; active: number; capacity: number; admittedTotal: number } | undefined> {
    const k = this.keys(queueId);
    const [waiting, active, meta] = await Promise.all([
      this.redis.zcard(k.waiting),
      this.redis.zcard(k.active),
      this.redis.hgetall(k.meta),
    ]);
    if (!meta.capacity) return undefined;
    return { waiting, active, capacity: Number(meta.capacity), admittedTotal: Number(meta.admittedTotal) };
  }

  /** Partitions whose state is not all in Redis (after a wipe, before their owner rebuilt them). */
  partitionsNotReady(partitions: number[]): Promise<number[]> {
    return this.readiness.notReady(partitions);
  }

  markReady(partition: number): Promise<void> {
    return this.readiness.markReady(partition);
  }
}
