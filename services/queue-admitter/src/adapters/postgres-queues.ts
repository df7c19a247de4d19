import { firstOfEachId } from '@tally/contracts';
import { advancePostgresFence, peekPostgresFence, readPostgresFence, type PartitionFence } from '@tally/idempotency';
import type { QueueEvent } from '@tally/schemas';
import { assertSqlIdentifier } from '@tally/config';
import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { QueueBatchStore, QueueChange } from '../apply-queue-commands.js';
import type { AdmissionViewPort, PartitionView, QueueFigures, QueueStorePort } from '../queue-admitter.js';
import { joinBody, type JoinBody, type JoinWrite } from '../domain/join-writes.js';
import { RATE_WINDOW_MS, type QueueSettings } from '../domain/outflow.js';
import {
  emptyQueue,
  isLive,
  type LoggedCommand,
  type QueueOutcome,
  type QueueState,
  type Ticket,
  type TicketEvent,
} from '../domain/tickets.js';

export type { QueueChange } from '../apply-queue-commands.js';
export type { PartitionView } from '../queue-admitter.js';

/** A queue's public figures as Postgres holds them (see QueueProjection.queue for Redis's). */
export interface StoredQueueFigures extends QueueFigures {
  /** The soonest expiry of an active ticket (null: none active). */
  nextExpiryMs: number | null;
}

const TICKET_COLUMNS = 'queue_id, ticket_id, user_id, status, join_order, admitted_at_ms, expires_at_ms';
const QUEUE_COLUMNS =
  'queue_id, capacity, active_seconds, admit_per_minute, opens_at_ms, abandon_seconds, paused, settings_version, ' +
  'pre_queue_seed, pre_queue_through, observed_hold_ms, admitted_total, active_count, admitted_through, clock_ms';

type Queryable = Pick<Pool, 'query'>;

export interface QueueStoreOptions {
  /** The fence is per consumer group and topic: a second deployment (a rebuild) keeps its own. */
  group: string;
  topic: string;
  /** Fill the event outbox (the admitter); a follower builds the same state and publishes nothing. */
  publishEvents: boolean;
}

/**
 * Queues and tickets in Postgres. A batch of a partition's records is one transaction under the partition's
 * advisory lock (inPartition): the use case (apply-queue-commands.ts) reads the offset fence, loads what the
 * records past it touch, folds them (domain/tickets.ts), writes the result, the outbox's events and the fence.
 * The admission round reads its view under the same lock, so it sees whole batches only, and the fence it read
 * is the basis of its decisions.
 */
