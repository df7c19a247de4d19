/**
 * `(source, seq)` names one write: `source` is who sent it, `seq` a number that source never reuses. Every
 * record on every topic carries one, and every state change is keyed by it, so a write applies at most once.
 */
export interface WriteKey {
  source: string;
  seq: number;
}

/** The longest source: it names a client, so 64 characters are plenty. */
export const SOURCE_MAX_LENGTH = 64;
export const SOURCE_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${SOURCE_MAX_LENGTH}}$`);

export class InvalidWriteKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWriteKeyError';
  }
}

export function isValidSource(source: unknown): source is string {
  return typeof source === 'string' && SOURCE_PATTERN.test(source);
}

/**
 * The largest seq a write may carry. Records are Avro, and avsc encodes a long only up to 2^53 - 2, one below
 * Number.MAX_SAFE_INTEGER: a larger seq could never reach Kafka, so it is bad input, not something to retry.
 */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER - 1;

export function isValidSeq(seq: unknown): seq is number {
  return typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 && seq <= MAX_SEQ;
}

export function writeKey(source: string, seq: number): WriteKey {
  if (!isValidSource(source))
    throw new InvalidWriteKeyError(
      `source must be 1-64 characters of A-Z a-z 0-9 . _ : - (got ${JSON.stringify(source)})`,
    );
  if (!isValidSeq(seq))
    throw new InvalidWriteKeyError(`seq must be a non-negative integer (got ${JSON.stringify(seq)})`);
  return { source, seq };
}

/** `source:seq`, the id a write is answered with. The seq is after the last colon, since a source may hold colons. */
export function formatWriteKey({ source, seq }: WriteKey): string {
  return `${source}:${seq}`;
}

export function parseWriteKey(id: string): WriteKey {
  const at = id.lastIndexOf(':');
  if (at <= 0) throw new InvalidWriteKeyError(`a write id is "<source>:<seq>" (got ${JSON.stringify(id)})`);
  const seqText = id.slice(at + 1);
  if (!/^\d+$/.test(seqText))
    throw new InvalidWriteKeyError(
      `a write id ends in ":<seq>" with a non-negative integer (got ${JSON.stringify(id)})`,
    );
  return writeKey(id.slice(0, at), Number(seqText));
}
