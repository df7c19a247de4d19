package dev.tally.peer;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What one item event changes of its item's counts, forwarded as a delta under the same key (the item), so the
 * aggregation after it needs no repartition. A write already seen in this partition, by its (source, seq), is
 * dropped; a like or unlike moves the (item, user) register only if it is newer than what the register holds,
 * and changes the likes only if the register flips; a view adds one view. Both stores are this task's, so
 * per partition, as counter-materializer scopes its (source, seq) windows per partition: a retried write
 * carries the same key (its item) and so lands in the same partition as the first.
 */
public final class LikeRegisterProcessor implements FixedKeyProcessor<String, ItemEvent, Counts> {
  private static final byte[] SEEN = {1};

  private FixedKeyProcessorContext<String, Counts> context;
  private KeyValueStore<String, byte[]> seenWrites;
  private KeyValueStore<String, LikeRegister> likeRegisters;

  @Override
  public void init(FixedKeyProcessorContext<String, Counts> context) {
    this.context = context;
    this.seenWrites = context.getStateStore(CounterTopology.SEEN_WRITES);
    this.likeRegisters = context.getStateStore(CounterTopology.LIKE_REGISTERS);
  }

  @Override
  public void process(FixedKeyRecord<String, ItemEvent> record) {
    var event = record.value();
    // what counter-materializer would dead-letter (domain refusal) counts for nothing here
    if (event == null || (event.isLikeOrUnlike() && event.userId() == null)) return;
    if (!firstTimeSeen(event)) return;
    var delta = deltaOf(event);
    if (delta != null) context.forward(record.withValue(delta));
  }

  /** Records the write's (source, seq); false if the partition had it already. */
  private boolean firstTimeSeen(ItemEvent event) {
    var writeKey = event.source() + '\u0000' + event.seq();
    if (seenWrites.get(writeKey) != null) return false;
    seenWrites.put(writeKey, SEEN);
    return true;
  }

  /** The change to the item's counts, or null if there is none. */
  private Counts deltaOf(ItemEvent event) {
    if ("VIEW".equals(event.kind())) return Counts.ONE_VIEW;
    if (!event.isLikeOrUnlike()) return null; // increments of named counters are not part of this benchmark
    var registerKey = event.itemId() + '\u0000' + event.userId();
    var before = likeRegisters.get(registerKey);
    var incoming = new LikeRegister("LIKE".equals(event.kind()), event.judgedEventTimeMs(), offset());
    if (!incoming.isNewerThan(before)) return null;
    likeRegisters.put(registerKey, incoming);
    long change = LikeRegister.likeOf(incoming) - LikeRegister.likeOf(before);
    return change == 0 ? null : Counts.likes(change);
  }

  private long offset() {
    return context.recordMetadata().map(RecordMetadata::offset).orElse(-1L);
  }
}
