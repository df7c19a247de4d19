package dev.tally.peer;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Whether a user likes an item now, and which event said so: the newest event wins, by judged event time and
 * at equal times by position in the partition (counter-materializer's domain/counters.ts, isNewer).
 */
public record LikeRegister(boolean liked, long eventTimeMs, long offset) {

  public boolean isNewerThan(LikeRegister before) {
    if (before == null) return true;
    return eventTimeMs > before.eventTimeMs || (eventTimeMs == before.eventTimeMs && offset > before.offset);
  }

  /** 1 if this register holds a like, 0 if not (or if there is none). */
  public static long likeOf(LikeRegister register) {
    return register != null && register.liked ? 1 : 0;
  }

  public static final Serde<LikeRegister> SERDE =
      Serdes.serdeFrom(
          (topic, r) ->
              r == null
                  ? null
                  : ByteBuffer.allocate(17).put((byte) (r.liked ? 1 : 0)).putLong(r.eventTimeMs).putLong(r.offset).array(),
          (topic, bytes) -> {
            if (bytes == null) return null;
            var buffer = ByteBuffer.wrap(bytes);
            return new LikeRegister(buffer.get() == 1, buffer.getLong(), buffer.getLong());
          });
}