export class QueueStore implements QueueStorePort, AdmissionViewPort {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly options: QueueStoreOptions,
  ) {
    assertSqlIdentifier(schema);
  }

  private lock(db: PoolClient, partition: number) {
    return db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.schema}/queue-commands/p${partition}`]);
  }

  private fence(partition: number): PartitionFence {
    return { group: this.options.group, topic: this.options.topic, partition };
  }

  /** Runs `work` in one transaction holding the partition's advisory lock; it commits when `work` returns. */
  inPartition<T>(partition: number, work: (batch: QueueBatchStore) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (db) => {
      await this.lock(db, partition);
      return work(
        new PostgresQueueBatch(db, this.schema, this.fence(partition), partition, this.options.publishEvents),
      );
    });
  }

  /**
   * What the admission round decides from, for every queue of the partition: settings, active count, the
   * active tickets whose time is up by `nowMs`, the front of the waiting line; and the fence it was read at.
   */
  async admissionView(partition: number, nowMs: number, maxTickets: number): Promise<PartitionView> {
    return inTransaction(this.pool, async (db) => {
      await this.lock(db, partition);
      const appliedThrough = await this.appliedThrough(partition, db);
      const { rows: queues } = await db.query(
        `SELECT ${QUEUE_COLUMNS} FROM ${this.schema}.queues WHERE partition = $1`,
        [partition],
      );
      if (queues.length === 0) return { appliedThrough, queues: [] };
      const ids = queues.map((q) => q.queue_id as string);
      const due = await db.query(
        `SELECT q.queue_id, t.ticket_id, t.expires_at_ms FROM unnest($1::text[]) AS q(queue_id)
         CROSS JOIN LATERAL (SELECT ticket_id, expires_at_ms FROM ${this.schema}.tickets a
                             WHERE a.queue_id = q.queue_id AND a.status = 'active' AND a.expires_at_ms <= $2 ORDER BY a.expires_at_ms LIMIT $3) t`,
        [ids, nowMs, maxTickets],
      );
      const heads = await db.query(
        `SELECT q.queue_id, t.ticket_id FROM unnest($1::text[], $2::int[]) AS q(queue_id, n)
         CROSS JOIN LATERAL (SELECT ticket_id FROM ${this.schema}.tickets w
                             WHERE w.queue_id = q.queue_id AND w.status = 'waiting' ORDER BY w.join_order LIMIT q.n) t`,
        [ids, queues.map((q) => Math.min(q.capacity as number, maxTickets))],
      );
      const dueBy = groupBy(due.rows, (r) => r.queue_id as string);
      const headsBy = groupBy(heads.rows, (r) => r.queue_id as string);
      // only admitPerMinute needs them here, and this runs every round for every queue of the partition
      const paced = queues.filter((q) => q.admit_per_minute !== null).map((q) => q.queue_id as string);
      const recent = await recentAdmissions(db, this.schema, paced);
      return {
        appliedThrough,
        queues: queues.map((q) => ({
          queueId: q.queue_id as string,
          settings: settingsOf(q),
          recentAdmissions: recent.get(q.queue_id as string) ?? [],
          activeCount: Number(q.active_count),
          active: (dueBy.get(q.queue_id as string) ?? []).map((r) => ({
            ticketId: r.ticket_id as string,
            expiresAtMs: Number(r.expires_at_ms),
          })),
          waitingHead: (headsBy.get(q.queue_id as string) ?? []).map((r) => r.ticket_id as string),
        })),
      };
    });
  }

  /** The last offset applied in the partition (-1: none), without locking it. */
  appliedThrough(partition: number, db: Queryable = this.pool): Promise<number> {
    return peekPostgresFence(db, this.schema, this.fence(partition));
  }

  /** Per queue, the tickets admitted after `sinceMs`: the count behind its admission rate. */
  admittedSince(windows: { queueId: string; sinceMs: number }[]): Promise<Map<string, number>> {
    return admittedSince(this.pool, this.schema, windows);
  }

  /** Events not yet acknowledged by Kafka, oldest first; `done` deletes them once they are. */
  async pendingEvents(partitions: number[], limit = 5000): Promise<{ ids: number[]; events: QueueEvent[] }> {
    const { rows } = await this.pool.query(
      `SELECT id, event FROM ${this.schema}.event_outbox WHERE partition = ANY($1::int[]) ORDER BY id LIMIT $2`,
      [partitions, limit],
    );
    return { ids: rows.map((r) => Number(r.id)), events: rows.map((r) => r.event as QueueEvent) };
  }

  async eventsPublished(ids: number[]): Promise<void> {
    if (ids.length > 0)
      await this.pool.query(`DELETE FROM ${this.schema}.event_outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Everything Redis shows of the queues of a partition but the admission rates, for a rebuild after Redis was lost. */
  async snapshot(partition: number): Promise<Omit<QueueChange, 'admittedLastMinute'>[]> {
    const { rows: queues } = await this.pool.query(
      `SELECT ${QUEUE_COLUMNS} FROM ${this.schema}.queues WHERE partition = $1`,
      [partition],
    );
    const ids = queues.map((q) => q.queue_id as string);
    const { rows: live } = await this.pool.query(
      `SELECT ${TICKET_COLUMNS} FROM ${this.schema}.tickets WHERE queue_id = ANY($1::text[]) AND status IN ('waiting', 'active')`,
      [ids],
    );
    const liveBy = groupBy(live, (r) => r.queue_id as string);
    return queues.map((q) => ({
      queueId: q.queue_id as string,
      settings: settingsOf(q),
      settingsVersion: Number(q.settings_version),
      observedHoldMs: q.observed_hold_ms === null ? null : Number(q.observed_hold_ms),
      admittedTotal: Number(q.admitted_total),
      clockMs: Number(q.clock_ms),
      tickets: (liveBy.get(q.queue_id as string) ?? []).map(ticketOf),
      aliases: [] as [string, string][],
    }));
  }

  /** One ticket from Postgres (aliases resolved), with its exact position if it waits: the fallback read. */
  async ticket(
    queueId: string,
    ticketId: string,
  ): Promise<{ ticket: Ticket; position: number; waitingTotal: number } | undefined> {
    const { rows: alias } = await this.pool.query(
      `SELECT live_ticket_id FROM ${this.schema}.ticket_aliases WHERE queue_id = $1 AND ticket_id = $2`,
      [queueId, ticketId],
    );
    const id = (alias[0]?.live_ticket_id as string | undefined) ?? ticketId;
    const { rows } = await this.pool.query(
      `SELECT * FROM ${this.schema}.tickets WHERE queue_id = $1 AND ticket_id = $2`,
      [queueId, id],
    );
    if (!rows[0]) return undefined;
    const ticket = ticketOf(rows[0]);
    if (ticket.status !== 'waiting') return { ticket, position: 0, waitingTotal: 0 };
    const { rows: counts } = await this.pool.query(
      `SELECT count(*) FILTER (WHERE join_order < $2)::int AS ahead, count(*)::int AS total FROM ${this.schema}.tickets WHERE queue_id = $1 AND status = 'waiting'`,
      [queueId, ticket.joinOrder],
    );
    return { ticket, position: counts[0].ahead, waitingTotal: counts[0].total };
  }

  /** A ticket's status alone (aliases resolved), by primary key: what verifying an admission token needs. */
  async ticketStatus(queueId: string, ticketId: string): Promise<Ticket['status'] | undefined> {
    const { rows } = await this.pool.query(
      `SELECT t.status FROM ${this.schema}.tickets t
       WHERE t.queue_id = $1 AND t.ticket_id = COALESCE(
         (SELECT live_ticket_id FROM ${this.schema}.ticket_aliases WHERE queue_id = $1 AND ticket_id = $2), $2)`,
      [queueId, ticketId],
    );
    return rows[0]?.status as Ticket['status'] | undefined;
  }

  /** A queue's figures from Postgres: the fallback while Redis is rebuilding. */
  async queue(queueId: string): Promise<StoredQueueFigures | undefined> {
    const { rows } = await this.pool.query(
      `SELECT ${QUEUE_COLUMNS.split(', ')
        .map((c) => `q.${c}`)
        .join(', ')},
              (SELECT count(*)::int FROM ${this.schema}.tickets t WHERE t.queue_id = q.queue_id AND t.status = 'waiting') AS waiting,
              (SELECT min(t.expires_at_ms) FROM ${this.schema}.tickets t WHERE t.queue_id = q.queue_id AND t.status = 'active') AS next_expiry
       FROM ${this.schema}.queues q WHERE q.queue_id = $1`,
      [queueId],
    );
    const r = rows[0];
    if (!r) return undefined;
    const recent = await recentAdmissions(this.pool, this.schema, [queueId]);
    return {
      settings: settingsOf(r),
      settingsVersion: Number(r.settings_version),
      observedHoldMs: r.observed_hold_ms === null ? null : Number(r.observed_hold_ms),
      waiting: r.waiting as number,
      active: Number(r.active_count),
      admittedTotal: Number(r.admitted_total),
      admittedLastMinute: (recent.get(queueId) ?? []).length,
      nextExpiryMs: r.next_expiry === null ? null : Number(r.next_expiry),
    };
  }
}

