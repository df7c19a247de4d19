package dev.tally.peer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;

/**
 * What the benchmark asks the peer, over the JDK's HTTP server, as it asks a Tally service:
 * GET /readyz (200 once the application is RUNNING), GET /metrics (records processed, under the name Tally's
 * services use, so scripts/bench/lib.ts times the peer's drain with the same code as theirs), and GET /counts
 * (every item's counts, read from the counts store by an interactive query, as JSON).
 */
final class PeerHttp {
  private PeerHttp() {}

  static HttpServer start(KafkaStreams streams, int port) throws IOException {
    var server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext(
        "/readyz",
        exchange -> {
          boolean running = streams.state() == KafkaStreams.State.RUNNING;
          reply(exchange, running ? 200 : 503, "text/plain", streams.state().toString());
        });
    server.createContext(
        "/metrics",
        exchange ->
            reply(
                exchange,
                200,
                "text/plain",
                "tally_records_processed_total{service=\"kafka-streams-peer\"} " + recordsProcessed(streams) + "\n"));
    server.createContext(
        "/counts",
        exchange -> {
          if (streams.state() != KafkaStreams.State.RUNNING) reply(exchange, 503, "text/plain", streams.state().toString());
          else reply(exchange, 200, "application/json", countsJson(streams));
        });
    server.start();
    return server;
  }

  /** Records the stream threads have processed: Kafka Streams' own thread-level process-total, summed. */
  static long recordsProcessed(KafkaStreams streams) {
    return streams.metrics().values().stream()
        .filter(m -> m.metricName().name().equals("process-total"))
        .filter(m -> m.metricName().group().equals("stream-thread-metrics"))
        .mapToLong(m -> ((Number) m.metricValue()).longValue())
        .sum();
  }

  /** {"item-1":{"likes":3,"views":0},...} */
  private static String countsJson(KafkaStreams streams) {
    var store =
        streams.store(
            StoreQueryParameters.fromNameAndType(
                CounterTopology.ITEM_COUNTS, QueryableStoreTypes.<String, Counts>keyValueStore()));
    var json = new StringBuilder("{");
    try (var all = store.all()) {
      all.forEachRemaining(
          entry -> {
            if (json.length() > 1) json.append(',');
            json.append('"').append(escaped(entry.key)).append("\":{\"likes\":").append(entry.value.likes());
            json.append(",\"views\":").append(entry.value.views()).append('}');
          });
    }
    return json.append('}').toString();
  }

  private static String escaped(String text) {
    return text.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static void reply(HttpExchange exchange, int status, String type, String body) throws IOException {
    var bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
