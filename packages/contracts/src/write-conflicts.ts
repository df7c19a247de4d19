/**
 * A `(source, seq)` names one write, and its body never changes. The same id again with the same body is a retry:
 * applied once, the repeat changes nothing and says nothing. The same id with another body is a client bug (an id
 * reused): the first write stands and the reuse is reported, never absorbed as a success nor dropped as a
 * duplicate. What a service compares is the body's fields that say what the write does (never the times the
 * gateway stamps: a retry is received later and is the same write), in a fixed order, so a reuse names the first
 * field that differs: `id_reused_with_different_<field>`. Every service names reuses from here.
 */

export const WRITE_CONFLICT_PREFIX = 'id_reused_with_different_';

/** Why a write was refused because its id names another write: `id_reused_with_different_<field>`. */
export type WriteConflictReason = `${typeof WRITE_CONFLICT_PREFIX}${string}`;

/** A field as a reason names it: short, lower case, words joined by `_` (`user`, `amount`, `grant_users`). */
const FIELD_PATTERN = /^[a-z][a-z0-9_]*$/;

export function conflictReason(field: string): WriteConflictReason {
  // a reason is a label value and a stable code clients may match on: a field name outside the pattern is our bug
  if (!FIELD_PATTERN.test(field))
    throw new Error(`a conflicting field is named in [a-z0-9_] (got ${JSON.stringify(field)})`);
  return `${WRITE_CONFLICT_PREFIX}${field}`;
}

export function isConflictReason(value: unknown): value is WriteConflictReason {
  return (
    typeof value === 'string' &&
    value.startsWith(WRITE_CONFLICT_PREFIX) &&
    FIELD_PATTERN.test(value.slice(WRITE_CONFLICT_PREFIX.length))
  );
}

/** The fields of a write that say what it does, each a plain value (compared with ===). */
export type WriteBody<F extends string> = Readonly<Record<F, string | number | boolean | null>>;

/** The first of `fields`, in their order, in which `again` differs from `first`; undefined: the same write. */
export function firstDifferentField<F extends string>(
  fields: readonly F[],
  first: WriteBody<F>,
  again: WriteBody<F>,
): F | undefined {
  return fields.find((field) => first[field] !== again[field]);
}

/** A write of a batch, by its id (`formatWriteKey`), with its body. */
export interface IdentifiedWrite<F extends string> {
  id: string;
  body: WriteBody<F>;
}

/**
 * What a write of a batch is: `first`, the first time its id is seen (the service records its body); `repeat`, the
 * same body as the id's first write (a retry or a redelivery: changes nothing, says nothing); `conflict`, another
 * body under an id already used (refused, the first stands).
 */
export type WriteVerdict<F extends string> =
  { kind: 'first' } | { kind: 'repeat' } | { kind: 'conflict'; field: F; reason: WriteConflictReason };

/**
 * Judges a batch's writes in batch order against `recorded`, the bodies recorded for their ids before this batch
 * (by id). An id not recorded is first at its first write in the batch, and the batch's later writes of it are
 * compared with that one. Pure: the store records the first write of each id (`firstOfEachId`) and hands back the
 * bodies it already held, in the same transaction as the state change.
 */
export function judgeWrites<F extends string>(
  fields: readonly F[],
  writes: readonly IdentifiedWrite<F>[],
  recorded: ReadonlyMap<string, WriteBody<F>>,
): WriteVerdict<F>[] {
  const firstOf = new Map(recorded);
  return writes.map(({ id, body }) => {
    const first = firstOf.get(id);
    if (first === undefined) {
      firstOf.set(id, body);
      return { kind: 'first' };
    }
    const field = firstDifferentField(fields, first, body);
    return field === undefined ? { kind: 'repeat' } : { kind: 'conflict', field, reason: conflictReason(field) };
  });
}

/** The first write of each id, in batch order: what a batch offers the store to record. */
export function firstOfEachId<W extends { id: string }>(writes: readonly W[]): W[] {
  const seen = new Set<string>();
  return writes.filter((w) => {
    if (seen.has(w.id)) return false;
    seen.add(w.id);
    return true;
  });
}
