package dev.runnel.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Many partitions on one node: creates topics totalling {@code partitions} partitions, writes one record to each
 * (the first write starts the partition), then {@code rounds} more rounds of one record per partition at a paced
 * rate, with kafka-clients' producer (acks=all, idempotent, Kafka's defaults). Prints produce latency (send to
 * acknowledgement) p50/p99/max of the first writes and of the later rounds, checks every partition's end offset,
 * and then the broker JVM's heap used after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}), its RSS, threads
 * and open files ({@code /proc/<pid>}). With an idle wait, the same again once that long has passed without a
 * request, so that the broker (started with a matching {@code runnel.broker.partition.idle-timeout}) has passivated
 * its partitions. Figures only: nothing here asserts on time.
 *
 * <p>{@code ManyPartitionsBench <bootstrap> <broker pid> [partitions] [partitions per topic] [rounds]
 * [records/s] [record bytes] [idle wait seconds, 0 for none]}
 */
public final class ManyPartitionsBench {

  private ManyPartitionsBench() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long pid = Long.parseLong(args[1]);
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    int perTopic = args.length > 3 ? Integer.parseInt(args[3]) : 1_000;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    int rate = args.length > 5 ? Integer.parseInt(args[5]) : 5_000;
    int recordBytes = args.length > 6 ? Integer.parseInt(args[6]) : 100;
    int idleWaitSeconds = args.length > 7 ? Integer.parseInt(args[7]) : 0;

