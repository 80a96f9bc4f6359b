package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.partition.PartitionStatus;
import dev.runnel.broker.testkit.TestNodes;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pipelined requests before a bad frame are answered, in order, and then the connection closes, as Kafka's does;
 * nothing after the bad frame runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KafkaBadFrameTest {

  private static final int MAX_REQUEST_BYTES = 64 * 1024;

  private static RunnelNode node;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(),
        Map.of("runnel.broker.kafka.max-request-bytes", MAX_REQUEST_BYTES / 1024 + " KiB"));
    node.broker().createTopic("after-bad-frame", 1, Map.of()).toCompletableFuture().get();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static Stream<Arguments> badFrames() {
    return Stream.of(
        Arguments.of("a frame that does not parse", frame(new byte[] {0, 18, 0, 3, 0, 0, 0, 9, (byte) 0xff})),
        Arguments.of("an unknown API key", frame(ByteBuffer.allocate(10).putShort((short) 9999).putShort((short) 0)
            .putInt(9).putShort((short) -1).array())),
        Arguments.of("an API version no client may send", frame(ByteBuffer.allocate(10)
            .putShort(ApiKeys.METADATA.id).putShort((short) 999).putInt(9).putShort((short) -1).array())),
        Arguments.of("a frame over max-request-bytes", ByteBuffer.allocate(4).putInt(MAX_REQUEST_BYTES + 1).array()),
        Arguments.of("a negative frame length", ByteBuffer.allocate(4).putInt(-7).array()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFrames")
  void when_threeRequestsPrecedeABadFrame_then_allThreeAreAnswered_thenTheConnectionCloses(
      String what, byte[] badFrame) throws Exception {
    try (RawKafkaConnection connection = new RawKafkaConnection(node.kafkaPort())) {
      List<RequestHeader> sent = new ArrayList<>();
      ByteArrayOutputStream pipelined = new ByteArrayOutputStream();
      for (int i = 0; i < 3; i++) {
        sent.add(connection.frame(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
            .setClientSoftwareName("bad-frame-test").setClientSoftwareVersion("1"), pipelined));
      }
      pipelined.write(badFrame);
      // A request after the bad frame: Kafka stops reading at the bad one, so this must never be stored.
      connection.frame(ApiKeys.PRODUCE, (short) 9, produce(), pipelined);
      connection.writeRaw(pipelined.toByteArray());
      for (RequestHeader header : sent) {
        ApiVersionsResponse response = (ApiVersionsResponse) connection.receive(header);
        assertEquals(Errors.NONE.code(), response.data().errorCode(),
            "request " + header.correlationId() + " before " + what + " is answered");
      }
      assertTrue(connection.closedByServer(), "after the answers, " + what + " closes the connection");
    }
    PartitionStatus status = node.broker().status(node.broker().partition("after-bad-frame", 0))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(0, status.logEndOffset(), "the Produce after " + what + " was not run");
  }

  private static ProduceRequestData produce() {
    MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
        new SimpleRecord("never".getBytes(StandardCharsets.UTF_8)));
    ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
    data.topicData().add(new ProduceRequestData.TopicProduceData().setName("after-bad-frame")
        .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
    return data;
  }

  private static byte[] frame(byte[] body) {
    return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
  }
}
