import type { TopicCodec, ViewerCountChanged } from '@tally/schemas';
import type { TypedProducer } from '@tally/streaming';
import type { ViewerCountsPort } from '../aggregator.js';

/**
 * Publishes a stream's viewer count when it changes, keyed by stream, to a compacted topic. Changes come from
 * heartbeats (after each batch) and from time passing (sessions leaving the window), which `tick` catches for
 * the streams this instance saw recently.
 */
export class CountPublisher implements ViewerCountsPort {
  private readonly published = new Map<string, number>();
  private readonly lastActive = new Map<string, number>();

  constructor(
    private readonly producer: TypedProducer,
    private readonly codec: TopicCodec<ViewerCountChanged>,
    private readonly windowMs: number,
  ) {}

  async publish(counts: Map<string, number>, nowMs: number): Promise<void> {
    const changes: { key: string; value: ViewerCountChanged }[] = [];
    for (const [streamId, concurrent] of counts) {
      this.lastActive.set(streamId, nowMs);
      const previous = this.published.get(streamId) ?? 0;
      if (previous === concurrent) continue;
      changes.push({
        key: streamId,
        value: { streamId, concurrent, previous, windowSeconds: this.windowMs / 1000, asOfMs: nowMs },
      });
    }
    await this.producer.sendAll(this.codec, changes);
    for (const c of changes) this.published.set(c.key, c.value.concurrent);
  }

  /** Streams that may still lose viewers to expiry: seen within the window (plus a little). */
  activeStreams(nowMs: number): string[] {
    const streams: string[] = [];
    for (const [streamId, at] of this.lastActive) {
      if (at >= nowMs - this.windowMs - 5000) streams.push(streamId);
      else if (this.published.get(streamId) === 0) {
        this.lastActive.delete(streamId);
        this.published.delete(streamId);
      } else streams.push(streamId);
    }
    return streams;
  }
}