    List<TopicPartition> all = createTopics(bootstrap, partitions, perTopic);
    Memory before = Memory.of(pid);
    byte[] value = new byte[recordBytes];
    Arrays.fill(value, (byte) 'x');
    long[] first;
    long[] later;
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      first = round(producer, all, value, rate);
      double firstSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("first write to each of %,d partitions: %.1f s%n", all.size(), firstSeconds);
      later = new long[0];
      for (int r = 0; r < rounds; r++) {
        long[] latencies = round(producer, all, value, rate);
        long[] joined = Arrays.copyOf(later, later.length + latencies.length);
        System.arraycopy(latencies, 0, joined, later.length, latencies.length);
        later = joined;
      }
    }
    long wrong = checkEndOffsets(bootstrap, all, rounds + 1L);
    Memory after = Memory.of(pid);
    Memory idle = null;
    if (idleWaitSeconds > 0) {
      TimeUnit.SECONDS.sleep(idleWaitSeconds);
      idle = Memory.of(pid);
    }

    System.out.printf("%nMany partitions on one node: %,d partitions (%d topics), %d B records, acks=all, "
        + "paced at %,d records/s%n", all.size(), (all.size() + perTopic - 1) / perTopic, recordBytes, rate);
    System.out.printf("%-34s %10s %10s %10s %10s%n", "produce latency (ms)", "records", "p50", "p99", "max");
    print("first write (partition starts)", first);
    print("rounds 2.." + (rounds + 1) + " (partition running)", later);
    System.out.printf("end offsets: %s%n", wrong == 0 ? "every partition holds " + (rounds + 1) + " records"
        : wrong + " partitions do NOT hold " + (rounds + 1) + " records");
    System.out.printf("%n%-34s %12s %12s %12s%n", "broker JVM", "before", "written",
        idle == null ? "" : idleWaitSeconds + " s idle");
    Memory last = idle;
    System.out.printf("%-34s %12s %12s %12s%n", "heap used after full GC (MiB)", mib(before.heapUsedKb()),
        mib(after.heapUsedKb()), last == null ? "" : mib(last.heapUsedKb()));
    System.out.printf("%-34s %12s %12s %12s%n", "heap committed (MiB)", mib(before.heapCommittedKb()),
        mib(after.heapCommittedKb()), last == null ? "" : mib(last.heapCommittedKb()));
    System.out.printf("%-34s %12s %12s %12s%n", "RSS, VmRSS (MiB)", mib(before.rssKb()), mib(after.rssKb()),
        last == null ? "" : mib(last.rssKb()));
    System.out.printf("%-34s %12d %12d %12s%n", "threads", before.threads(), after.threads(),
        last == null ? "" : Long.toString(last.threads()));
    System.out.printf("%-34s %12d %12d %12s%n", "open files", before.openFiles(), after.openFiles(),
        last == null ? "" : Long.toString(last.openFiles()));
    System.out.printf("heap per partition after GC: %.1f KiB%n",
        (after.heapUsedKb() - before.heapUsedKb()) / (double) all.size());
  }

  private static List<TopicPartition> createTopics(String bootstrap, int partitions, int perTopic) throws Exception {
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 120_000);
    List<TopicPartition> all = new ArrayList<>();
    List<NewTopic> topics = new ArrayList<>();
    for (int t = 0; partitions - t * perTopic > 0; t++) {
      int count = Math.min(perTopic, partitions - t * perTopic);
      String name = "many-" + t;
      topics.add(new NewTopic(name, count, (short) 1));
      for (int p = 0; p < count; p++) {
        all.add(new TopicPartition(name, p));
      }
    }
    try (Admin admin = Admin.create(properties)) {
      admin.createTopics(topics).all().get(120, TimeUnit.SECONDS);
    }
    return all;
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
    properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 60_000);
    properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000);
    return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** One record to every partition, paced at {@code rate} records/s; the latency of each, in microseconds. */
  private static long[] round(KafkaProducer<byte[], byte[]> producer, List<TopicPartition> all, byte[] value,
      int rate) throws Exception {
    long[] latencies = new long[all.size()];
    CountDownLatch done = new CountDownLatch(all.size());
    AtomicReference<Exception> failure = new AtomicReference<>();
    AtomicInteger failed = new AtomicInteger();
    long start = System.nanoTime();
    for (int i = 0; i < all.size(); i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      TopicPartition partition = all.get(i);
      int slot = i;
      long sent = System.nanoTime();
      producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), null, value), (metadata, e) -> {
        latencies[slot] = (System.nanoTime() - sent) / 1_000;
        if (e != null) {
          failure.set(e);
          failed.incrementAndGet();
        }
        done.countDown();
      });
    }
    if (!done.await(600, TimeUnit.SECONDS)) {
      throw new IllegalStateException("a round of sends did not complete in 10 minutes");
    }
    if (failure.get() != null) {
      throw new IllegalStateException(failed.get() + " sends failed", failure.get());
    }
    return latencies;
  }

  private static long checkEndOffsets(String bootstrap, List<TopicPartition> all, long expected) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 120_000);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Map<TopicPartition, Long> ends = consumer.endOffsets(all);
      return all.stream().filter(partition -> ends.getOrDefault(partition, -1L) != expected).count();
    }
  }

  private static void print(String name, long[] micros) {
    long[] sorted = micros.clone();
    Arrays.sort(sorted);
    System.out.printf("%-34s %,10d %10.1f %10.1f %10.1f%n", name, sorted.length, percentile(sorted, 0.50) / 1e3,
        percentile(sorted, 0.99) / 1e3, sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e3);
  }

  private static double percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  private static String mib(long kb) {
    return String.format("%,.0f", kb / 1024.0);
  }

  /** The broker JVM's memory as the OS and the JVM see it, after a full GC. */
  private record Memory(long heapUsedKb, long heapCommittedKb, long rssKb, long threads, long openFiles) {

    private static final Pattern HEAP = Pattern.compile("total (\\d+)K, used (\\d+)K");

    static Memory of(long pid) throws IOException, InterruptedException {
      jcmd(pid, "GC.run");
      String heap = jcmd(pid, "GC.heap_info");
      Matcher matcher = HEAP.matcher(heap);
      if (!matcher.find()) {
        throw new IllegalStateException("no heap figures in jcmd GC.heap_info:\n" + heap);
      }
      String status = Files.readString(Path.of("/proc/" + pid + "/status"));
      long openFiles;
      try (var files = Files.list(Path.of("/proc/" + pid + "/fd"))) {
        openFiles = files.count();
      }
      return new Memory(Long.parseLong(matcher.group(2)), Long.parseLong(matcher.group(1)),
          statusField(status, "VmRSS"), statusField(status, "Threads"), openFiles);
    }

    private static long statusField(String status, String field) {
      Matcher matcher = Pattern.compile("(?m)^" + field + ":\\s+(\\d+)").matcher(status);
      if (!matcher.find()) {
        throw new IllegalStateException("no " + field + " in /proc/<pid>/status");
      }
      return Long.parseLong(matcher.group(1));
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
      Process process = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + out);
      }
      return out;
    }
  }
}
