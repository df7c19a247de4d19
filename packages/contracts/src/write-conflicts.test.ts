import { describe, expect, it } from 'vitest';
import {
  conflictReason,
  firstDifferentField,
  firstOfEachId,
  isConflictReason,
  judgeWrites,
  type WriteBody,
} from './write-conflicts.js';

const FIELDS = ['queue', 'user'] as const;
type Field = (typeof FIELDS)[number];
const body = (queue: string, user: string): WriteBody<Field> => ({ queue, user });

describe('conflict reasons', () => {
  it('name the field: id_reused_with_different_<field>', () => {
    expect(conflictReason('user')).toBe('id_reused_with_different_user');
    expect(conflictReason('grant_users')).toBe('id_reused_with_different_grant_users');
    expect(isConflictReason('id_reused_with_different_option')).toBe(true);
    for (const other of ['id_reused_with_different_', 'insufficient_funds', 'id_reused_with_different_User', 7])
      expect(isConflictReason(other), String(other)).toBe(false);
  });

  it('refuse a field name that is not a lower-case code (a bug of the caller)', () => {
    for (const bad of ['', 'userId', 'user id', '1st', 'a-b']) expect(() => conflictReason(bad), bad).toThrow();
  });
});

describe('firstDifferentField', () => {
  it('is the first field, in the given order, that differs; undefined when none does', () => {
    expect(firstDifferentField(FIELDS, body('q', 'u'), body('q', 'u'))).toBeUndefined();
    expect(firstDifferentField(FIELDS, body('q', 'u'), body('q', 'v'))).toBe('user');
    expect(firstDifferentField(FIELDS, body('q', 'u'), body('r', 'v'))).toBe('queue');
    expect(firstDifferentField(['user', 'queue'], body('q', 'u'), body('r', 'v'))).toBe('user');
  });

  it('compares values exactly: null is not the empty string, 1 is not "1"', () => {
    expect(firstDifferentField(['a'], { a: null }, { a: '' })).toBe('a');
    expect(firstDifferentField(['a'], { a: 1 }, { a: '1' })).toBe('a');
    expect(firstDifferentField(['a'], { a: null }, { a: null })).toBeUndefined();
  });
});

describe('judgeWrites', () => {
  it('against a recorded body: the same is a repeat, another names its first differing field', () => {
    const recorded = new Map([['app:1', body('q', 'u1')]]);
    expect(
      judgeWrites(
        FIELDS,
        [
          { id: 'app:1', body: body('q', 'u1') },
          { id: 'app:1', body: body('q', 'u2') },
          { id: 'app:1', body: body('r', 'u2') },
        ],
        recorded,
      ),
    ).toEqual([
      { kind: 'repeat' },
      { kind: 'conflict', field: 'user', reason: 'id_reused_with_different_user' },
      { kind: 'conflict', field: 'queue', reason: 'id_reused_with_different_queue' },
    ]);
  });

  it('an id not recorded is first at its first write in the batch; its later writes are compared with that one', () => {
    expect(
      judgeWrites(
        FIELDS,
        [
          { id: 'app:2', body: body('q', 'u1') },
          { id: 'app:3', body: body('q', 'u1') },
          { id: 'app:2', body: body('q', 'u9') },
          { id: 'app:2', body: body('q', 'u1') },
        ],
        new Map(),
      ).map((v) => v.kind),
    ).toEqual(['first', 'first', 'conflict', 'repeat']);
  });

  it('a recorded body stands even when the batch first shows another one', () => {
    const verdicts = judgeWrites(
      FIELDS,
      [
        { id: 'app:1', body: body('q', 'u2') },
        { id: 'app:1', body: body('q', 'u1') },
      ],
      new Map([['app:1', body('q', 'u1')]]),
    );
    expect(verdicts.map((v) => v.kind)).toEqual(['conflict', 'repeat']);
  });
});

describe('firstOfEachId', () => {
  it('keeps the first write of each id, in batch order', () => {
    const writes = [
      { id: 'b', n: 1 },
      { id: 'a', n: 2 },
      { id: 'b', n: 3 },
    ];
    expect(firstOfEachId(writes)).toEqual([
      { id: 'b', n: 1 },
      { id: 'a', n: 2 },
    ]);
  });
});
