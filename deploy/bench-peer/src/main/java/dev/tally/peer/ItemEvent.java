package dev.tally.peer;

/**
 * The fields of schemas/counters/item-event.avsc the counts depend on. {@code userId} is null when the
 * writer sent none (a like needs one; a view may have a session instead).
 */
public record ItemEvent(
    String source, long seq, String itemId, String kind, String userId, long atMs, long receivedAtMs) {

  /** Where the event belongs in time: packages/event-time's rule, which the like registers are ordered by. */
  public long judgedEventTimeMs() {
    return atMs < EVENT_TIME_FLOOR_MS ? receivedAtMs : Math.min(atMs, receivedAtMs);
  }

  /** 2020-01-01: an {@code at} before it is a clock never set, and the receipt time stands in for it. */
  static final long EVENT_TIME_FLOOR_MS = 1_577_836_800_000L;

  public boolean isLikeOrUnlike() {
    return "LIKE".equals(kind) || "UNLIKE".equals(kind);
  }
}
