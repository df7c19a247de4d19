/**
 * The (source, seq) of the writes the gateway names itself: a client sends no seq for them, since they are
 * last-wins or idempotent by nature (queue configure, leave and complete; poll definitions).
 */

const SOURCE_MAX_LENGTH = 64;
const OUTSIDE_SOURCE_CHARSET = /[^A-Za-z0-9._:-]/g;

/**
 * The source of such a write, per API key so the consumers' logs say who asked. Key names already use the
 * source charset; the replacement and the cut keep that true whatever names are allowed later.
 */
export function gatewaySource(keyName: string): string {
  return `gateway.${keyName}`.replace(OUTSIDE_SOURCE_CHARSET, '_').slice(0, SOURCE_MAX_LENGTH);
}

/**
 * The seqs of such writes: the receipt time in microseconds, bumped past the last one so two writes in one
 * millisecond never share a seq. The seq only has to be unique; being time-based, it also stays ahead of a
 * restarted process's seqs. (Epoch microseconds stay below 2^53 until the year 2255.)
 */
export class ReceiptSequence {
  private last = -1;

  next(receivedAtMs: number): number {
    this.last = Math.max(receivedAtMs * 1000, this.last + 1);
    return this.last;
  }
}