/** The statements of one batch's transaction (see QueueStore.inPartition), under the partition's lock. */
class PostgresQueueBatch implements QueueBatchStore {
  constructor(
    private readonly db: PoolClient,
    private readonly schema: string,
    private readonly fence: PartitionFence,
    private readonly partition: number,
    /** A follower's store fills no outbox: it builds the same state and publishes nothing. */
    private readonly fillsOutbox: boolean,
  ) {}

  appliedThrough(): Promise<number> {
    return readPostgresFence(this.db, this.schema, this.fence);
  }

  advanceFence(offset: number): Promise<void> {
    return advancePostgresFence(this.db, this.schema, this.fence, offset);
  }

  admittedSince(windows: { queueId: string; sinceMs: number }[]): Promise<Map<string, number>> {
    return admittedSince(this.db, this.schema, windows);
  }

  /**
   * Inserts the first join of each id not recorded yet, in id order (every batch offers its ids in that order,
   * so two batches of other partitions that share ids wait for each other instead of deadlocking); reads back
   * only the ids it did not insert, in a statement of its own, so it sees a row that another partition's batch
   * committed while this one waited for it. Both by primary key.
   */
  async recordJoins(joins: JoinWrite[]): Promise<Map<string, JoinBody>> {
    const offered = firstOfEachId(joins).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (offered.length === 0) return new Map();
    const { rows: inserted } = await this.db.query(
      `INSERT INTO ${this.schema}.join_writes (write_id, queue_id, user_id)
       SELECT w, q, u FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(w, q, u, i) ORDER BY i
       ON CONFLICT (write_id) DO NOTHING RETURNING write_id`,
      [offered.map((j) => j.id), offered.map((j) => j.body.queue), offered.map((j) => j.body.user)],
    );
    if (inserted.length === offered.length) return new Map();
    const fresh = new Set(inserted.map((r) => r.write_id as string));
    const { rows } = await this.db.query(
      `SELECT write_id, queue_id, user_id FROM ${this.schema}.join_writes WHERE write_id = ANY($1::text[])`,
      [offered.filter((j) => !fresh.has(j.id)).map((j) => j.id)],
    );
    return new Map(rows.map((r) => [r.write_id as string, joinBody(r.queue_id as string, r.user_id as string)]));
  }

