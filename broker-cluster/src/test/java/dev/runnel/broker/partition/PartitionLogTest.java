package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runnel.broker.Broker;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.broker.topic.TopicMetadata;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class PartitionLogTest {

  private RunnelNode node;
  private Broker broker;

  @BeforeEach
  void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    broker = node.broker();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  static ByteBuffer batch(String... values) {
    SimpleRecord[] records = new SimpleRecord[values.length];
    for (int i = 0; i < values.length; i++) {
      records[i] = new SimpleRecord(System.currentTimeMillis(), ("k" + i).getBytes(StandardCharsets.UTF_8),
          values[i].getBytes(StandardCharsets.UTF_8));
    }
    return MemoryRecords.withRecords(Compression.NONE, records).buffer();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void when_appendsArriveTogether_then_offsetsAreContiguousAndFetchReturnsThemInOrder() throws Exception {
    TopicMetadata topic = await(broker.createTopic("orders", 1, Map.of()));
    PartitionId partition = Broker.partition(topic, 0);
    List<CompletableFuture<AppendResult>> results = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      results.add(broker.append(partition, batch("a" + i, "b" + i), (short) -1).toCompletableFuture());
    }
    for (int i = 0; i < results.size(); i++) {
      AppendResult result = results.get(i).get(30, TimeUnit.SECONDS);
      assertEquals(Errors.NONE, result.error(), "append " + i);
      assertEquals(2L * i, result.baseOffset(), "append " + i + " base offset");
    }
    List<String> values = new ArrayList<>();
    long offset = 0;
    while (offset < 400) {
      FetchResult fetch = await(broker.fetch(partition, offset, 1024, Duration.ZERO));
      assertEquals(Errors.NONE, fetch.error());
      assertEquals(400, fetch.highWatermark());
      for (RecordBatch b : MemoryRecords.readableRecords(fetch.records()).batches()) {
        for (Record r : b) {
          if (r.offset() >= offset) {
            assertEquals(offset, r.offset());
            values.add(StandardCharsets.UTF_8.decode(r.value()).toString());
            offset++;
          }
        }
      }
    }
    assertEquals("a0", values.get(0));
    assertEquals("b199", values.get(399));
  }
}
