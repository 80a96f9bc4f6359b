package dev.runnel.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelConfig;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.Subscription;
import dev.runnel.persistence.PartitionJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Produces records of 100 bytes through the reactive client and consumes them back, over the native streaming
 * protocol, and prints records/s and MB/s for each, and the journal writes the producing took (group commit).
 *
 * <p>Usage: {@code NativeClientBench [ws://host:port] [records] [partitions]}. Without a URL it starts a node in
 * this JVM, with its data in a fresh temporary directory; the client always has an actor system of its own. A
 * program, not a test: it prints and asserts nothing.
 */
public final class NativeClientBench {

  private static final int RECORD_SIZE = 100;

  private NativeClientBench() {}

  public static void main(String[] args) throws Exception {
    RunnelNode.ensureCommonPoolThreads();
    String url = args.length > 0 && args[0].startsWith("ws") ? args[0] : null;
    int records = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    RunnelNode node = null;
    if (url == null) {
      Path dataDir = Files.createTempDirectory("runnel-bench-");
      Config config = RunnelConfig.load(Map.of(
          "runnel.data-dir", dataDir.toString(),
          "runnel.broker.http.port", 0,
          "runnel.broker.schema-registry.port", 0,
          "runnel.broker.kafka.port", 0,
          "runnel.broker.num-partitions", partitions,
          "pekko.loglevel", "WARNING"));
      node = RunnelNode.start(config, Duration.ofSeconds(60));
      url = "ws://127.0.0.1:" + node.httpPort();
      System.out.printf("node started in this JVM, data in %s%n", dataDir);
    }
    ActorSystem client = ActorSystem.create("bench-client",
        ConfigFactory.parseString("pekko.actor.provider = local, pekko.loglevel = WARNING")
            .withFallback(ConfigFactory.load()));
    try {
      String topic = "bench-" + System.currentTimeMillis();
      if (node != null) {
        node.broker().createTopic(topic, partitions, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      ProducerSettings producerSettings = ProducerSettings.create(client).withBootstrap(url);
      ConsumerSettings consumerSettings = ConsumerSettings.create(client).withBootstrap(url);
      System.out.printf("%,d records of %d bytes, topic %s, %d partitions, %s%n", records, RECORD_SIZE, topic,
          partitions, url);
      System.out.printf("producer: batch-size %d B, linger %d ms, acks %s, compression %s, max-in-flight %d%n",
          producerSettings.batchSize(), producerSettings.linger().toMillis(), producerSettings.acks(),
          producerSettings.compression(), producerSettings.maxInFlight());
      System.out.printf("consumer: max-frame-bytes %d B, credit-window %d frames per partition%n",
          consumerSettings.maxFrameBytes(), consumerSettings.creditWindow());

      byte[] payload = new byte[RECORD_SIZE];
      long start = System.nanoTime();
      Source.range(1, records)
          .map(i -> ProducerRecord.of(topic, payload))
          .runWith(Producer.plainSink(producerSettings), client)
          .toCompletableFuture().get(10, TimeUnit.MINUTES);
      report("produce", records, System.nanoTime() - start);

      int[] all = IntStream.range(0, partitions).toArray();
      start = System.nanoTime();
      Consumer.plainSource(consumerSettings, Subscription.earliest(topic, all))
          .take(records)
          .runWith(Sink.ignore(), client)
          .toCompletableFuture().get(10, TimeUnit.MINUTES);
      report("consume", records, System.nanoTime() - start);

      if (node != null) {
        printJournalWrites(node, topic, records);
      } else {
        System.out.println("journal writes: only counted for a node started by this program");
      }
    } finally {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (node != null) {
        node.close();
      }
    }
  }

  private static void report(String what, int records, long nanos) {
    double seconds = nanos / 1e9;
    System.out.printf("%-8s %,12.0f records/s %8.1f MB/s  (%.2f s)%n", what, records / seconds,
        records * (double) RECORD_SIZE / 1e6 / seconds, seconds);
    System.out.flush();
  }

  /** Journal writes are the partitions' journal events: one event per group-commit write. */
  private static void printJournalWrites(RunnelNode node, String topicName, int records) throws Exception {
    Broker broker = node.broker();
    TopicMetadata topic = broker.topic(topicName).orElseThrow();
    PartitionJournal journal = new PartitionJournal(node.system(), Duration.ofMinutes(2));
    long writes = 0;
    for (PartitionId partition : Broker.partitions(topic)) {
      String persistenceId = PersistenceId.of(Partition.ENTITY_KEY.name(), partition.entityId()).id();
      writes += journal.read(persistenceId, 1, Long.MAX_VALUE).toCompletableFuture()
          .get(2, TimeUnit.MINUTES).size();
    }
    System.out.printf("journal writes: %,d for %,d records (%.0f records per write)%n", writes, records,
        records / (double) writes);
  }
}
