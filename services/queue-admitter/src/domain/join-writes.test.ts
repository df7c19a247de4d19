import { describe, expect, it } from 'vitest';
import { joinConflicts, joinWrites, joinBody } from './join-writes.js';
import type { LoggedCommand } from './tickets.js';

const join = (offset: number, queueId: string, userId: string, writeId?: string): LoggedCommand => ({
  offset,
  queueId,
  command: { kind: 'JOIN', ticketId: `t${offset}`, userId, joinOrder: offset, atMs: 1 },
  ...(writeId === undefined ? {} : { writeId }),
});

describe('joins by write id', () => {
  it('are the JOIN records that carry a write id, with queue and user as their body', () => {
    const records: LoggedCommand[] = [
      join(1, 'q', 'u1', 'app:1'),
      { offset: 2, queueId: 'q', command: { kind: 'LEAVE', ticketId: 't1', atMs: 2 } },
      join(3, 'q', 'u2'),
    ];
    expect(joinWrites(records)).toEqual([{ offset: 1, id: 'app:1', body: { queue: 'q', user: 'u1' } }]);
  });

  it('a reuse names the queue before the user; the same queue and user again is no conflict', () => {
    const recorded = new Map([['app:1', joinBody('q', 'u1')]]);
    const batch = joinWrites([
      join(5, 'q', 'u1', 'app:1'),
      join(6, 'q', 'u2', 'app:1'),
      join(7, 'r', 'u2', 'app:1'),
      join(8, 'r', 'u1', 'app:1'),
    ]);
    expect(joinConflicts(batch, recorded)).toEqual([
      { offset: 6, writeId: 'app:1', field: 'user', reason: 'id_reused_with_different_user' },
      { offset: 7, writeId: 'app:1', field: 'queue', reason: 'id_reused_with_different_queue' },
      { offset: 8, writeId: 'app:1', field: 'queue', reason: 'id_reused_with_different_queue' },
    ]);
  });

  it('within a batch, the first join of a new id stands and a later one of it with another user is refused', () => {
    const batch = joinWrites([join(1, 'q', 'u1', 'app:2'), join(2, 'q', 'u9', 'app:2'), join(3, 'q', 'u1', 'app:2')]);
    expect(joinConflicts(batch, new Map()).map((c) => [c.offset, c.field])).toEqual([[2, 'user']]);
  });
});
