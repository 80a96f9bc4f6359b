package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.broker.testkit.ClusterNodes;
import dev.runnel.broker.testkit.ClusterNodes.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three node JVMs with no seed nodes form one cluster by Pekko Management Cluster Bootstrap alone, finding each
 * other's management endpoints by config discovery on loopback: a lone node waits (not ready) for the contact
 * points it requires, then all three are Up under one leader, every node ready, and a topic created through one
 * node is written through a second and read through the third.
 */
class ClusterBootstrapTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void when_threeNodesBootstrapWithConfigDiscovery_then_theyFormOneClusterAndReadinessFollowsMembership()
      throws Exception {
    // This test is about forming a cluster, not failover: a failure detector and SBR this patient keep a
    // heavily loaded machine's stalls (JVMs starting, GC) from downing a node mid-formation, which the defaults,
    // tuned for a 10 s failover, would do there.
    List<String> patient = List.of(
        "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=15s",
        "-Dpekko.cluster.split-brain-resolver.stable-after=15s");
    try (ClusterNodes cluster = ClusterNodes.bootstrapping(3, patient)) {
      Node first = cluster.startNode(1);
      // Its servers listen, but it requires three contact points: it has not joined and is not ready, yet alive.
      assertEquals(503, cluster.managementStatus(first, "/ready"), "/ready of a node that has not joined");
      assertEquals(200, cluster.managementStatus(first, "/alive"), "/alive of a node that has not joined");
      assertFalse(cluster.cluster(first).path("members").findValuesAsText("status").contains("Up"),
          "a lone bootstrapping node is no Up member: " + cluster.cluster(first));

      List<Thread> starting = new ArrayList<>();
      List<Exception> failures = new ArrayList<>();
      for (int id = 2; id <= 3; id++) {
        int node = id;
        Thread thread = new Thread(() -> {
          try {
            cluster.startNode(node);
          } catch (Exception e) {
            synchronized (failures) {
              failures.add(e);
            }
          }
        });
        thread.start();
        starting.add(thread);
      }
      for (Thread thread : starting) {
        thread.join();
      }
      assertTrue(failures.isEmpty(), () -> "a node did not start: " + failures);
      cluster.awaitUp(3, Duration.ofSeconds(90));

      Set<String> leaders = new HashSet<>();
      for (Node node : cluster.running()) {
        awaitReady(cluster, node);
        JsonNode members = management(node, "/cluster/members");
        assertEquals(3, members.path("members").size(), "members seen by node " + node.id() + ": " + members);
        for (JsonNode member : members.path("members")) {
          assertEquals("Up", member.path("status").asText(), "node " + node.id() + " sees " + member);
        }
        assertTrue(members.path("leader").isTextual(), "node " + node.id() + " names a leader: " + members);
        leaders.add(members.path("leader").asText());
      }
      assertEquals(1, leaders.size(), "every node names the same leader: " + leaders);

      String topic = "bootstrapped";
      int partitions = 6;
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.node(1).kafka()))) {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      Set<String> sent = new HashSet<>();
      try (KafkaProducer<String, String> producer = producer(cluster.node(2).kafka())) {
        for (int i = 0; i < 30; i++) {
          producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)).get(30, TimeUnit.SECONDS);
          sent.add("value-" + i);
        }
      }
      Set<String> read = new HashSet<>();
      try (KafkaConsumer<String, String> consumer = consumer(cluster.node(3).kafka())) {
        List<TopicPartition> assigned = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
          assigned.add(new TopicPartition(topic, p));
        }
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!read.containsAll(sent) && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
            read.add(record.value());
          }
        }
      }
      assertEquals(sent, read, "records written through node 2 and read through node 3");
    }
  }

  /** /ready follows membership a moment after /cluster shows it (the endpoint's own publication). */
  private static void awaitReady(ClusterNodes cluster, Node node) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    int status;
    while ((status = cluster.managementStatus(node, "/ready")) != 200) {
      assertTrue(System.nanoTime() < deadline, "/ready of Up node " + node.id() + " answers " + status);
      Thread.sleep(100);
    }
  }

  private static JsonNode management(Node node, String path) throws Exception {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort() + path))
            .timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), "GET " + path + " on node " + node.id() + ": " + response.body());
    return JSON.readTree(response.body());
  }

  private static KafkaProducer<String, String> producer(String bootstrap) {
    Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(properties);
  }

  private static KafkaConsumer<String, String> consumer(String bootstrap) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(properties);
  }
}
