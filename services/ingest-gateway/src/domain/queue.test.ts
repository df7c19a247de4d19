import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { NO_QUEUE_COMMAND_DETAILS } from '@tally/contracts';
import {
  ADMISSION_TOKEN_PATTERN,
  TICKET_ID_PATTERN,
  TICKET_SECRET_PATTERN,
  configureProblems,
  opensTicket,
  ticketFor,
  toCompleteCommand,
  toConfigureCommand,
  toJoinCommand,
  toLeaveCommand,
} from './queue.js';

const KEY = 'a-ticket-key-of-at-least-32-characters!';
const ticketIdOf = (queueId: string, source: string, seq: number) => ticketFor(KEY, queueId, { source, seq }).ticketId;

describe('the ticket a join names', () => {
  it('is t_ and 32 hex digits, with a ts_ secret of 256 bits, both from the server key', () => {
    const ticket = ticketFor(KEY, 'concert-1', { source: 'app', seq: 7 });
    expect(ticket.ticketId).toMatch(TICKET_ID_PATTERN);
    expect(ticket.ticketSecret).toMatch(TICKET_SECRET_PATTERN);
    expect(Buffer.from(ticket.ticketSecret.slice(3), 'base64url')).toHaveLength(32);
  });

  it('cannot be computed from (queue, source, seq) without the server key', () => {
    const unkeyed = `t_${createHash('sha256').update('concert-1\u0000app\u00007', 'utf8').digest('hex').slice(0, 32)}`;
    const ticket = ticketFor(KEY, 'concert-1', { source: 'app', seq: 7 });
    expect(ticket.ticketId).not.toBe(unkeyed);
    expect(
      ticketFor('another-key-of-at-least-32-characters!!', 'concert-1', { source: 'app', seq: 7 }).ticketId,
    ).not.toBe(ticket.ticketId);
  });

  it('is the same for the same join, so a retried join names the same ticket', () => {
    expect(ticketFor(KEY, 'q', { source: 'app', seq: 1 })).toEqual(ticketFor(KEY, 'q', { source: 'app', seq: 1 }));
  });

  it('differs when the queue, the source or the seq does, also where plain concatenation would not tell them apart', () => {
    const ids = [
      ticketIdOf('q', 'app', 1),
      ticketIdOf('q2', 'app', 1),
      ticketIdOf('q', 'app2', 1),
      ticketIdOf('q', 'app', 2),
      ticketIdOf('q', 'app', 11),
      ticketIdOf('q', 'app1', 1),
      ticketIdOf('qa', 'pp', 1),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is opened by its own secret only, in its own queue only', () => {
    const mine = ticketFor(KEY, 'q', { source: 'app', seq: 1 });
    const yours = ticketFor(KEY, 'q', { source: 'app', seq: 2 });
    expect(opensTicket(mine.ticketSecret, 'q', mine.ticketId)).toBe(true);
    expect(opensTicket(yours.ticketSecret, 'q', mine.ticketId)).toBe(false);
    expect(opensTicket(mine.ticketSecret, 'q2', mine.ticketId)).toBe(false);
    expect(opensTicket(mine.ticketId, 'q', mine.ticketId)).toBe(false);
    expect(opensTicket(`${mine.ticketSecret}x`, 'q', mine.ticketId)).toBe(false);
  });

  it('matches the ticket id pattern, and nothing else does (24 digits: tickets from before ids were keyed)', () => {
    expect(TICKET_ID_PATTERN.test('t_1a3c605670798c9fd1e1e886')).toBe(true);
    for (const id of [
      't_',
      't_1a3c605670798c9fd1e1e88',
      't_1a3c605670798c9fd1e1e8866',
      'T_1a3c605670798c9fd1e1e886',
      't_1A3C605670798C9FD1E1E886',
      'x_1a3c605670798c9fd1e1e886',
      't_1a3c605670798c9fd1e1e88g',
    ]) {
      expect(TICKET_ID_PATTERN.test(id), id).toBe(false);
    }
  });
});

describe('a queue request becomes a QueueCommand record', () => {
  const receivedAt = 1_700_000_000_000;
  const key = { source: 'gateway.ops', seq: receivedAt * 1000 };
  const nothing = NO_QUEUE_COMMAND_DETAILS;

  it("configure carries the settings and the seed under the gateway's (source, seq); what it leaves out is unset", () => {
    expect(toConfigureCommand('concert-1', { capacity: 100, activeSeconds: 180 }, key, receivedAt, 'seed')).toEqual({
      ...nothing,
      source: 'gateway.ops',
      seq: receivedAt * 1000,
      queueId: 'concert-1',
      kind: 'CONFIGURE',
      capacity: 100,
      activeSeconds: 180,
      paused: false,
      preQueueSeed: 'seed',
      receivedAtMs: receivedAt,
    });
  });

  it('checks opensAt against the time the request was received', () => {
    const settings = { capacity: 1, activeSeconds: 1 };
    expect(configureProblems({ ...settings, opensAt: receivedAt - 3_600_000 }, receivedAt)).toEqual([]);
    expect(configureProblems({ ...settings, opensAt: receivedAt - 2 * 86_400_000 }, receivedAt)).toHaveLength(1);
    expect(configureProblems({ ...settings, opensAt: receivedAt + 400 * 86_400_000 }, receivedAt)).toHaveLength(1);
    expect(configureProblems(settings, receivedAt)).toEqual([]);
  });

  it("join carries the client's (source, seq), the user and the ticket it names", () => {
    expect(
      toJoinCommand('concert-1', { source: 'app', seq: 7, userId: 'u1' }, 't_1a3c605670798c9fd1e1e886', receivedAt),
    ).toEqual({
      ...nothing,
      source: 'app',
      seq: 7,
      queueId: 'concert-1',
      kind: 'JOIN',
      ticketId: 't_1a3c605670798c9fd1e1e886',
      userId: 'u1',
      receivedAtMs: receivedAt,
    });
  });

  it('leave and complete name the ticket acted on', () => {
    const ticketId = 't_1a3c605670798c9fd1e1e886';
    expect(toLeaveCommand('q', ticketId, key, receivedAt)).toEqual({
      ...nothing,
      ...key,
      queueId: 'q',
      kind: 'LEAVE',
      ticketId,
      receivedAtMs: receivedAt,
    });
    expect(toCompleteCommand('q', ticketId, key, receivedAt)).toEqual({
      ...nothing,
      ...key,
      queueId: 'q',
      kind: 'COMPLETE',
      ticketId,
      receivedAtMs: receivedAt,
    });
  });

  it('is never an admission decision: no ADMIT or EXPIRE, no decision fields (a client cannot admit itself)', () => {
    const ticketId = 't_1a3c605670798c9fd1e1e886';
    const built = [
      toConfigureCommand('q', { capacity: 1, activeSeconds: 1 }, key, receivedAt),
      toJoinCommand('q', { source: 'app', seq: 1, userId: 'u' }, ticketId, receivedAt),
      toLeaveCommand('q', ticketId, key, receivedAt),
      toCompleteCommand('q', ticketId, key, receivedAt),
    ];
    for (const command of built) {
      expect(['CONFIGURE', 'JOIN', 'LEAVE', 'COMPLETE']).toContain(command.kind);
      expect(command, command.kind).toMatchObject({ ticketIds: null, atMs: null, basisOffset: null });
    }
  });
});

describe('admission tokens', () => {
  it('are base64url parts and dots', () => {
    for (const token of ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln-_', 'a', '...'])
      expect(ADMISSION_TOKEN_PATTERN.test(token), token).toBe(true);
    for (const token of ['', 'a b', 'a+b', 'a/b', 'a=', 'a\nb', '토큰'])
      expect(ADMISSION_TOKEN_PATTERN.test(token), token).toBe(false);
  });
});
