package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.TestNodes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One writer per partition, shown without timing luck: two nodes that do not know of each other (each its own
 * one-node cluster, as a node on the far side of a network partition that has not been downed yet) host the same
 * partition on one PostgreSQL journal. The first writes, the second recovers and writes after it, then the first
 * (stale: its state misses the second's write) appends again. The journal's primary key (persistence_id,
 * sequence_number) refuses that write: it is not acknowledged, no row of it exists, and the log is one history
 * that both nodes read alike once the stale partition has recovered.
 */
class StaleWriterTest {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void when_staleWriterAppendsAfterTheNewOwner_then_theJournalRefusesItAndTheLogIsOneHistory() throws Exception {
    String database = ClusterNodes.createDatabase();
    Map<String, Object> shared = Map.of(
        "runnel.persistence.profile", "postgres",
        "runnel.persistence.postgres.url", ClusterNodes.databaseUrl(database),
        "runnel.broker.ask-timeout", "5 s");
    try (RunnelNode stale = TestNodes.start(TestNodes.newDataDir(), shared)) {
      stale.broker().createTopic("ledger", 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(0, send(stale, "stale-1"), "the first write");
      try (RunnelNode owner = TestNodes.start(TestNodes.newDataDir(), shared)) {
        assertEquals(1, send(owner, "owner-1"), "the new owner writes after what it recovered");
        ExecutionException refused = assertThrows(ExecutionException.class, () -> send(stale, "stale-2"),
            "the stale writer's append is not acknowledged");
        System.out.println("Stale append answered: " + refused.getCause());

        assertEquals(List.of("1", "2"), journalSequenceNumbers(database), "journal rows of the partition");
        for (RunnelNode node : List.of(owner, stale)) {
          Map<Long, String> log = KeyedTraffic.readAll("127.0.0.1:" + node.kafkaPort(), "ledger", 1)
              .get(new TopicPartition("ledger", 0));
          assertEquals(Map.of(0L, "stale-1", 1L, "owner-1"), log, "the log read through node " + node.kafkaPort());
        }
      }
    } finally {
      ClusterNodes.dropDatabase(database);
    }
  }

  /** Produces one record through this node (acks=1, no retries) and returns its offset. */
  private static long send(RunnelNode node, String value) throws Exception {
    Properties properties = KeyedTraffic.producerProperties("127.0.0.1:" + node.kafkaPort());
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    properties.put(ProducerConfig.ACKS_CONFIG, "1");
    properties.put(ProducerConfig.RETRIES_CONFIG, "0");
    properties.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties)) {
      return producer.send(new ProducerRecord<>("ledger", 0, null, value)).get(60, TimeUnit.SECONDS).offset();
    }
  }

  private static List<String> journalSequenceNumbers(String database) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection connection = DriverManager.getConnection(ClusterNodes.databaseUrl(database), "runnel", "runnel");
        Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery("SELECT sequence_number FROM public.event_journal"
            + " WHERE persistence_id LIKE 'partition|ledger/0/%' ORDER BY sequence_number")) {
      while (result.next()) {
        rows.add(result.getString(1));
      }
    }
    return rows;
  }
}
