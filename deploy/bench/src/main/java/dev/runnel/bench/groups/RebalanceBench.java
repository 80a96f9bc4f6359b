package dev.runnel.bench.groups;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Rebalance times of a classic consumer group with kafka-clients, against any Kafka-protocol broker: how long until
 * {@code members} consumers that subscribe together own every partition, until the survivors own everything after
 * one leaves, and until a newcomer owns its share — for the eager range assignor and the cooperative-sticky one.
 * Each consumer polls on its own thread. Prints a table; asserts nothing.
 *
 * <p>Usage: {@code RebalanceBench BOOTSTRAP [--members N] [--partitions P] [--rounds R]}.
 */
public final class RebalanceBench {

  private static final Duration LIMIT = Duration.ofSeconds(120);

  /** A consumer polling on its own thread; its assignment is read from other threads. */
  private static final class Member implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile boolean stopped;

    Member(String bootstrap, String group, String topic, String assignor) {
      consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, group,
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor,
          ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
          ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
      thread = new Thread(() -> {
        consumer.subscribe(List.of(topic));
        while (!stopped) {
          consumer.poll(Duration.ofMillis(20));
          assignment = Set.copyOf(consumer.assignment());
        }
        consumer.close(Duration.ofSeconds(10));
      }, "bench-" + group);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      stopped = true;
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  private RebalanceBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: RebalanceBench BOOTSTRAP [--members N] [--partitions P] [--rounds R]");
      System.exit(2);
    }
    String bootstrap = args[0];
    int members = 3;
    int partitions = 6;
    int rounds = 3;
    for (int i = 1; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--members" -> members = Integer.parseInt(args[i + 1]);
        case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    int partitionCount = partitions;
    String run = Long.toString(System.currentTimeMillis(), 36);
    String topic = "rebalance-bench-" + run;
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
    System.out.printf(Locale.ROOT, "%n%d consumers, %d partitions, median of %d rounds (ms)%n", members, partitions,
        rounds);
    System.out.printf(Locale.ROOT, "%-26s %10s %12s %11s%n", "assignor", "all join", "one leaves", "one joins");
    for (String assignor : List.of(RangeAssignor.class.getName(), CooperativeStickyAssignor.class.getName())) {
      List<Long> joins = new ArrayList<>();
      List<Long> leaves = new ArrayList<>();
      List<Long> newcomers = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        String group = "bench-" + run + "-" + assignor.hashCode() + "-" + round;
        List<Member> group0 = new ArrayList<>();
        long start = System.nanoTime();
        for (int m = 0; m < members; m++) {
          group0.add(new Member(bootstrap, group, topic, assignor));
        }
        joins.add(until(start, () -> balanced(group0, partitionCount)));
        Member leaving = group0.remove(group0.size() - 1);
        start = System.nanoTime();
        leaving.close();
        leaves.add(until(start, () -> balanced(group0, partitionCount)));
        start = System.nanoTime();
        group0.add(new Member(bootstrap, group, topic, assignor));
        newcomers.add(until(start, () -> balanced(group0, partitionCount)));
        for (Member member : group0) {
          member.close();
        }
      }
      String name = assignor.substring(assignor.lastIndexOf('.') + 1);
      System.out.printf(Locale.ROOT, "%-26s %10d %12d %11d%n", name, median(joins), median(leaves),
          median(newcomers));
    }
  }

  /** Every partition has exactly one owner and every member owns some. */
  private static boolean balanced(List<Member> group, int partitions) {
    Set<TopicPartition> owned = new HashSet<>();
    int total = 0;
    for (Member member : group) {
      Set<TopicPartition> assignment = member.assignment;
      if (assignment.isEmpty() && partitions >= group.size()) {
        return false;
      }
      owned.addAll(assignment);
      total += assignment.size();
    }
    return owned.size() == partitions && total == partitions;
  }

  private static long until(long start, BooleanSupplier done) throws InterruptedException {
    long deadline = start + LIMIT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the group did not settle within " + LIMIT);
      }
      Thread.sleep(5);
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
