package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Subscription;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP and native reads at both isolation levels over a log with a committed, an aborted and an open
 * transaction: read_committed (the default) shows the committed records below the last stable offset only, never a
 * marker; read_uncommitted shows every record but the markers.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HttpTransactionalReadsTest {

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void when_transactionsAreCommittedAbortedAndOpen_then_eachReadShowsWhatItsIsolationLevelAllows() throws Exception {
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir())) {
      Broker broker = node.broker();
      PartitionId partition = Broker.partition(await(broker.createTopic("txn-reads", 1, Map.of())), 0);
      append(broker, partition, plain("before"));
      append(broker, partition, transactional(3, 0, "committed"));
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 3, (short) 0, 0, true)).error());
      append(broker, partition, transactional(4, 0, "aborted"));
      assertEquals(Errors.NONE, await(broker.writeTxnMarker(partition, 4, (short) 0, 0, false)).error());
      append(broker, partition, plain("between"));
      append(broker, partition, transactional(5, 0, "open"));
      append(broker, partition, plain("after"));

      HttpTestClient http = new HttpTestClient(node.httpPort());
      List<String> committed = List.of("before", "committed", "between");
      List<String> all = List.of("before", "committed", "aborted", "between", "open", "after");
      assertEquals(committed, values(http.get("/topics/txn-reads/partitions/0/records?offset=0")));
      assertEquals(committed,
          values(http.get("/topics/txn-reads/partitions/0/records?offset=0&isolation=read_committed")));
      assertEquals(all,
          values(http.get("/topics/txn-reads/partitions/0/records?offset=0&isolation=read_uncommitted")));
      assertEquals("INVALID_REQUEST",
          http.get("/topics/txn-reads/partitions/0/records?isolation=snapshot").error());

      ActorSystem<Void> client = ActorSystem.create(Behaviors.empty(), "txn-reads-client",
          ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
      try {
        ConsumerSettings settings = ConsumerSettings.create(client).withBootstrap("ws://127.0.0.1:" + node.httpPort());
        List<ConsumerRecord> streamed = await(Consumer.plainSource(settings, Subscription.earliest("txn-reads", 0))
            .take(committed.size())
            .runWith(Sink.seq(), client));
        List<String> values = new ArrayList<>();
        streamed.forEach(record -> values.add(new String(record.value(), StandardCharsets.UTF_8)));
        assertEquals(committed, values, "the native read is read_committed");
      } finally {
        client.terminate();
        client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static List<String> values(HttpTestClient.Answer answer) {
    assertEquals(200, answer.status(), answer.text());
    List<String> values = new ArrayList<>();
    for (JsonNode record : answer.json().path("records")) {
      values.add(record.path("value").asText());
    }
    return values;
  }

  private static void append(Broker broker, PartitionId partition, ByteBuffer records) throws Exception {
    assertEquals(Errors.NONE, await(broker.append(partition, records, (short) -1)).error());
  }

  private static ByteBuffer plain(String value) {
    return MemoryRecords.withRecords(Compression.NONE, record(value)).buffer();
  }

  private static ByteBuffer transactional(long producerId, int sequence, String value) {
    return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, (short) 0, sequence, record(value))
        .buffer();
  }

  private static SimpleRecord record(String value) {
    return new SimpleRecord(System.currentTimeMillis(), null, value.getBytes(StandardCharsets.UTF_8));
  }
}
