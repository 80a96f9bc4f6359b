package dev.runnel.broker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * A kafka-clients consumer in a group, polling on its own thread (a KafkaConsumer is not thread-safe): it counts
 * every record it receives in a map shared by the test, commits after processing each batch (unless told not to),
 * and records what its rebalance listener saw.
 */
final class GroupMemberThread implements AutoCloseable {

  final String name;
  final List<TopicPartition> revoked = new CopyOnWriteArrayList<>();
  final List<TopicPartition> lost = new CopyOnWriteArrayList<>();
  final AtomicInteger assignedCalls = new AtomicInteger();
  final Set<String> received = ConcurrentHashMap.newKeySet();
  private final KafkaConsumer<String, String> consumer;
  private final Map<String, AtomicInteger> counts;
  private final boolean commit;
  private final Thread thread;
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile int generation = -1;
  private volatile boolean stopped;
  private volatile CloseOptions closeOptions = CloseOptions.timeout(Duration.ofSeconds(10));
  private volatile Throwable failure;

  GroupMemberThread(String name, KafkaConsumer<String, String> consumer, Collection<String> topics,
      Map<String, AtomicInteger> counts, boolean commit) {
    this.name = name;
    this.consumer = consumer;
    this.counts = counts;
    this.commit = commit;
    this.thread = new Thread(() -> run(topics), name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run(Collection<String> topics) {
    try {
      consumer.subscribe(topics, new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          revoked.addAll(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          assignedCalls.incrementAndGet();
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
          lost.addAll(partitions);
        }
      });
      while (!stopped) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<String, String> record : records) {
          counts.computeIfAbsent(record.value(), v -> new AtomicInteger()).incrementAndGet();
          received.add(record.value());
        }
        if (commit && !records.isEmpty()) {
          consumer.commitSync();
        }
        assignment = Set.copyOf(consumer.assignment());
        generation = consumer.groupMetadata().generationId();
      }
      consumer.close(closeOptions);
    } catch (Throwable e) {
      failure = e;
    }
  }

  Set<TopicPartition> assignment() {
    return new HashSet<>(assignment);
  }

  int generation() {
    return generation;
  }

  Throwable failure() {
    return failure;
  }

  /** Stops and closes the consumer with a LeaveGroup (dynamic members). */
  @Override
  public void close() {
    stop(CloseOptions.timeout(Duration.ofSeconds(10)));
  }

  /** Stops as if the process died: no LeaveGroup, no commit; the coordinator only notices missing heartbeats. */
  void kill() {
    stop(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
        .withTimeout(Duration.ZERO));
  }

  private void stop(CloseOptions options) {
    closeOptions = options;
    stopped = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
