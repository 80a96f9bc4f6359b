package dev.runnel.broker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RecordCountsTest {

  /** Two batches: offsets 10..14 and 15..17. */
  private static ByteBuffer twoBatches() {
    ByteBuffer buffer = ByteBuffer.allocate(1024);
    for (long[] batch : new long[][] {{10, 5}, {15, 3}}) {
      MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, RecordBatch.CURRENT_MAGIC_VALUE,
          Compression.NONE, TimestampType.CREATE_TIME, batch[0]);
      for (int i = 0; i < batch[1]; i++) {
        builder.append(1_000L, null, ("v" + i).getBytes());
      }
      builder.close();
      buffer = builder.buffer();
    }
    buffer.flip();
    return buffer;
  }

  @Test
  void when_countingFromBeforeTheFirstBatch_then_everyRecordCounts() {
    assertEquals(8, RecordCounts.records(twoBatches(), Long.MIN_VALUE));
    assertEquals(8, RecordCounts.records(twoBatches(), 10));
  }

  @Test
  void when_theFetchOffsetIsInsideABatch_then_theRecordsBeforeItAreLeftOut() {
    assertEquals(6, RecordCounts.records(twoBatches(), 12));
    assertEquals(3, RecordCounts.records(twoBatches(), 15));
    assertEquals(1, RecordCounts.records(twoBatches(), 17));
    assertEquals(0, RecordCounts.records(twoBatches(), 18));
  }

  @Test
  void when_theBufferEndsInsideAHeader_then_onlyWholeHeadersCount() {
    ByteBuffer cut = twoBatches();
    cut.limit(cut.limit() - 70);
    assertEquals(5, RecordCounts.records(cut, Long.MIN_VALUE));
    assertEquals(0, RecordCounts.records(ByteBuffer.allocate(0), Long.MIN_VALUE));
  }
}
