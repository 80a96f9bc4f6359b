package dev.runnel.bench;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelConfig;
import dev.runnel.broker.RunnelNode;
import dev.runnel.client.EventStore;
import dev.runnel.client.EventStoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The EventStore over the native protocol against a node in this JVM: conditional appends per second to one stream
 * (each append waits for the one before it, since it expects the version that one made) and to many streams at
 * once, then the latency of reading one whole stream back through the key index against the number of streams in
 * the topic. A program, not a test: it prints figures and asserts nothing.
 *
 * <p>Usage: {@code EventStoreBench [seconds per phase] [streams] [events per stream for the reads]}.
 */
public final class EventStoreBench {

  private EventStoreBench() {}

  public static void main(String[] args) throws Exception {
    RunnelNode.ensureCommonPoolThreads();
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int streams = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int eventsPerStream = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Path dataDir = Files.createTempDirectory("runnel-bench-");
    try (RunnelNode node = RunnelNode.start(RunnelConfig.load(Map.of(
        "runnel.data-dir", dataDir.toString(),
        "runnel.broker.http.port", 0,
        "runnel.broker.schema-registry.port", 0,
        "runnel.broker.kafka.port", 0,
        "pekko.loglevel", "WARNING")), Duration.ofSeconds(60))) {
      ActorSystem client = ActorSystem.create("bench-client",
          ConfigFactory.parseString("pekko.actor.provider = local, pekko.loglevel = WARNING")
              .withFallback(ConfigFactory.load()));
      try {
        String url = "ws://127.0.0.1:" + node.httpPort();
        System.out.printf("EventStoreBench: node in this JVM (%s), %d s per phase, load %s%n", url, seconds,
            loadAverage());
        for (int count : new int[] {1, streams}) {
          EventStore store = store(node, client, url, "append-" + count);
          double rate = appendRate(store, count, seconds);
          System.out.printf("conditional appends, %,5d stream(s): %,8.0f appends/s (one event each)%n", count, rate);
          store.close();
        }
        for (int count : new int[] {10, streams}) {
          EventStore store = store(node, client, url, "read-" + count);
          fill(store, count, eventsPerStream);
          List<Double> millis = readLatencies(store, client, count, 200);
          System.out.printf("read one stream of %d events, %,5d streams in the topic: p50 %.1f ms, p99 %.1f ms%n",
              eventsPerStream, count, percentile(millis, 50), percentile(millis, 99));
          store.close();
        }
      } finally {
        client.terminate();
        client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static EventStore store(RunnelNode node, ActorSystem client, String url, String topic) throws Exception {
    node.broker().createTopic(topic, 3, Map.of("retention.ms", "-1")).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return EventStore.create(client, EventStoreSettings.create(client).withBootstrap(url).withTopic(topic));
  }

  /** Appends/s with one writer per stream, each expecting the version its previous append made. */
  private static double appendRate(EventStore store, int streams, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong appended = new AtomicLong();
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    long start = System.nanoTime();
    for (int s = 0; s < streams; s++) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      chain(store, "stream-" + s, 0, deadline, appended, done);
      writers.add(done);
    }
    CompletableFuture.allOf(writers.toArray(new CompletableFuture<?>[0])).get(seconds + 120L, TimeUnit.SECONDS);
    return appended.get() / ((System.nanoTime() - start) / 1e9);
  }

  private static void chain(EventStore store, String stream, long version, long deadline, AtomicLong appended,
      CompletableFuture<Void> done) {
    if (System.nanoTime() >= deadline) {
      done.complete(null);
      return;
    }
    store.append(stream, version, List.of(EventStore.Event.of("Ticked", "{\"n\": " + version + "}")))
        .whenComplete((result, failure) -> {
          if (failure != null) {
            done.completeExceptionally(failure);
          } else if (result instanceof EventStore.Appended ok) {
            appended.incrementAndGet();
            chain(store, stream, ok.version(), deadline, appended, done);
          } else {
            done.completeExceptionally(new IllegalStateException("a lone writer conflicted: " + result));
          }
        });
  }

  private static void fill(EventStore store, int streams, int events) throws Exception {
    for (int v = 0; v < events; v++) {
      List<CompletableFuture<EventStore.AppendResult>> round = new ArrayList<>(streams);
      for (int s = 0; s < streams; s++) {
        round.add(store.append("stream-" + s, v, List.of(EventStore.Event.of("Filled", "{\"v\": " + v + "}")))
            .toCompletableFuture());
      }
      CompletableFuture.allOf(round.toArray(new CompletableFuture<?>[0])).get(120, TimeUnit.SECONDS);
    }
  }

  private static List<Double> readLatencies(EventStore store, ActorSystem client, int streams, int reads)
      throws Exception {
    Random random = new Random(7);
    List<Double> millis = new ArrayList<>(reads);
    for (int i = 0; i < reads; i++) {
      String stream = "stream-" + random.nextInt(streams);
      long start = System.nanoTime();
      store.read(stream, 1).runWith(Sink.seq(), client).toCompletableFuture().get(60, TimeUnit.SECONDS);
      millis.add((System.nanoTime() - start) / 1e6);
    }
    return millis;
  }

  private static double percentile(List<Double> values, int percent) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, sorted.size() * percent / 100));
  }

  private static String loadAverage() {
    return String.format("%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage());
  }
}
