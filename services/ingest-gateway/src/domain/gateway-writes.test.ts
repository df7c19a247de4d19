import { describe, expect, it } from 'vitest';
import { SOURCE_PATTERN } from '@tally/contracts';
import { ReceiptSequence, gatewaySource } from './gateway-writes.js';

describe('the writes the gateway names itself', () => {
  it('come from gateway.<key name>, within the source pattern whatever the name', () => {
    expect(gatewaySource('box-office')).toBe('gateway.box-office');
    expect(gatewaySource('a b/c')).toBe('gateway.a_b_c');
    expect(gatewaySource('k'.repeat(64))).toBe(`gateway.${'k'.repeat(56)}`);
    for (const name of ['development', 'a b/c', 'k'.repeat(64), '키'])
      expect(SOURCE_PATTERN.test(gatewaySource(name)), name).toBe(true);
  });

  it('take the receipt time in microseconds as seq, strictly increasing even within one millisecond or when the clock steps back', () => {
    const seqs = new ReceiptSequence();
    const at = 1_750_000_000_000;
    expect(seqs.next(at)).toBe(at * 1000);
    expect(seqs.next(at)).toBe(at * 1000 + 1);
    expect(seqs.next(at - 5)).toBe(at * 1000 + 2);
    expect(seqs.next(at + 1)).toBe((at + 1) * 1000);
    expect(Number.isSafeInteger(seqs.next(at))).toBe(true);
  });
});
