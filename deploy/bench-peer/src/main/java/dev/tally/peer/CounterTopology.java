package dev.tally.peer;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The counter-materializer's job as a Kafka Streams user would write it: item events (keyed by item) go
 * through a processor that drops repeated writes and keeps the like registers, and the deltas it forwards are
 * summed per item into a KTable. Every store is the default: persistent RocksDB with a changelog topic, so
 * under exactly_once_v2 a store's writes, the offsets and the changelog commit in one Kafka transaction.
 */
public final class CounterTopology {
  /** (source, seq) of every write seen, per partition: an exact set, as a plain KeyValueStore holds it. */
  public static final String SEEN_WRITES = "seen-writes";
  /** (item, user) → LikeRegister. */
  public static final String LIKE_REGISTERS = "like-registers";
  /** item → Counts; queried by PeerApp's GET /counts. */
  public static final String ITEM_COUNTS = "item-counts";

  private CounterTopology() {}

  public static Topology build(String inputTopic, Deserializer<ItemEvent> events) {
    var builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SEEN_WRITES), Serdes.String(), Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(LIKE_REGISTERS), Serdes.String(), LikeRegister.SERDE));
    builder.stream(inputTopic, Consumed.with(Serdes.String(), readOnly(events)))
        .processValues(LikeRegisterProcessor::new, SEEN_WRITES, LIKE_REGISTERS)
        .groupByKey(Grouped.with(Serdes.String(), Counts.SERDE))
        .aggregate(
            () -> Counts.ZERO,
            (itemId, delta, counts) -> counts.plus(delta),
            Materialized.<String, Counts, KeyValueStore<Bytes, byte[]>>as(ITEM_COUNTS)
                .withKeySerde(Serdes.String())
                .withValueSerde(Counts.SERDE));
    return builder.build();
  }

  /** The events are only read: Consumed takes a Serde, whose serializer is never called here. */
  private static Serde<ItemEvent> readOnly(Deserializer<ItemEvent> events) {
    return Serdes.serdeFrom(
        (topic, event) -> {
          throw new UnsupportedOperationException("the peer never writes item events");
        },
        events);
  }
}
