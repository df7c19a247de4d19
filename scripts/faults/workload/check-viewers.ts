/**
 * Live viewers against the heartbeats sent: at the instant a read answers (its `asOf`), each stream's count
 * must be the sessions whose newest heartbeat is playing and was received by the gateway within the window.
 * The receipt is known only up to the HTTP round trip of that heartbeat ([first attempt sent, accepted]), so
 * the model gives a range: sessions certainly live (the whole round trip within the window) ≤ observed ≤
 * sessions possibly live (some of it within). Exact otherwise: the sessions in between are named in the
 * result. Keepers are held for the read, so no heartbeat is on its way while it is made, and the aggregator has
 * read every one sent.
 */
import type { InvariantResult } from '../invariant-result.js';
import { mapConcurrently, type Gateway } from './gateway.js';
import type { Quiet } from './settle.js';
import { rangeVerdict, unreadable, type RangeComparison } from './verdicts.js';
import type { Keepers, ViewerModel } from './viewers.js';

interface ViewersRead {
  concurrent: number;
  windowSeconds: number;
  asOf: number;
}

export const VIEWERS_INVARIANT =
  'current viewers per stream = sessions whose newest heartbeat is playing and was received within the window (exact up to the HTTP round trip of each newest heartbeat)';

export async function checkViewers(
  gateway: Gateway,
  model: ViewerModel,
  keepers: Keepers,
  caughtUp: () => Promise<Quiet>,
): Promise<InvariantResult[]> {
  const invariant = VIEWERS_INVARIANT;
  await keepers.hold();
  try {
    const quiet = await caughtUp();
    if (!quiet.settled)
      return [
        unreadable(
          'viewers',
          invariant,
          `the viewer-aggregator did not catch up with the held keepers: ${[...quiet.behind.values()].flat().join(', ')}`,
        ),
      ];
    const reads = await mapConcurrently(model.streams, 4, async (streamId) => ({
      streamId,
      ...(await gateway.read<ViewersRead>(`/v1/streams/${streamId}/viewers`)).body,
    }));
    let keepersCounted = 0;
    let ambiguous = 0;
    const comparisons: RangeComparison[] = reads.map((r) => {
      const expected = model.expectedViewers(r.streamId, r.asOf, r.windowSeconds * 1000);
      keepersCounted += expected.keepers;
      ambiguous += expected.ambiguous;
      return { key: r.streamId, least: expected.certain, most: expected.possible, observed: r.concurrent };
    });
    const verdict = rangeVerdict('viewers', invariant, 'viewers', comparisons);
    return [
      {
        ...verdict,
        ambiguous,
        expected: `${verdict.expected} streams (${keepersCounted} keepers heartbeating through the pause; ${ambiguous} sessions ambiguous: their newest heartbeat's round trip straddles the window's edge)`,
      },
    ];
  } catch (error) {
    return [unreadable('viewers', invariant, error)];
  } finally {
    keepers.release();
  }
}