  async write(outcomes: Map<string, QueueOutcome>): Promise<void> {
    const changedTickets: [string, Ticket][] = [];
    const newAliases: [string, string, string][] = [];
    const events: { queueId: string; event: QueueEvent }[] = [];
    for (const [queueId, outcome] of outcomes) {
      for (const t of outcome.changed.values()) changedTickets.push([queueId, t]);
      for (const [alias, live] of outcome.aliases) newAliases.push([queueId, alias, live]);
      for (const e of outcome.events) events.push({ queueId, event: eventOf(queueId, e) });
    }
    await this.writeQueues(outcomes);
    await this.writeTickets(changedTickets);
    await this.writeAliases(newAliases);
    if (this.fillsOutbox) await this.addToOutbox(events);
  }

  /** The aliases of the ticket ids client commands name, per queue. */
  private async storedAliases(records: LoggedCommand[]): Promise<Map<string, Map<string, string>>> {
    const named = records.flatMap((r) => ('ticketId' in r.command ? [[r.queueId, r.command.ticketId] as const] : []));
    const byQueue = new Map<string, Map<string, string>>();
    if (named.length === 0) return byQueue;
    const { rows } = await this.db.query(
      `SELECT a.queue_id, a.ticket_id, a.live_ticket_id FROM ${this.schema}.ticket_aliases a JOIN unnest($1::text[], $2::text[]) AS t(q, id) ON a.queue_id = t.q AND a.ticket_id = t.id`,
      [named.map((n) => n[0]), named.map((n) => n[1])],
    );
    for (const r of rows) mapIn(byQueue, r.queue_id as string).set(r.ticket_id as string, r.live_ticket_id as string);
    return byQueue;
  }

