package dev.runnel.broker.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {

  private final TopicMetadata orders = new TopicMetadata("orders", "id-1", 3, Map.of());

  @Test
  void when_replicationLagsBehindALocalCreate_then_theTopicStaysVisible() {
    Topics topics = new Topics(Map.of());
    topics.put(orders);
    topics.replaceAll(Map.of());
    assertEquals(orders, topics.get("orders").orElseThrow(), "a stale replicated map does not hide it");
    topics.replaceAll(Map.of("orders", orders));
    topics.replaceAll(Map.of());
    assertTrue(topics.get("orders").isEmpty(), "once replicated, the replicated map is the truth");
  }

  @Test
  void when_replicationLagsBehindALocalDelete_then_theTopicStaysGone() {
    Topics topics = new Topics(Map.of());
    topics.replaceAll(Map.of("orders", orders));
    topics.remove(orders);
    topics.replaceAll(Map.of("orders", orders));
    assertTrue(topics.get("orders").isEmpty(), "a stale replicated map does not bring it back");
    TopicMetadata recreated = new TopicMetadata("orders", "id-2", 1, Map.of());
    topics.replaceAll(Map.of("orders", recreated));
    assertEquals(recreated, topics.get("orders").orElseThrow(), "a topic of the same name with a new id shows");
  }

  @Test
  void when_aLocalChangeIsNewerThanTheReplicatedTopic_then_theChangeShows() {
    Topics topics = new Topics(Map.of());
    topics.replaceAll(Map.of("orders", orders));
    TopicMetadata grown = orders.withPartitions(6);
    topics.put(grown);
    topics.replaceAll(Map.of("orders", orders));
    assertEquals(6, topics.get("orders").orElseThrow().partitions());
  }
}
