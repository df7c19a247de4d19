/**
 * Live viewers against the heartbeats sent: at the instant a read answers (its `asOf`), each stream's count must
 * be the sessions whose newest heartbeat is playing and within the window, which is known exactly because every
 * heartbeat carries its event time. Keepers are held for the read, so no heartbeat is on its way while it is
 * made, and the aggregator has read every one sent.
 */
import type { InvariantResult } from '../invariants.js';
import { mapConcurrently, type Gateway } from './gateway.js';
import type { Quiet } from './settle.js';
import { countsVerdict, unreadable, type Comparison } from './verdicts.js';
import type { Keepers, ViewerModel } from './viewers.js';

interface ViewersRead {
  concurrent: number;
  windowSeconds: number;
  asOf: number;
}

export async function checkViewers(gateway: Gateway, model: ViewerModel, keepers: Keepers, caughtUp: () => Promise<Quiet>): Promise<InvariantResult[]> {
  const invariant = 'current viewers per stream = sessions whose newest heartbeat is playing and within the window';
  await keepers.hold();
  try {
    const quiet = await caughtUp();
    if (!quiet.settled) return [unreadable('viewers', invariant, `the viewer-aggregator did not catch up with the held keepers: ${[...quiet.behind.values()].flat().join(', ')}`)];
    const reads = await mapConcurrently(model.streams, 4, async (streamId) => ({ streamId, ...(await gateway.read<ViewersRead>(`/v1/streams/${streamId}/viewers`)).body }));
    let keepersCounted = 0;
    const comparisons: Comparison[] = reads.map((r) => {
      const expected = model.expectedViewers(r.streamId, r.asOf, r.windowSeconds * 1000);
      keepersCounted += expected.keepers;
      return { key: r.streamId, expected: expected.all, observed: r.concurrent };
    });
    const verdict = countsVerdict('viewers', invariant, 'viewers', comparisons);
    return [{ ...verdict, expected: `${verdict.expected} streams (${keepersCounted} of them keepers heartbeating through the pause)` }];
  } catch (error) {
    return [unreadable('viewers', invariant, error)];
  } finally {
    keepers.release();
  }
}
