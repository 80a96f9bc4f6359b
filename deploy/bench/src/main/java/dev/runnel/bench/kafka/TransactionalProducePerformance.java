package dev.runnel.bench.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Transactional against plain produce throughput with kafka-clients, against any Kafka-protocol broker: the same
 * {@code records} of {@code record-size} bytes are written to a topic of their own per case, as an idempotent producer
 * with acks=all, and as a transactional producer that commits every 100 and every 10,000 records. Record {@code i}
 * goes to partition {@code i % partitions}, so every transaction spans every partition (AddPartitionsToTxn and one
 * marker per partition each time, as a consume-transform-produce job over a keyed topic would).
 *
 * <p>After the timed part, each transactional case writes one more transaction of its size and aborts it. Then a
 * read_committed consumer reads every partition of the case's topic up to its last stable offset: it must see exactly
 * the records that were acknowledged (plain) or committed (transactional) and none of the aborted ones, or the bench
 * exits with status 1 naming the case. Time is measured, never asserted.
 *
 * <p>Prints one Markdown table: records/s, MB/s (MiB of record values per second, as Kafka's ProducerPerformance
 * counts) and transactions/s per case, with the committed and read_committed counts. The clock of a case starts after
 * {@code initTransactions()} (or, for the plain case, the first metadata fetch) and stops when the last commit (or
 * {@code flush()}) returns.
 *
 * <p>First, {@code warmup} records (by default as many as {@code records}; 0 for none) are produced as in the plain
 * case to a topic of their own and not counted, so that the first case does not run in cold JVMs (the client's and
 * the broker's).
 *
 * <p>Usage: {@code TransactionalProducePerformance BOOTSTRAP [--records N] [--partitions P] [--record-size BYTES]
 * [--warmup N]}.
 */
public final class TransactionalProducePerformance {

  /** A way of producing: plain idempotent ({@code recordsPerTransaction} 0) or transactions of a fixed size. */
  record Case(String name, int recordsPerTransaction) {
    boolean transactional() {
      return recordsPerTransaction > 0;
    }
  }

  /** Records sent, and those confirmed: acknowledged (plain) or in committed transactions. */
  record Produced(long sent, long committed, long transactions, double seconds) {}

  /** What a read_committed consumer saw up to the last stable offset of every partition. */
  record Consumed(long records, long abortedSeen) {}

  static final List<Case> CASES = List.of(
      new Case("idempotent acks=all", 0),
      new Case("transactions of 100", 100),
      new Case("transactions of 10,000", 10_000));

  /** The first value byte tells a committed record from one of the aborted transaction. */
  private static final byte COMMITTED = 0;
  private static final byte ABORTED = 1;
  /** A consumer that has not reached the end of every partition by then is reported as a failure. */
  private static final Duration READ_LIMIT = Duration.ofMinutes(5);

  private TransactionalProducePerformance() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: TransactionalProducePerformance BOOTSTRAP [--records N] [--partitions P]"
          + " [--record-size BYTES] [--warmup N]");
      System.exit(2);
    }
    String bootstrap = args[0];
    long records = 200_000;
    int partitions = 3;
    int recordSize = 100;
    long warmup = -1;
    for (int i = 1; i < args.length; i += 2) {
      if (i + 1 == args.length) {
        throw new IllegalArgumentException("option " + args[i] + " needs a value");
      }
      switch (args[i]) {
        case "--records" -> records = Long.parseLong(args[i + 1]);
        case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
        case "--record-size" -> recordSize = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Long.parseLong(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    checkPositive(records, "--records must be positive");
    checkPositive(partitions, "--partitions must be positive");
    // The first byte of a value marks the aborted records.
    checkPositive(recordSize, "--record-size must be positive");
    String run = Long.toString(System.currentTimeMillis(), 36);
    warmup = warmup < 0 ? records : warmup;
    if (warmup > 0) {
      String topic = "txn-bench-" + run + "-warmup";
      createTopic(bootstrap, topic, partitions);
      System.err.printf(Locale.ROOT, "warm-up (not counted): %d records%n", warmup);
      produceIdempotent(bootstrap, topic, partitions, warmup, recordSize);
    }
    List<String> rows = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (Case c : CASES) {
      String topic = "txn-bench-" + run + "-" + (c.transactional() ? c.recordsPerTransaction() : "plain");
      createTopic(bootstrap, topic, partitions);
      System.err.printf(Locale.ROOT, "%s: %d records of %d B over %d partitions%n", c.name(), records, recordSize,
          partitions);
      Produced produced = c.transactional()
          ? produceTransactions(bootstrap, topic, partitions, records, recordSize, c.recordsPerTransaction(),
              "txn-bench-" + run + "-" + c.recordsPerTransaction())
          : produceIdempotent(bootstrap, topic, partitions, records, recordSize);
      Consumed consumed = readCommitted(bootstrap, topic, partitions);
      check(c, produced, consumed).ifPresent(failures::add);
      rows.add(row(c, produced, consumed, recordSize));
    }
    System.out.println("| case | records/s | MB/s | transactions/s | committed | read_committed |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    if (!failures.isEmpty()) {
      failures.forEach(f -> System.err.println("RECORDS MISSING: " + f));
      System.exit(1);
    }
  }

  /** Why the consumed count disagrees with what was committed, if it does: the pure decision behind the exit status. */
  static Optional<String> check(Case c, Produced produced, Consumed consumed) {
    if (produced.committed() != produced.sent()) {
      return Optional.of(String.format(Locale.ROOT, "%s: %d records sent, %d acknowledged", c.name(),
          produced.sent(), produced.committed()));
    }
    if (consumed.abortedSeen() > 0) {
      return Optional.of(String.format(Locale.ROOT, "%s: read_committed returned %d records of an aborted transaction",
          c.name(), consumed.abortedSeen()));
    }
    if (consumed.records() != produced.committed()) {
      return Optional.of(String.format(Locale.ROOT, "%s: %d records committed, read_committed read %d",
          c.name(), produced.committed(), consumed.records()));
    }
    return Optional.empty();
  }

  static String row(Case c, Produced produced, Consumed consumed, int recordSize) {
    double recordsPerSecond = produced.committed() / produced.seconds();
    double mbPerSecond = recordsPerSecond * recordSize / (1024 * 1024);
    String transactionsPerSecond = c.transactional()
        ? String.format(Locale.ROOT, "%.1f", produced.transactions() / produced.seconds())
        : "n/a";
    return String.format(Locale.ROOT, "| %s | %.1f | %.2f | %s | %d | %d |", c.name(), recordsPerSecond, mbPerSecond,
        transactionsPerSecond, produced.committed(), consumed.records());
  }

  private static void checkPositive(long value, String message) {
    if (value <= 0) {
      throw new IllegalArgumentException(message + ": " + value);
    }
  }

  private static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  private static Map<String, Object> producerConfig(String bootstrap) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return config;
  }

  private static Produced produceIdempotent(String bootstrap, String topic, int partitions, long records,
      int recordSize) {
    AtomicLong acknowledged = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    byte[] value = value(recordSize, COMMITTED);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(bootstrap))) {
      producer.partitionsFor(topic);
      long start = System.nanoTime();
      for (long i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null, value), (metadata, e) -> {
          if (e == null) {
            acknowledged.incrementAndGet();
          } else {
            failure.compareAndSet(null, e);
          }
        });
      }
      producer.flush();
      double seconds = (System.nanoTime() - start) / 1e9;
      if (failure.get() != null) {
        System.err.println("idempotent send failed: " + failure.get());
      }
      return new Produced(records, acknowledged.get(), 0, seconds);
    }
  }

  private static Produced produceTransactions(String bootstrap, String topic, int partitions, long records,
      int recordSize, int perTransaction, String transactionalId) {
    Map<String, Object> config = producerConfig(bootstrap);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    byte[] committed = value(recordSize, COMMITTED);
    byte[] aborted = value(recordSize, ABORTED);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      producer.initTransactions();
      long start = System.nanoTime();
      long sent = 0;
      long transactions = 0;
      while (sent < records) {
        long end = Math.min(records, sent + perTransaction);
        producer.beginTransaction();
        for (long i = sent; i < end; i++) {
          producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null, committed));
        }
        // commitTransaction flushes and throws if any send of the transaction failed.
        producer.commitTransaction();
        sent = end;
        transactions++;
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      // Its records reach a partition only once the coordinator has completed the last commit (it refuses to add a
      // partition to a transaction while the previous one is still writing its markers), so the read_committed end
      // offsets looked up afterwards lie beyond every committed record.
      producer.beginTransaction();
      for (long i = 0; i < perTransaction; i++) {
        producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null, aborted));
      }
      producer.flush();
      producer.abortTransaction();
      return new Produced(records, sent, transactions, seconds);
    }
  }

  /** Reads every partition from its start to its last stable offset, which read_committed end offsets return. */
  private static Consumed readCommitted(String bootstrap, String topic, int partitions) {
    List<TopicPartition> assigned = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      assigned.add(new TopicPartition(topic, p));
    }
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
      long records = 0;
      long abortedSeen = 0;
      long deadline = System.nanoTime() + READ_LIMIT.toNanos();
      while (!reachedEnd(consumer, ends)) {
        if (System.nanoTime() > deadline) {
          // Not a time assertion: a consumer stuck short of the end would otherwise hang the bench.
          System.err.printf(Locale.ROOT, "%s: read_committed stuck short of the end offsets %s after %s%n", topic,
              ends, READ_LIMIT);
          break;
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          records++;
          if (record.value()[0] == ABORTED) {
            abortedSeen++;
          }
        }
      }
      return new Consumed(records, abortedSeen);
    }
  }

  private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (consumer.position(end.getKey()) < end.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static byte[] value(int size, byte marker) {
    byte[] value = new byte[size];
    value[0] = marker;
    return value;
  }
}
