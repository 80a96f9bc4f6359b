package dev.runnel.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.client.internal.Protocol.Message;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class ProtocolTest {

  static List<Message> messages() {
    ByteString batches = ByteString.fromArray(new byte[] {1, 2, 3, 4, 5});
    return List.of(
        new Protocol.Metadata(7, "orders"),
        new Protocol.MetadataResult(7, (short) 0, 3, ""),
        new Protocol.MetadataResult(8, (short) 17, 0, "bad name: ü"),
        new Protocol.Produce(9, "orders", 2, (short) -1, batches),
        new Protocol.ProduceAck(9, (short) 0, 12345L, ""),
        new Protocol.Subscribe(1, "orders", 0, Protocol.EARLIEST, 1 << 20, 500),
        new Protocol.Subscribe(2, "orders", 1, 17, 1 << 20, 0, Protocol.READ_UNCOMMITTED),
        new Protocol.Subscribed(1, 42L),
        new Protocol.Credit(1, 4),
        new Protocol.Records(1, 99L, batches),
        new Protocol.Records(1, 99L, ByteString.emptyByteString()),
        new Protocol.Cancel(1),
        new Protocol.Error(Protocol.NO_REF, (short) 42, "malformed frame"),
        new Protocol.InitProducerId(11),
        new Protocol.ProducerIdResult(11, (short) 0, 1L << 40, (short) 0),
        new Protocol.ProducerIdResult(12, (short) 15, -1L, (short) -1),
        new Protocol.JoinGroup(13, "billing", "", 10_000, 30_000, "cooperative-sticky", List.of("orders", "returns"),
            List.of(), -1),
        new Protocol.JoinGroup(14, "billing", "m-1", 10_000, 30_000, "range", List.of("orders"),
            List.of(new Protocol.TopicPartition("orders", 0), new Protocol.TopicPartition("orders", 3)), 4),
        new Protocol.JoinResult(13, (short) 0, 5, "m-1", List.of(new Protocol.TopicPartition("orders", 1)), ""),
        new Protocol.JoinResult(14, (short) 25, -1, "m-1", List.of(), "unknown member"),
        new Protocol.Heartbeat(15, "billing", "m-1", 5),
        new Protocol.LeaveGroup(16, "billing", "m-1"),
        new Protocol.OffsetCommit(17, "billing", "m-1", 5, List.of(new Protocol.PartitionOffset("orders", 1, 400L))),
        new Protocol.OffsetFetch(18, "billing", List.of(new Protocol.TopicPartition("orders", 1))),
        new Protocol.OffsetFetchResult(18, (short) 0, List.of(new Protocol.PartitionOffset("orders", 1, -1L)), ""),
        new Protocol.GroupResult(15, (short) 27, "rebalance in progress"),
        new Protocol.ConditionalProduce(19, "accounts", 1, 7L, Protocol.ANY, Protocol.ANY, null, batches),
        new Protocol.ConditionalProduce(20, "accounts", 1, Protocol.ANY, Protocol.NO_RECORD, 0L,
            ByteString.fromString("acc-1"), batches),
        new Protocol.ConditionalAck(19, (short) 0, 7L, 7L, Protocol.ANY, Protocol.ANY, ""),
        new Protocol.ConditionalAck(20, Protocol.CONDITION_NOT_MET, -1L, 9L, 4L, 2L, "the key's version is 2, not 0"),
        new Protocol.ReadKey(21, "accounts", 1, 0L, ByteString.fromString("acc-1")),
        new Protocol.KeyRecords(21, (short) 0, 10L, true, 3L, "", batches),
        new Protocol.KeyRecords(22, (short) 56, -1L, true, -1L, "storage error", ByteString.emptyByteString()),
        new Protocol.InitTransactions(23, "billing-tx", 60_000),
        new Protocol.AddPartitionsToTxn(24, "billing-tx", 1L << 40, (short) 3,
            List.of(new Protocol.TopicPartition("invoices", 0), new Protocol.TopicPartition("invoices", 2))),
        new Protocol.TxnOffsetCommit(25, "billing-tx", 1L << 40, (short) 3, "billing", "m-1", 5,
            List.of(new Protocol.PartitionOffset("orders", 1, 401L))),
        new Protocol.EndTxn(26, "billing-tx", 1L << 40, (short) 3, true),
        new Protocol.EndTxn(27, "billing-tx", 1L << 40, (short) 3, false),
        new Protocol.TxnResult(26, (short) 90, "producer fenced"));
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_messageIsEncoded_then_decodingGivesItBack(Message message) {
    Message decoded = Protocol.decode(Protocol.encode(message));
    assertEquals(message, decoded, "round trip of " + message);
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_frameArrivesInPieces_then_decodingGivesItBack(Message message) {
    assertEquals(message, Protocol.decode(Pieces.of(Protocol.encode(message), 3)),
        "round trip of " + message + " in pieces of 3 bytes");
  }

  @Test
  void when_aFrameOfBatchesHasTheLongestStringAndMegabytesInPieces_then_decodingGivesItBack() {
    byte[] bytes = new byte[3 << 20];
    new java.util.Random(7).nextBytes(bytes);
    ByteString batches = Pieces.of(ByteString.fromArrayUnsafe(bytes), 100_000);
    String longest = "x".repeat(Short.MAX_VALUE);
    for (Message message : List.of(new Protocol.Produce(1, longest, 0, (short) -1, batches),
        new Protocol.KeyRecords(2, (short) 0, 10L, false, 3L, longest, batches),
        new Protocol.Records(3, 99L, batches))) {
      ByteString frame = Protocol.encode(message);
      ByteString inPieces = frame.take(40_000).compact().concat(frame.drop(40_000));
      assertEquals(message, Protocol.decode(inPieces), message.getClass().getSimpleName());
    }
  }

  @ParameterizedTest
  @MethodSource("messages")
  void when_frameIsCutInItsFixedFields_then_decodingRefusesIt(Message message) {
    ByteString frame = Protocol.encode(message);
    int fixed = message instanceof Protocol.Produce || message instanceof Protocol.Records
        || message instanceof Protocol.ConditionalProduce || message instanceof Protocol.KeyRecords
        ? frame.size() - 5 : frame.size();
    if (message instanceof Protocol.Records records && records.batches().isEmpty()
        || message instanceof Protocol.KeyRecords keyRecords && keyRecords.batches().isEmpty()) {
      fixed = frame.size();
    }
    for (int cut = 0; cut < fixed; cut++) {
      ByteString truncated = frame.take(cut);
      assertThrows(Protocol.MalformedFrameException.class, () -> Protocol.decode(truncated),
          "a frame of " + message + " cut to " + cut + " bytes");
    }
  }

  @Test
  void when_typeIsUnknownOrBytesAreLeftOver_then_decodingRefusesIt() {
    assertThrows(Protocol.MalformedFrameException.class,
        () -> Protocol.decode(ByteString.fromArray(new byte[] {99, 0, 0, 0, 1})));
    ByteString extra = Protocol.encode(new Protocol.Cancel(3)).concat(ByteString.fromArray(new byte[] {0}));
    assertThrows(Protocol.MalformedFrameException.class, () -> Protocol.decode(extra));
  }

  @Test
  void when_endTxnsCommitFlagIsNeitherZeroNorOne_then_decodingRefusesIt() {
    ByteString commit = Protocol.encode(new Protocol.EndTxn(1, "t", 7L, (short) 0, true));
    ByteString corrupted = commit.take(commit.size() - 1).concat(ByteString.fromArray(new byte[] {2}));
    Protocol.MalformedFrameException refused =
        assertThrows(Protocol.MalformedFrameException.class, () -> Protocol.decode(corrupted));
    assertEquals("commit flag 2 is neither 0 nor 1", refused.getMessage());
  }

  @Test
  void when_listCountExceedsTheFrame_then_decodingRefusesItWithoutAllocating() {
    // OffsetFetch, correlation id 1, group "g", then a partition count of Integer.MAX_VALUE and nothing else.
    ByteString frame = ByteString.fromArray(new byte[] {18, 0, 0, 0, 1, 0, 1, 'g', 0x7f, -1, -1, -1});
    Protocol.MalformedFrameException refused =
        assertThrows(Protocol.MalformedFrameException.class, () -> Protocol.decode(frame));
    assertEquals("list of 2147483647 elements exceeds the frame", refused.getMessage());
  }
}
