package dev.tally.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Item events as Tally writes them: Confluent-framed Avro (magic byte 0, a 4-byte schema id, then the Avro
 * body), decoded with the writer schema read from the .avsc file rather than fetched from the registry: the
 * bench topic holds one schema only, so the registry round trip would measure nothing of interest.
 */
public final class ItemEventDeserializer implements Deserializer<ItemEvent> {
  private static final int WIRE_HEADER_BYTES = 5;

  private final Schema writer;
  // a datum reader keeps per-call state; one per stream thread, as the deserializer is shared between them
  private final ThreadLocal<GenericDatumReader<GenericRecord>> readers;

  public ItemEventDeserializer(Schema writer) {
    this.writer = writer;
    this.readers = ThreadLocal.withInitial(() -> new GenericDatumReader<>(writer));
  }

  public static ItemEventDeserializer fromAvsc(Path avsc) throws IOException {
    return new ItemEventDeserializer(new Schema.Parser().parse(Files.readString(avsc)));
  }

  public Schema writer() {
    return writer;
  }

  @Override
  public ItemEvent deserialize(String topic, byte[] bytes) {
    if (bytes == null || bytes.length < WIRE_HEADER_BYTES || bytes[0] != 0)
      throw new SerializationException("not a Confluent-framed Avro record on " + topic);
    try {
      var decoder =
          DecoderFactory.get().binaryDecoder(bytes, WIRE_HEADER_BYTES, bytes.length - WIRE_HEADER_BYTES, null);
      return toEvent(readers.get().read(null, decoder));
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot decode an item event on " + topic, e);
    }
  }

  private static ItemEvent toEvent(GenericRecord r) {
    return new ItemEvent(
        r.get("source").toString(),
        (Long) r.get("seq"),
        r.get("itemId").toString(),
        r.get("kind").toString(),
        r.get("userId") == null ? null : r.get("userId").toString(),
        (Long) r.get("atMs"),
        (Long) r.get("receivedAtMs"));
  }
}
