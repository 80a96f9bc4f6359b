package dev.runnel.broker.kafka.streams;

import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * The Kafka Streams applications of {@code KafkaStreamsTest}. This class runs in a class loader of its own with Kafka
 * Streams 4.3.1 and its kafka-clients 4.3.1 (the broker's test classpath has kafka-clients 4.4, which Streams 4.3.1
 * does not link against), so only JDK types cross between it and the test: {@link Properties} in,
 * {@link AutoCloseable} out.
 */
public final class StreamsApplications {

  private StreamsApplications() {}

  /**
   * Starts one of the topologies and waits until it is {@code RUNNING}.
   *
   * @param topology {@code stateless}, {@code word-count} or {@code hourly-revenue}
   * @param config the Streams configuration (application id, bootstrap servers, state directory, ...)
   * @return the running application; closing it stops it cleanly (committing its offsets)
   * @throws IllegalStateException if it fails or is not running within 60 s
   */
  public static AutoCloseable start(String topology, Properties config) throws InterruptedException {
    KafkaStreams streams = new KafkaStreams(switch (topology) {
      case "stateless" -> stateless();
      case "word-count" -> wordCount("lines", "word-counts");
      case "word-count-eos" -> wordCount("eos-lines", "eos-word-counts");
      case "hourly-revenue" -> hourlyRevenue();
      default -> throw new IllegalArgumentException("no topology " + topology);
    }, config);
    CountDownLatch settled = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    streams.setStateListener((state, previous) -> {
      if (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.ERROR) {
        settled.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(exception -> {
      failure.set(exception);
      settled.countDown();
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.start();
    boolean inTime = settled.await(60, TimeUnit.SECONDS);
    if (!inTime || failure.get() != null || streams.state() != KafkaStreams.State.RUNNING) {
      KafkaStreams.State state = streams.state();
      streams.close(Duration.ofSeconds(10));
      throw new IllegalStateException("Streams application " + topology + " is " + state
          + (inTime ? "" : " after 60 s"), failure.get());
    }
    return () -> streams.close(Duration.ofSeconds(30));
  }

  /** Drops blank lines and upper-cases the rest. */
  private static Topology stateless() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("stateless-in", Consumed.with(Serdes.String(), Serdes.String()))
        .filter((key, value) -> !value.isBlank())
        .mapValues(value -> value.toUpperCase())
        .to("stateless-out", Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  /** Counts words: re-keyed by word through a repartition topic, counted in a KTable backed by a changelog. */
  private static Topology wordCount(String lines, String counts) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(lines, Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues(line -> Arrays.asList(line.toLowerCase().split("\\W+")))
        .groupBy((key, word) -> word, Grouped.with("words", Serdes.String(), Serdes.String()))
        .count(Materialized.as("counts"))
        .toStream()
        .to(counts, Produced.with(Serdes.String(), Serdes.Long()));
    return builder.build();
  }

  /**
   * The seeds' {@code hourly-revenue}: order amounts summed by key in tumbling one-hour windows of event time (the
   * records' own timestamps), written as {@code key@windowStart}.
   */
  private static Topology hourlyRevenue() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("orders", Consumed.with(Serdes.String(), Serdes.Long()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofHours(1), Duration.ofHours(6)))
        .reduce(Long::sum, Materialized.as("revenue"))
        .toStream((window, total) -> window.key() + "@" + window.window().startTime())
        .to("hourly-revenue", Produced.with(Serdes.String(), Serdes.Long()));
    return builder.build();
  }
}