  /**
   * The part of each queue the records touch: its row (a new queue: the defaults), the tickets they name
   * (aliases resolved; a decision's listed tickets), the live ticket of every joining user.
   */
  async queueStates(records: LoggedCommand[]): Promise<Map<string, QueueState>> {
    const aliases = await this.storedAliases(records);
    const queueIds = [...new Set(records.map((r) => r.queueId))];
    const ids: [string, string][] = [];
    const users: [string, string][] = [];
    for (const { queueId, command } of records) {
      if (command.kind === 'CONFIGURE') continue;
      if ('ticketIds' in command) {
        for (const id of command.ticketIds) ids.push([queueId, id]);
        continue;
      }
      ids.push([queueId, aliases.get(queueId)?.get(command.ticketId) ?? command.ticketId]);
      if (command.kind === 'JOIN') users.push([queueId, command.userId]);
    }
    const { rows: queueRows } = await this.db.query(
      `SELECT ${QUEUE_COLUMNS} FROM ${this.schema}.queues WHERE queue_id = ANY($1::text[])`,
      [queueIds],
    );
    const states = new Map<string, QueueState>(
      queueIds.map((id) => [id, { ...emptyQueue(), aliases: aliases.get(id) ?? new Map() }]),
    );
    const admitting = [...new Set(records.filter((r) => r.command.kind === 'ADMIT').map((r) => r.queueId))];
    const recent = await recentAdmissions(this.db, this.schema, admitting);
    for (const r of queueRows) {
      const state = states.get(r.queue_id as string)!;
      state.settings = settingsOf(r);
      state.settingsVersion = Number(r.settings_version);
      state.preQueueSeed = r.pre_queue_seed as string | null;
      state.preQueueThrough = Number(r.pre_queue_through);
      state.observedHoldMs = r.observed_hold_ms === null ? null : Number(r.observed_hold_ms);
      state.recentAdmissions = recent.get(r.queue_id as string) ?? [];
      state.activeCount = Number(r.active_count);
      state.admittedTotal = Number(r.admitted_total);
      state.admittedThrough = Number(r.admitted_through);
      state.clockMs = Number(r.clock_ms);
    }
    const { rows } = await this.db.query(
      // index probes per key (LATERAL, OFFSET 0 keeps each a probe): as one OR-ed filter the planner read every
      // ticket ever held, ended ones included, on every batch (36 ms at 160,000 tickets against 0.35 ms)
      `SELECT t.* FROM unnest($1::text[], $2::text[]) AS k(q, id)
         CROSS JOIN LATERAL (SELECT ${TICKET_COLUMNS} FROM ${this.schema}.tickets WHERE queue_id = k.q AND ticket_id = k.id OFFSET 0) AS t
       UNION
       SELECT t.* FROM unnest($3::text[], $4::text[]) AS k(q, u)
         CROSS JOIN LATERAL (SELECT ${TICKET_COLUMNS} FROM ${this.schema}.tickets WHERE queue_id = k.q AND user_id = k.u AND status IN ('waiting', 'active') OFFSET 0) AS t`,
      [ids.map((i) => i[0]), ids.map((i) => i[1]), users.map((u) => u[0]), users.map((u) => u[1])],
    );
    for (const r of rows) {
      const state = states.get(r.queue_id as string)!;
      const ticket = ticketOf(r);
      state.tickets.set(ticket.ticketId, ticket);
      if (isLive(ticket.status)) state.liveTicketOf.set(ticket.userId, ticket.ticketId);
    }
    return states;
  }

  private async writeQueues(queues: Map<string, { state: QueueState }>) {
    const states = [...queues].map(([id, { state }]) => ({ id, ...state }));
    const columns: [string, string, (q: QueueState) => unknown][] = [
      ['capacity', 'int', (q) => q.settings.capacity],
      ['active_seconds', 'int', (q) => q.settings.activeSeconds],
      ['admit_per_minute', 'int', (q) => q.settings.admitPerMinute],
      ['opens_at_ms', 'bigint', (q) => q.settings.opensAtMs],
      ['abandon_seconds', 'int', (q) => q.settings.abandonSeconds],
      ['paused', 'boolean', (q) => q.settings.paused],
      ['settings_version', 'bigint', (q) => q.settingsVersion],
      ['pre_queue_seed', 'text', (q) => q.preQueueSeed],
      ['pre_queue_through', 'bigint', (q) => q.preQueueThrough],
      ['observed_hold_ms', 'float8', (q) => q.observedHoldMs],
      ['admitted_total', 'bigint', (q) => q.admittedTotal],
      ['active_count', 'bigint', (q) => q.activeCount],
      ['admitted_through', 'bigint', (q) => q.admittedThrough],
      ['clock_ms', 'bigint', (q) => q.clockMs],
    ];
    const names = columns.map(([name]) => name).join(', ');
    await this.db.query(
      `INSERT INTO ${this.schema}.queues (queue_id, partition, ${names})
       SELECT t.queue_id, $1::int, ${columns.map(([name]) => `t.${name}`).join(', ')}
       FROM unnest($2::text[], ${columns.map(([, type], i) => `$${i + 3}::${type}[]`).join(', ')}) AS t(queue_id, ${names})
       ON CONFLICT (queue_id) DO UPDATE SET partition = EXCLUDED.partition,
         ${columns.map(([name]) => `${name} = EXCLUDED.${name}`).join(', ')}, updated_at = now()`,
      [this.partition, states.map((q) => q.id), ...columns.map(([, , value]) => states.map(value))],
    );
  }

