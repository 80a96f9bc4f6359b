package dev.runnel.broker.metrics;

import dev.runnel.broker.partition.PartitionId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's meters, in one Micrometer registry exposed in Prometheus' text format at {@code GET /metrics}
 * ({@link MetricsApi}). The doors and the partitions record traffic, requests and journal writes here as they
 * happen; offsets, sizes, lag and membership are read when scraped ({@link ScrapeCollector}). Every figure is this
 * node's: a partition's offsets come from the node that hosts it, a group's lag from the node of its coordinator,
 * traffic from the node that served it, so summing over nodes never counts twice.
 *
 * <p>Reachable from the actor system ({@code RunnelMetrics.get(system)}); thread-safe.
 */
public final class RunnelMetrics implements Extension {

  private static final ExtensionId<RunnelMetrics> ID = new ExtensionId<>() {
    @Override
    public RunnelMetrics createExtension(ActorSystem<?> system) {
      return new RunnelMetrics();
    }
  };

  /** Where request and write latencies are expected, bounding the histograms' buckets. */
  private static final Duration SHORTEST = Duration.ofMillis(1).dividedBy(10);
  private static final Duration LONGEST = Duration.ofSeconds(60);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<RequestKey, Timer> requests = new ConcurrentHashMap<>();
  private final Map<ErrorKey, Counter> errors = new ConcurrentHashMap<>();
  private final Map<PartitionId, Traffic> traffic = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
  private final Timer journalWrites;
  private final DistributionSummary groupCommitAppends;
  private final DistributionSummary groupCommitBytes;

  private record RequestKey(ApiKeys api, short version) {}

  private record ErrorKey(ApiKeys api, Errors error) {}

  /** One partition's traffic through this node. */
  private record Traffic(Counter recordsIn, Counter bytesIn, Counter recordsOut, Counter bytesOut) {}

  private RunnelMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    journalWrites = Timer.builder("runnel.journal.write")
        .description("Journal writes of partitions hosted here, from the write's start to its acknowledgement")
        .publishPercentileHistogram().minimumExpectedValue(SHORTEST).maximumExpectedValue(LONGEST)
        .register(registry);
    groupCommitAppends = DistributionSummary.builder("runnel.group.commit.appends")
        .description("Appends (produce requests' partition data) that shared one journal write")
        .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(10_000.0)
        .register(registry);
    groupCommitBytes = DistributionSummary.builder("runnel.group.commit.bytes").baseUnit("bytes")
        .description("Record bytes of one journal write")
        .publishPercentileHistogram().minimumExpectedValue(64.0).maximumExpectedValue(64.0 * 1024 * 1024)
        .register(registry);
  }

  public static RunnelMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** One Kafka request answered: its latency, and the errors its response reports (Kafka's error counts). */
  public void kafkaRequest(ApiKeys api, short version, long nanos, Map<Errors, Integer> responseErrors) {
    requests.computeIfAbsent(new RequestKey(api, version), key -> Timer.builder("runnel.kafka.requests")
            .description("Kafka protocol requests answered by this node, by API and version, and their latency")
            .tags("api", api.name, "version", Short.toString(version))
            .publishPercentileHistogram().minimumExpectedValue(SHORTEST).maximumExpectedValue(LONGEST)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
    responseErrors.forEach((error, count) -> {
      if (error != Errors.NONE && count > 0) {
        errors.computeIfAbsent(new ErrorKey(api, error), key -> Counter.builder("runnel.kafka.errors")
                .description("Errors in this node's Kafka responses, by API and Kafka error name")
                .tags("api", api.name, "error", error.name())
                .register(registry))
            .increment(count);
      }
    });
  }

  /**
   * Record batches about to be stored in a partition through this node (any door), counted once the partition
   * acknowledges them: call {@link Inbound#stored()} then.
   */
  public Inbound recordsIn(PartitionId partition, ByteBuffer batches) {
    long records = RecordCounts.records(batches, Long.MIN_VALUE);
    long bytes = batches.remaining();
    return () -> {
      Traffic meters = traffic(partition);
      meters.recordsIn().increment(records);
      meters.bytesIn().increment(bytes);
    };
  }

  /** Appended batches counted before they were handed to the partition, which may read them meanwhile. */
  @FunctionalInterface
  public interface Inbound {
    void stored();
  }

  /** Record batches sent to a client by this node (any door); records before {@code fromOffset} are not counted. */
  public void recordsOut(PartitionId partition, ByteBuffer batches, long fromOffset) {
    if (!batches.hasRemaining()) {
      return;
    }
    Traffic meters = traffic(partition);
    meters.recordsOut().increment(RecordCounts.records(batches, fromOffset));
    meters.bytesOut().increment(batches.remaining());
  }

  /** Records sent to a client by this node as JSON (HTTP), and the record batch bytes read for them. */
  public void recordsOut(PartitionId partition, long records, long batchBytes) {
    Traffic meters = traffic(partition);
    meters.recordsOut().increment(records);
    meters.bytesOut().increment(batchBytes);
  }

  /** One partition journal write: its latency, and how many appends and bytes it carried (group commit). */
  public void journalWrite(long nanos, int appends, long bytes) {
    journalWrites.record(nanos, TimeUnit.NANOSECONDS);
    groupCommitAppends.record(appends);
    groupCommitBytes.record(bytes);
  }

  /** The open connections of one door ({@code kafka}, {@code native}), counted up and down by the door. */
  public AtomicInteger connections(String door) {
    return connections.computeIfAbsent(door, name -> {
      AtomicInteger open = new AtomicInteger();
      Gauge.builder("runnel.connections", open, AtomicInteger::get)
          .description("Open client connections, by protocol door")
          .tags("door", name)
          .register(registry);
      return open;
    });
  }

  /** The registry's contents in Prometheus' text exposition format. */
  public String scrape() {
    return registry.scrape();
  }

  private Traffic traffic(PartitionId partition) {
    return traffic.computeIfAbsent(partition, id -> {
      Tags tags = Tags.of("topic", id.topic(), "partition", Integer.toString(id.partition()));
      return new Traffic(
          Counter.builder("runnel.partition.received.records").description("Records appended through this node")
              .tags(tags).register(registry),
          Counter.builder("runnel.partition.received").baseUnit("bytes")
              .description("Record batch bytes appended through this node").tags(tags).register(registry),
          Counter.builder("runnel.partition.sent.records").description("Records sent to clients by this node")
              .tags(tags).register(registry),
          Counter.builder("runnel.partition.sent").baseUnit("bytes")
              .description("Record batch bytes read for clients by this node").tags(tags).register(registry));
    });
  }

  /** Forgets a deleted topic's traffic meters, so a re-created topic of the same name starts from zero. */
  public void forgetTopic(String topic) {
    traffic.entrySet().removeIf(entry -> {
      if (!entry.getKey().topic().equals(topic)) {
        return false;
      }
      Traffic meters = entry.getValue();
      List.of(meters.recordsIn(), meters.bytesIn(), meters.recordsOut(), meters.bytesOut()).forEach(registry::remove);
      return true;
    });
  }
}
