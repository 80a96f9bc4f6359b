package dev.runnel.broker.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.testkit.MalformedBatches;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatchValidatorTest {

  private static final long NOW = 1_764_600_000_000L;
  private static final BatchValidator.Rules RULES =
      new BatchValidator.Rules(1_048_588, false, false, Long.MAX_VALUE, 3_600_000L, 1 << 20);

  static List<MalformedBatches.Kind> kinds() {
    return MalformedBatches.kinds();
  }

  private static Errors refusal(ByteBuffer records, BatchValidator.Rules rules) {
    int position = records.position();
    int limit = records.limit();
    ApiException refused = assertThrows(ApiException.class, () -> BatchValidator.validate(records, rules, NOW));
    assertEquals(position, records.position(), "the validator leaves the buffer's position alone");
    assertEquals(limit, records.limit());
    return Errors.forException(refused);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void when_aBatchIsMalformed_then_itIsRefusedWithKafkasError(MalformedBatches.Kind kind) {
    ByteBuffer bad = kind.bytes().apply(NOW);
    ApiException refused = assertThrows(ApiException.class, () -> BatchValidator.validate(bad, RULES, NOW));
    assertEquals(kind.error(), Errors.forException(refused), kind.name() + " refused as: " + refused.getMessage());
  }

  @ParameterizedTest(name = "{0} after a good batch")
  @MethodSource("kinds")
  void when_aMalformedBatchFollowsAGoodOne_then_theWholeAppendIsRefused(MalformedBatches.Kind kind) {
    ByteBuffer good = MalformedBatches.good(NOW);
    ByteBuffer bad = kind.bytes().apply(NOW);
    ByteBuffer both = ByteBuffer.allocate(good.remaining() + bad.remaining()).put(good).put(bad).flip();
    assertEquals(kind.error(), refusal(both, RULES), kind.name());
  }

  @Test
  void when_batchesAreWellFormed_then_theyPassWhateverTheirCodecKeysAndHeaders() {
    for (Compression compression : List.of(Compression.NONE, Compression.gzip().build(), Compression.snappy().build(),
        Compression.lz4().build(), Compression.zstd().build())) {
      SimpleRecord[] records = new SimpleRecord[50];
      for (int i = 0; i < records.length; i++) {
        records[i] = new SimpleRecord(NOW - i, i % 3 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8),
            i % 7 == 0 ? null : ("value-" + i).repeat(i).getBytes(StandardCharsets.UTF_8),
            new RecordHeader[] {new RecordHeader("h", i % 2 == 0 ? null : new byte[] {(byte) i}),
                new RecordHeader("", new byte[0])});
      }
      ByteBuffer plain = MemoryRecords.withRecords(compression, records).buffer();
      ByteBuffer idempotent = MemoryRecords.withIdempotentRecords(compression, 8_472_619_331L, (short) 0, 1234,
          records).buffer();
      ByteBuffer two = ByteBuffer.allocate(plain.remaining() * 2).put(plain.duplicate()).put(plain.duplicate()).flip();
      BatchValidator.Summary summary = BatchValidator.validate(two, RULES, NOW);
      assertEquals(2, summary.batches(), compression.toString());
      assertEquals(100, summary.records());
      assertEquals(compression != Compression.NONE, summary.compressed());
      assertEquals(50, BatchValidator.validate(idempotent, RULES, NOW).records(),
          "a producer id this broker never handed out starts that producer's state, as in Kafka");
    }
  }

  /**
   * The CRC is computed on whatever buffer the append came in: a heap array (the Kafka door's requests), a read-only
   * view or direct memory, from any position of it.
   */
  @Test
  void when_batchesLieAtAnyPositionOfAnyKindOfBuffer_then_theirCrcIsCheckedAlike() {
    ByteBuffer good = MalformedBatches.good(NOW);
    ByteBuffer corrupt = MalformedBatches.good(NOW);
    int lastByte = corrupt.limit() - 1;
    corrupt.put(lastByte, (byte) (corrupt.get(lastByte) ^ 0x40));
    for (int prefix : new int[] {0, 1, 61}) {
      for (String kind : List.of("heap", "read-only", "direct")) {
        String what = kind + " buffer, batch at position " + prefix;
        assertEquals(3, BatchValidator.validate(placed(good, prefix, kind), RULES, NOW).records(), what);
        assertEquals(Errors.CORRUPT_MESSAGE, refusal(placed(corrupt, prefix, kind), RULES), what + ", a byte flipped");
      }
    }
  }

  /** {@code batches} after {@code prefix} bytes of another request's data, positioned at the batches. */
  private static ByteBuffer placed(ByteBuffer batches, int prefix, String kind) {
    int size = prefix + batches.remaining();
    ByteBuffer buffer = kind.equals("direct") ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    for (int i = 0; i < prefix; i++) {
      buffer.put((byte) 0x5a);
    }
    buffer.put(batches.duplicate()).position(prefix);
    return kind.equals("read-only") ? buffer.asReadOnlyBuffer() : buffer;
  }

  @Test
  void when_recordsHaveNoTimestamp_then_theyPass() {
    ByteBuffer none = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(-1L, null, new byte[] {1})).buffer();
    assertEquals(1, BatchValidator.validate(none, RULES, NOW).records());
  }

  @Test
  void when_theTopicBoundsTimestampsInThePast_then_olderRecordsAreRefused() {
    BatchValidator.Rules dayOld = new BatchValidator.Rules(1_048_588, false, false, 86_400_000L, Long.MAX_VALUE, 1 << 20);
    assertEquals(Errors.INVALID_TIMESTAMP, refusal(MalformedBatches.good(NOW - 86_400_001L), dayOld));
    assertEquals(3, BatchValidator.validate(MalformedBatches.good(NOW - 86_400_000L), dayOld, NOW).records());
    assertEquals(3, BatchValidator.validate(MalformedBatches.good(NOW + 86_400_000L), dayOld, NOW).records(),
        "after.max.ms off");
  }

  @Test
  void when_theTopicUsesLogAppendTime_then_producerTimestampsAreNotJudged() {
    BatchValidator.Rules logAppendTime = new BatchValidator.Rules(1_048_588, false, true, 0L, 0L, 1 << 20);
    assertEquals(3, BatchValidator.validate(MalformedBatches.good(NOW + 7_200_000L), logAppendTime, NOW).records());
  }

  @Test
  void when_aCompactedTopicGetsARecordWithoutKey_then_itIsRefusedWithInvalidRecord() {
    BatchValidator.Rules compacted = new BatchValidator.Rules(1_048_588, true, false, Long.MAX_VALUE, 3_600_000L, 1 << 20);
    ByteBuffer keyless = MemoryRecords.withRecords(Compression.gzip().build(),
        new SimpleRecord(NOW, "k".getBytes(StandardCharsets.UTF_8), new byte[] {1}),
        new SimpleRecord(NOW, null, new byte[] {2})).buffer();
    assertEquals(Errors.INVALID_RECORD, refusal(keyless, compacted));
  }

  @Test
  void when_aBatchIsLargerThanMaxMessageBytes_then_itIsRefusedWithMessageTooLarge() {
    BatchValidator.Rules small = new BatchValidator.Rules(100, false, false, Long.MAX_VALUE, 3_600_000L, 1 << 20);
    assertEquals(Errors.MESSAGE_TOO_LARGE,
        refusal(MalformedBatches.good(NOW, Compression.NONE, "x".repeat(200)), small));
  }

  @Test
  void when_aBatchDecompressesToExactlyTheLimit_then_itPassesAndOneByteMoreIsRefused() {
    ByteBuffer bomb = MalformedBatches.bomb(NOW);
    int decompressed = bomb.remaining();
    BatchValidator.Rules generous =
        new BatchValidator.Rules(1_048_588, false, false, Long.MAX_VALUE, 3_600_000L, MalformedBatches.BOMB_BYTES + 64);
    assertEquals(1, BatchValidator.validate(bomb, generous, NOW).records());
    assertEquals(Errors.MESSAGE_TOO_LARGE, refusal(bomb, RULES), "decompressed beyond 1 MiB from " + decompressed);
  }

  @Test
  void when_bitsAreFlippedUnderAValidCrc_then_whatPassesIsReadableByKafkaAndTheRestIsRefusedCleanly() {
    Random random = new Random(8);
    ByteBuffer good = MalformedBatches.good(NOW);
    int accepted = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = new byte[good.remaining()];
      good.duplicate().get(bytes);
      for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
        int at = MalformedBatches.ATTRIBUTES + random.nextInt(bytes.length - MalformedBatches.ATTRIBUTES);
        bytes[at] ^= (byte) (1 << random.nextInt(8));
      }
      ByteBuffer flipped = MalformedBatches.withCrc(ByteBuffer.wrap(bytes));
      try {
        BatchValidator.Summary summary = BatchValidator.validate(flipped, RULES, NOW);
        accepted++;
        long expectedOffset = 0;
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(flipped.duplicate()).batches()) {
          batch.ensureValid();
          for (Record record : batch) {
            record.ensureValid();
            assertEquals(expectedOffset++, record.offset(), "an accepted batch's records are at 0, 1, 2, ...");
          }
          assertEquals(expectedOffset - 1, batch.lastOffset());
        }
        assertEquals(summary.records(), expectedOffset);
      } catch (ApiException refused) {
        assertFalse(refused.getMessage().startsWith("Record batches could not be validated"),
            "every refusal comes from a check, not from a parse that escaped one: " + refused.getMessage());
      }
    }
    assertTrue(accepted > 0, "some flips (in values) leave a valid batch");
  }
}
