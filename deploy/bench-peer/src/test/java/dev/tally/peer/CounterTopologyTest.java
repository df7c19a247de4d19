package dev.tally.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The peer's counts on a few item events, framed and encoded as Tally writes them. */
class CounterTopologyTest {
  private static final Path AVSC = Path.of("../../schemas/counters/item-event.avsc");
  private static final long T0 = 1_800_000_000_000L;

  private ItemEventDeserializer events;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> input;

  @BeforeEach
  void start() throws IOException {
    events = ItemEventDeserializer.fromAvsc(AVSC);
    var settings =
        Map.of(
            "application-id", "peer-test",
            "bootstrap-servers", "unused:9092",
            "state-dir", Files.createTempDirectory("peer-test").toString());
    var config = PeerApp.streamsConfig(new PeerApp.Settings(settings));
    driver = new TopologyTestDriver(CounterTopology.build("items", events), config);
    input = driver.createInputTopic("items", Serdes.String().serializer(), Serdes.ByteArray().serializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void aWriteSentTwiceCountsOnce() throws IOException {
    send("u1", 1, "a", "LIKE", "u1", T0);
    send("u1", 1, "a", "LIKE", "u1", T0);
    assertEquals(new Counts(1, 0), counts("a"));
  }

  @Test
  void aLikeIsARegisterPerUser() throws IOException {
    send("u1", 1, "a", "LIKE", "u1", T0);
    send("u1", 2, "a", "LIKE", "u1", T0 + 1); // liked already: nothing changes
    send("u2", 1, "a", "LIKE", "u2", T0 + 2);
    send("u1", 3, "a", "UNLIKE", "u1", T0 + 3);
    send("u3", 1, "a", "UNLIKE", "u3", T0 + 4); // never liked: nothing to remove
    assertEquals(new Counts(1, 0), counts("a"));
  }

  @Test
  void anOlderEventChangesNothing() throws IOException {
    send("u1", 2, "a", "LIKE", "u1", T0 + 10);
    send("u1", 1, "a", "UNLIKE", "u1", T0); // sent earlier, arrived later
    assertEquals(new Counts(1, 0), counts("a"));
  }

  @Test
  void atEqualTimesTheLaterPositionWins() throws IOException {
    send("u1", 1, "a", "LIKE", "u1", T0);
    send("u1", 2, "a", "UNLIKE", "u1", T0);
    assertEquals(new Counts(0, 0), counts("a"));
  }

  @Test
  void viewsAddUpAndALikeWithoutAUserIsRefused() throws IOException {
    send("s", 1, "a", "VIEW", null, T0);
    send("s", 2, "a", "VIEW", "u1", T0);
    send("s", 3, "a", "LIKE", null, T0);
    assertEquals(new Counts(0, 2), counts("a"));
  }

  @Test
  void anUndecodableRecordIsSkipped() throws IOException {
    input.pipeInput("a", new byte[] {42});
    send("u1", 1, "a", "LIKE", "u1", T0);
    assertEquals(new Counts(1, 0), counts("a"));
  }

  private Counts counts(String itemId) {
    return driver.<String, Counts>getTimestampedKeyValueStore(CounterTopology.ITEM_COUNTS).get(itemId).value();
  }

  private void send(String source, long seq, String itemId, String kind, String userId, long atMs)
      throws IOException {
    var schema = events.writer();
    GenericRecord event = new GenericData.Record(schema);
    event.put("source", source);
    event.put("seq", seq);
    event.put("itemId", itemId);
    event.put("kind", new GenericData.EnumSymbol(schema.getField("kind").schema(), kind));
    event.put("userId", userId);
    event.put("by", 1L);
    event.put("atMs", atMs);
    event.put("receivedAtMs", atMs);
    input.pipeInput(itemId, confluentFramed(event));
  }

  /** Magic byte 0, a schema id (any: the peer reads the writer schema from the .avsc), the Avro body. */
  private static byte[] confluentFramed(GenericRecord event) throws IOException {
    var out = new ByteArrayOutputStream();
    out.write(new byte[] {0, 0, 0, 0, 7});
    var encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(event.getSchema()).write(event, encoder);
    encoder.flush();
    return out.toByteArray();
  }
}
