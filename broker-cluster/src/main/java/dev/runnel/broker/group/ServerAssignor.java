package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * The coordinator's side of assignment for native members: it runs Kafka's own assignors (range, round-robin,
 * sticky, cooperative-sticky) on the members' subscriptions, which native members encode in Kafka's consumer
 * protocol like Kafka consumers do. Kafka's cooperative-sticky assignor withholds a partition that changes owner
 * from its new owner while the old owner still lists it as owned; the coordinator then starts another rebalance,
 * and the old owner's rejoin (without the partition) is its confirmation that it let it go (KIP-429).
 *
 * <p>Stateless and thread-safe: each call uses fresh assignor instances.
 */
final class ServerAssignor {

  private static final Map<String, Supplier<ConsumerPartitionAssignor>> ASSIGNORS = Map.of(
      "range", RangeAssignor::new,
      "roundrobin", RoundRobinAssignor::new,
      "sticky", StickyAssignor::new,
      "cooperative-sticky", CooperativeStickyAssignor::new);

  private ServerAssignor() {}

  static boolean known(String strategy) {
    return ASSIGNORS.containsKey(strategy);
  }

  /**
   * Assigns the partitions of the subscribed topics.
   *
   * @param subscriptions each member's subscription in Kafka's consumer protocol encoding
   * @param partitionCounts a topic's partition count, 0 when the topic does not exist
   * @return each member's assignment in Kafka's consumer protocol encoding
   */
  static Map<String, byte[]> assign(
      String strategy, Map<String, byte[]> subscriptions, ToIntFunction<String> partitionCounts) {
    ConsumerPartitionAssignor assignor = ASSIGNORS.get(strategy).get();
    Map<String, Subscription> decoded = new LinkedHashMap<>();
    Set<String> topics = new HashSet<>();
    subscriptions.forEach((memberId, bytes) -> {
      Subscription subscription = subscription(bytes);
      decoded.put(memberId, subscription);
      topics.addAll(subscription.topics());
    });
    List<PartitionInfo> partitions = new ArrayList<>();
    for (String topic : topics) {
      int count = partitionCounts.applyAsInt(topic);
      for (int p = 0; p < count; p++) {
        partitions.add(new PartitionInfo(topic, p, null, new Node[0], new Node[0]));
      }
    }
    Cluster cluster = new Cluster(null, List.of(), partitions, Set.of(), Set.of());
    Map<String, Assignment> assigned =
        assignor.assign(cluster, new GroupSubscription(decoded)).groupAssignment();
    Map<String, byte[]> encoded = new HashMap<>();
    for (String memberId : subscriptions.keySet()) {
      Assignment assignment = assigned.getOrDefault(memberId, new Assignment(List.of()));
      encoded.put(memberId, bytes(ConsumerProtocol.serializeAssignment(assignment)));
    }
    return encoded;
  }

  /**
   * Whether a stable group's assignments no longer cover the partitions of its subscribed topics as they are now:
   * a subscribed topic was created or grew after the assignment (its new partitions are nobody's), or an assigned
   * partition is gone. Kafka's assignors give every partition of a subscribed topic to some member, so this
   * compares the assignments' union with the partitions that exist.
   */
  static boolean outdated(
      Map<String, byte[]> subscriptions, Map<String, byte[]> assignments, ToIntFunction<String> partitionCounts) {
    Set<TopicPartition> existing = new HashSet<>();
    for (byte[] bytes : subscriptions.values()) {
      for (String topic : subscription(bytes).topics()) {
        int count = partitionCounts.applyAsInt(topic);
        for (int p = 0; p < count; p++) {
          existing.add(new TopicPartition(topic, p));
        }
      }
    }
    Set<TopicPartition> assigned = new HashSet<>();
    for (byte[] bytes : assignments.values()) {
      assigned.addAll(assignment(bytes).partitions());
    }
    return !assigned.equals(existing);
  }

  /** Whether some member owned a partition (by its subscription) that its new assignment no longer holds. */
  static boolean revokes(Map<String, byte[]> subscriptions, Map<String, byte[]> assignments) {
    for (Map.Entry<String, byte[]> entry : subscriptions.entrySet()) {
      List<TopicPartition> owned = subscription(entry.getValue()).ownedPartitions();
      Set<TopicPartition> kept = new HashSet<>(assignment(assignments.get(entry.getKey())).partitions());
      if (!kept.containsAll(owned)) {
        return true;
      }
    }
    return false;
  }

  static Subscription subscription(byte[] bytes) {
    return ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(bytes));
  }

  static Assignment assignment(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return new Assignment(List.of());
    }
    return ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(bytes));
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