  /** In decision order, so a ticket that ends is written before the same user's next live one. */
  private async writeTickets(tickets: [string, Ticket][]) {
    if (tickets.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.tickets (queue_id, ticket_id, user_id, status, join_order, admitted_at_ms, expires_at_ms)
       SELECT q, id, u, s, o, a, e FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) WITH ORDINALITY AS t(q, id, u, s, o, a, e, i)
       ORDER BY i
       ON CONFLICT (queue_id, ticket_id) DO UPDATE SET status = EXCLUDED.status, admitted_at_ms = EXCLUDED.admitted_at_ms, expires_at_ms = EXCLUDED.expires_at_ms`,
      [
        tickets.map(([q]) => q),
        tickets.map(([, t]) => t.ticketId),
        tickets.map(([, t]) => t.userId),
        tickets.map(([, t]) => t.status),
        tickets.map(([, t]) => t.joinOrder),
        tickets.map(([, t]) => t.admittedAtMs),
        tickets.map(([, t]) => t.expiresAtMs),
      ],
    );
  }

  private async writeAliases(aliases: [string, string, string][]) {
    if (aliases.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.ticket_aliases (queue_id, ticket_id, live_ticket_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
      [aliases.map((a) => a[0]), aliases.map((a) => a[1]), aliases.map((a) => a[2])],
    );
  }

  private async addToOutbox(events: { queueId: string; event: QueueEvent }[]) {
    if (events.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.event_outbox (partition, queue_id, event) SELECT $1, q, e FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS t(q, e, i) ORDER BY i`,
      [this.partition, events.map((e) => e.queueId), events.map((e) => JSON.stringify(e.event))],
    );
  }
}

/** Per queue, the tickets admitted after `sinceMs` (one count per queue, on the admitted_at_ms index). */
async function admittedSince(
  db: Queryable,
  schema: string,
  windows: { queueId: string; sinceMs: number }[],
): Promise<Map<string, number>> {
  if (windows.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT k.q AS queue_id, (SELECT count(*)::int FROM ${schema}.tickets t WHERE t.queue_id = k.q AND t.admitted_at_ms > k.since) AS n
     FROM unnest($1::text[], $2::bigint[]) AS k(q, since)`,
    [windows.map((w) => w.queueId), windows.map((w) => w.sinceMs)],
  );
  return new Map(rows.map((r) => [r.queue_id as string, r.n as number]));
}

function ticketOf(r: Record<string, unknown>): Ticket {
  return {
    ticketId: r.ticket_id as string,
    userId: r.user_id as string,
    status: r.status as Ticket['status'],
    joinOrder: Number(r.join_order),
    admittedAtMs: r.admitted_at_ms === null ? null : Number(r.admitted_at_ms),
    expiresAtMs: r.expires_at_ms === null ? null : Number(r.expires_at_ms),
  };
}

function eventOf(queueId: string, { kind, ticket, atMs }: TicketEvent): QueueEvent {
  const expiresAtMs = kind === 'ADMITTED' || kind === 'EXPIRED' ? ticket.expiresAtMs : null;
  return { queueId, ticketId: ticket.ticketId, userId: ticket.userId, kind, atMs, expiresAtMs };
}

function mapIn<V = Map<string, string>>(map: Map<string, V>, key: string, make = () => new Map() as V): V {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = make()));
  return inner;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** A queue row's settings. */
function settingsOf(r: Record<string, unknown>): QueueSettings {
  const orNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    capacity: r.capacity as number,
    activeSeconds: r.active_seconds as number,
    admitPerMinute: orNull(r.admit_per_minute),
    opensAtMs: orNull(r.opens_at_ms),
    abandonSeconds: orNull(r.abandon_seconds),
    paused: r.paused === true,
  };
}

/**
 * Per queue, the admission times of the minute before its latest admission, ascending: what admitPerMinute is
 * checked against (domain/outflow.ts). Admission times never go back, so that minute holds every admission a
 * new one could share a 60 s window with. On the admitted_at_ms index: the latest, then the minute before it.
 */
async function recentAdmissions(db: Queryable, schema: string, queueIds: string[]): Promise<Map<string, number[]>> {
  if (queueIds.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT q.id AS queue_id, t.admitted_at_ms FROM unnest($1::text[]) AS q(id)
     CROSS JOIN LATERAL (SELECT max(admitted_at_ms) AS latest FROM ${schema}.tickets WHERE queue_id = q.id) m
     CROSS JOIN LATERAL (SELECT admitted_at_ms FROM ${schema}.tickets
                         WHERE queue_id = q.id AND admitted_at_ms > m.latest - $2 ORDER BY admitted_at_ms) t`,
    [queueIds, RATE_WINDOW_MS],
  );
  const byQueue = new Map<string, number[]>();
  for (const r of rows) mapIn(byQueue, r.queue_id as string, () => [] as number[]).push(Number(r.admitted_at_ms));
  return byQueue;
}
