import { describe, expect, it } from 'vitest';
import { conflictReason } from '@tally/contracts';
import { createMetrics } from './metrics.js';
import { writeConflicts } from './write-conflicts.js';

describe('tally_write_conflicts_total', () => {
  it('counts by reason, labelled with the service, once per registry however many handlers count', async () => {
    const metrics = createMetrics('queue-admitter');
    writeConflicts(metrics).count(conflictReason('user'));
    writeConflicts(metrics).count(conflictReason('user'), 2);
    writeConflicts(metrics).count(conflictReason('queue'));
    const text = await metrics.metrics();
    expect(text).toMatch(
      /^tally_write_conflicts_total\{reason="id_reused_with_different_user",service="queue-admitter"\} 3$/m,
    );
    expect(text).toMatch(
      /^tally_write_conflicts_total\{reason="id_reused_with_different_queue",service="queue-admitter"\} 1$/m,
    );
  });
});
