import { describe, expect, it } from 'vitest';
import { ADMISSION_TOKEN_PATTERN, TICKET_ID_PATTERN, ticketIdFor, toCompleteCommand, toConfigureCommand, toJoinCommand, toLeaveCommand } from './queue.js';

describe('the ticket a join names', () => {
  it('is t_ and the first 24 hex digits of sha256(queueId NUL source NUL seq)', () => {
    // computed apart: node -e "crypto.createHash('sha256').update('concert-1\0app\0' + 7).digest('hex').slice(0, 24)"
    expect(ticketIdFor('concert-1', { source: 'app', seq: 7 })).toBe('t_1a3c605670798c9fd1e1e886');
  });

  it('is the same for the same join, so a retried join names the same ticket', () => {
    expect(ticketIdFor('q', { source: 'app', seq: 1 })).toBe(ticketIdFor('q', { source: 'app', seq: 1 }));
  });

  it('differs when the queue, the source or the seq does, also where plain concatenation would not tell them apart', () => {
    const ids = [
      ticketIdFor('q', { source: 'app', seq: 1 }),
      ticketIdFor('q2', { source: 'app', seq: 1 }),
      ticketIdFor('q', { source: 'app2', seq: 1 }),
      ticketIdFor('q', { source: 'app', seq: 2 }),
      ticketIdFor('q', { source: 'app', seq: 11 }),
      ticketIdFor('q', { source: 'app1', seq: 1 }),
      ticketIdFor('qa', { source: 'pp', seq: 1 }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(TICKET_ID_PATTERN.test(id), id).toBe(true);
  });

  it('matches the ticket id pattern, and nothing else does', () => {
    for (const id of ['t_', 't_1a3c605670798c9fd1e1e88', 't_1a3c605670798c9fd1e1e8866', 'T_1a3c605670798c9fd1e1e886', 't_1A3C605670798C9FD1E1E886', 'x_1a3c605670798c9fd1e1e886', 't_1a3c605670798c9fd1e1e88g']) {
      expect(TICKET_ID_PATTERN.test(id), id).toBe(false);
    }
  });
});

describe('a queue request becomes a QueueCommand record', () => {
  const receivedAt = 1_700_000_000_000;
  const key = { source: 'gateway.ops', seq: receivedAt * 1000 };
  const nothing = { ticketId: null, userId: null, capacity: null, activeSeconds: null, ticketIds: null, atMs: null, basisOffset: null };

  it('configure carries capacity and activeSeconds under the gateway\'s (source, seq)', () => {
    expect(toConfigureCommand('concert-1', { capacity: 100, activeSeconds: 180 }, key, receivedAt)).toEqual({
      ...nothing,
      source: 'gateway.ops',
      seq: receivedAt * 1000,
      queueId: 'concert-1',
      kind: 'CONFIGURE',
      capacity: 100,
      activeSeconds: 180,
      receivedAtMs: receivedAt,
    });
  });

  it('join carries the client\'s (source, seq), the user and the ticket it names', () => {
    expect(toJoinCommand('concert-1', { source: 'app', seq: 7, userId: 'u1' }, receivedAt)).toEqual({
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
    expect(toLeaveCommand('q', ticketId, key, receivedAt)).toEqual({ ...nothing, ...key, queueId: 'q', kind: 'LEAVE', ticketId, receivedAtMs: receivedAt });
    expect(toCompleteCommand('q', ticketId, key, receivedAt)).toEqual({ ...nothing, ...key, queueId: 'q', kind: 'COMPLETE', ticketId, receivedAtMs: receivedAt });
  });

  it('is never an admission decision: no ADMIT or EXPIRE, no decision fields (a client cannot admit itself)', () => {
    const ticketId = 't_1a3c605670798c9fd1e1e886';
    const built = [
      toConfigureCommand('q', { capacity: 1, activeSeconds: 1 }, key, receivedAt),
      toJoinCommand('q', { source: 'app', seq: 1, userId: 'u' }, receivedAt),
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
    for (const token of ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln-_', 'a', '...']) expect(ADMISSION_TOKEN_PATTERN.test(token), token).toBe(true);
    for (const token of ['', 'a b', 'a+b', 'a/b', 'a=', 'a\nb', '토큰']) expect(ADMISSION_TOKEN_PATTERN.test(token), token).toBe(false);
  });
});
