package dev.tally.peer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * Runs the counter topology against a topic until SIGTERM, with a small HTTP face for the benchmark (PeerHttp).
 * Settings are `--name value` arguments, or PEER_NAME variables: bootstrap-servers, input-topic,
 * application-id, avsc (schemas/counters/item-event.avsc), state-dir, port. Everything else is Kafka Streams'
 * default except what the benchmark is about: exactly_once_v2 and two stream threads.
 */
public final class PeerApp {
  private PeerApp() {}

  public static void main(String[] args) throws Exception {
    var settings = Settings.parse(args);
    var events = ItemEventDeserializer.fromAvsc(Path.of(settings.get("avsc")));
    var streams = new KafkaStreams(CounterTopology.build(settings.get("input-topic"), events), streamsConfig(settings));
    var http = PeerHttp.start(streams, Integer.parseInt(settings.get("port")));
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // close() commits what was processed (ending the open transactions) before it returns; the
                  // group is left at once, not after the session timeout, so the benchmark can delete it
                  streams.close(
                      CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP)
                          .withTimeout(Duration.ofSeconds(30)));
                  http.stop(0);
                  stopped.countDown();
                }));
    streams.setStateListener(
        (now, before) -> {
          // its stream threads died: it will process nothing more, and a benchmark waiting on it would wait forever
          if (now == KafkaStreams.State.ERROR) {
            System.err.println("kafka streams peer: the application is in ERROR, exiting");
            Runtime.getRuntime().halt(1);
          }
        });
    streams.start();
    System.out.println("kafka streams peer on http://127.0.0.1:" + http.getAddress().getPort());
    stopped.await();
  }

  static Properties streamsConfig(Settings settings) {
    var config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.get("application-id"));
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, settings.get("bootstrap-servers"));
    config.put(StreamsConfig.STATE_DIR_CONFIG, settings.get("state-dir"));
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
    // counter-materializer sets an undecodable record aside (dead-letter topic) and goes on; so does the peer
    config.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    return config;
  }

  /** `--name value` pairs, each falling back to the PEER_NAME environment variable. */
  record Settings(Map<String, String> given) {
    static Settings parse(String[] args) {
      var given = new java.util.HashMap<String, String>();
      for (int i = 0; i + 1 < args.length; i += 2) given.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      return new Settings(given);
    }

    String get(String name) {
      var value = given.getOrDefault(name, System.getenv("PEER_" + name.toUpperCase().replace('-', '_')));
      if (value == null) throw new IllegalArgumentException("missing --" + name);
      return value;
    }
  }
}
