package dev.tally.peer;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** An item's likes and views; also what one event changes of them (a delta is counts that get added). */
public record Counts(long likes, long views) {
  public static final Counts ZERO = new Counts(0, 0);
  public static final Counts ONE_VIEW = new Counts(0, 1);

  public static Counts likes(long change) {
    return new Counts(change, 0);
  }

  public Counts plus(Counts delta) {
    return new Counts(likes + delta.likes, views + delta.views);
  }

  /** Two longs, big-endian: the value of the counts store, its changelog, and of the deltas between processors. */
  public static final Serde<Counts> SERDE =
      Serdes.serdeFrom(
          (topic, c) -> c == null ? null : ByteBuffer.allocate(16).putLong(c.likes).putLong(c.views).array(),
          (topic, bytes) -> {
            if (bytes == null) return null;
            var buffer = ByteBuffer.wrap(bytes);
            return new Counts(buffer.getLong(), buffer.getLong());
          });
}
