package dev.runnel.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.Broker;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.partition.FetchResult;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Reads records of one partition for HTTP: decodes the fetched Kafka batches into JSON records from an offset, up
 * to a count, either into one answer or as an NDJSON stream that fetches only when its consumer wants more. At
 * READ_COMMITTED it reads below the last stable offset and skips the records of aborted transactions, as a Kafka
 * consumer does; at either level transaction markers (control batches) are skipped. Thread-safe.
 */
final class RecordReader {

  /**
   * A record as the API shows it.
   *
   * @param partition the record's partition
   * @param offset its offset
   * @param timestamp its timestamp in milliseconds
   * @param key the key in the read's {@link RecordFormat}, JSON null when none
   * @param value the value in the read's format, JSON null for a tombstone
   * @param headers the headers; of repeated names the last one shows
   */
  record RecordView(int partition, long offset, long timestamp, JsonNode key, JsonNode value,
      Map<String, JsonNode> headers) {}

  /**
   * Records read and where to continue.
   *
   * @param records the records, in offset order
   * @param nextOffset the offset to read from next
   * @param highWatermark the partition's high watermark when it was read
   */
  record Page(List<RecordView> records, long nextOffset, long highWatermark) {}

  /**
   * One key's records, read through the partition's key index.
   *
   * @param records the key's records from the offset asked for, in offset order
   * @param nextOffset where to read the key from next
   * @param endOfKey whether the key had no more records when it was read
   * @param version the key's version: how many records with this key the partition holds (0: none)
   * @param eventsRead journal events the partition examined for this read
   */
  record KeyPage(List<RecordView> records, long nextOffset, boolean endOfKey, long version, int eventsRead) {}

  private static final ByteString NEWLINE = ByteString.fromString("\n");

  private final Broker broker;
  private final RunnelMetrics metrics;

  RecordReader(Broker broker) {
    this.broker = broker;
    this.metrics = RunnelMetrics.get(broker.system());
  }

  /** The offset a read starts from when it names none: the log start. */
  CompletionStage<Long> logStart(PartitionId partition) {
    return broker.listOffsets(partition, Partition.EARLIEST_TIMESTAMP).thenApply(lookup -> {
      if (lookup.error() != Errors.NONE) {
        throw lookup.error().exception("Cannot find the log start of " + partition);
      }
      return lookup.offset();
    });
  }

  /**
   * Where a consumer starting at {@code timestamp} begins: the first offset whose record timestamp is at or after
   * it (Kafka's ListOffsets), or the log end when no record is that new, as {@code --reset-offsets --to-datetime}.
   */
  CompletionStage<Long> offsetForTimestamp(PartitionId partition, long timestamp) {
    return broker.listOffsets(partition, timestamp).thenCompose(found -> {
      if (found.error() != Errors.NONE) {
        throw found.error().exception("Cannot find the offset of " + partition + " at timestamp " + timestamp);
      }
      return found.offset() >= 0
          ? CompletableFuture.completedFuture(found.offset())
          : broker.listOffsets(partition, Partition.LATEST_TIMESTAMP).thenApply(end -> {
            if (end.error() != Errors.NONE) {
              throw end.error().exception("Cannot find the log end of " + partition);
            }
            return end.offset();
          });
    });
  }

  /** The records of {@code key} from {@code offset}: one page of a key read. */
  CompletionStage<KeyPage> readKey(PartitionId partition, byte[] key, long offset, RecordFormat format) {
    return broker.readKey(partition, key, offset).thenApply(read -> {
      if (read.error() != Errors.NONE) {
        throw read.error().exception("Reading key of partition " + partition + " failed: "
            + (read.message() == null ? read.error().message() : read.message()));
      }
      List<RecordView> records = new ArrayList<>();
      for (MutableRecordBatch batch : MemoryRecords.readableRecords(read.records()).batches()) {
        for (Record record : batch) {
          records.add(view(partition.partition(), record, format));
        }
      }
      metrics.recordsOut(partition, records.size(), read.records().remaining());
      return new KeyPage(records, read.nextOffset(), read.endOfKey(), read.version(), read.eventsRead());
    });
  }

  /**
   * Up to {@code limit} records from {@code offset}, fetching again while the partition has more and fewer than
   * {@code maxBytes} batch bytes were read. Only the first fetch waits (up to {@code maxWait}) at the log end.
   */
  CompletionStage<Page> read(PartitionId partition, long offset, int limit, int maxBytes, Duration maxWait,
      RecordFormat format, IsolationLevel isolation) {
    return readMore(partition, new Page(List.of(), offset, -1), limit, maxBytes, maxWait, format, isolation);
  }

  private CompletionStage<Page> readMore(PartitionId partition, Page sofar, int limit, int bytesLeft,
      Duration maxWait, RecordFormat format, IsolationLevel isolation) {
    return broker.fetch(partition, sofar.nextOffset(), bytesLeft, maxWait, isolation).thenCompose(fetch -> {
      checkFetch(partition, sofar.nextOffset(), fetch);
      Page page = decode(partition, fetch, sofar.nextOffset(), limit - sofar.records().size(), format);
      metrics.recordsOut(partition, page.records().size(), fetch.records().remaining());
      List<RecordView> records = new ArrayList<>(sofar.records());
      records.addAll(page.records());
      Page merged = new Page(records, page.nextOffset(), page.highWatermark());
      int left = bytesLeft - fetch.records().remaining();
      boolean progressed = page.nextOffset() > sofar.nextOffset();
      if (records.size() < limit && left > 0 && progressed && page.nextOffset() < end(fetch, isolation)) {
        return readMore(partition, merged, limit, left, Duration.ZERO, format, isolation);
      }
      return CompletableFuture.completedFuture(merged);
    });
  }

  /**
   * The records from {@code offset} as NDJSON lines, one JSON record per line. With {@code follow} the stream
   * never ends by itself: at the log end it long-polls for {@code pollWait} and sends a blank line after a poll
   * that brought nothing; without, it ends at the log end. It ends after {@code limit} records when a limit is
   * given. The first fetch happens before the stage completes, so a bad offset or partition fails the stage and is
   * answered as an error; a failure later ends the stream with one line of error JSON.
   */
  CompletionStage<Source<ByteString, ?>> stream(PartitionId partition, long offset, Long limit, int maxBytes,
      boolean follow, Duration pollWait, RecordFormat format, IsolationLevel isolation) {
    StreamState start = new StreamState(offset, limit == null ? Long.MAX_VALUE : limit, false);
    return poll(partition, start, maxBytes, Duration.ZERO, format, follow, isolation).thenApply(first -> {
      checkFetch(partition, offset, first.fetch);
      Source<Iterable<ByteString>, ?> rest = Source.unfoldAsync(first.next, state -> {
        if (state.done) {
          return CompletableFuture.completedFuture(Optional.empty());
        }
        return poll(partition, state, maxBytes, follow ? pollWait : Duration.ZERO, format, follow, isolation)
            .thenApply(polled -> Optional.of(Pair.create(polled.next, polled.lines)));
      });
      return Source.single(first.lines).concat(rest).mapConcat(lines -> lines);
    });
  }

  private record StreamState(long offset, long remaining, boolean done) {}

  /** What one poll brought: its lines are rendered only as the stream takes them, one record at a time. */
  private record Polled(FetchResult fetch, StreamState next, Iterable<ByteString> lines) {}

  private CompletionStage<Polled> poll(PartitionId partition, StreamState state, int maxBytes, Duration wait,
      RecordFormat format, boolean follow, IsolationLevel isolation) {
    int limit = (int) Math.min(state.remaining, Integer.MAX_VALUE);
    return broker.fetch(partition, state.offset, maxBytes, wait, isolation).thenApply(fetch -> {
      if (fetch.error() != Errors.NONE) {
        ErrorBody error = ErrorBody.of(fetch.error(), fetchErrorMessage(partition, state.offset, fetch));
        List<ByteString> line = List.of(ByteString.fromArray(JsonCodec.write(error)).concat(NEWLINE));
        return new Polled(fetch, new StreamState(state.offset, state.remaining, true), line);
      }
      Selection selection = select(fetch, state.offset, limit);
      metrics.recordsOut(partition, selection.records().size(), fetch.records().remaining());
      // Rendering every record of a fetch at once would hold its JSON several times over beside the fetch.
      Iterable<ByteString> lines = () -> selection.records().stream()
          .map(record -> ByteString.fromArray(JsonCodec.write(view(partition.partition(), record, format)))
              .concat(NEWLINE))
          .iterator();
      long remaining = state.remaining - selection.records().size();
      boolean atEnd = selection.nextOffset() >= end(fetch, isolation);
      boolean done = remaining <= 0 || (!follow && atEnd);
      if (selection.records().isEmpty() && follow && !done) {
        lines = List.of(NEWLINE);
      }
      return new Polled(fetch, new StreamState(selection.nextOffset(), remaining, done), lines);
    });
  }

  private static void checkFetch(PartitionId partition, long offset, FetchResult fetch) {
    if (fetch.error() == Errors.OFFSET_OUT_OF_RANGE) {
      throw new OffsetOutOfRangeException(fetchErrorMessage(partition, offset, fetch));
    }
    if (fetch.error() != Errors.NONE) {
      throw fetch.error().exception(fetchErrorMessage(partition, offset, fetch));
    }
  }

  private static String fetchErrorMessage(PartitionId partition, long offset, FetchResult fetch) {
    if (fetch.error() == Errors.OFFSET_OUT_OF_RANGE) {
      return "Offset " + offset + " is out of range for partition " + partition + ": it holds offsets from "
          + fetch.logStartOffset() + " to before " + fetch.highWatermark();
    }
    return "Reading partition " + partition + " at offset " + offset + " failed: " + fetch.error().message();
  }

  /** The records of a fetch from {@code offset} on, at most {@code limit} of them. */
  static Page decode(PartitionId partition, FetchResult fetch, long offset, int limit, RecordFormat format) {
    Selection selection = select(fetch, offset, limit);
    List<RecordView> records = new ArrayList<>(selection.records().size());
    for (Record record : selection.records()) {
      records.add(view(partition.partition(), record, format));
    }
    return new Page(records, selection.nextOffset(), fetch.highWatermark());
  }

  /** Where the partition ends for a read at {@code isolation}: its last stable offset, or its high watermark. */
  private static long end(FetchResult fetch, IsolationLevel isolation) {
    return isolation == IsolationLevel.READ_COMMITTED ? fetch.lastStableOffset() : fetch.highWatermark();
  }

  /** Records of a fetch, not yet decoded (their keys and values are views of the fetched bytes). */
  private record Selection(List<Record> records, long nextOffset) {}

  private static Selection select(FetchResult fetch, long offset, int limit) {
    List<Record> records = new ArrayList<>();
    long next = offset;
    batches:
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(fetch.records()).batches()) {
      if (!fetch.isVisible(batch)) {
        if (records.size() >= limit) {
          break;
        }
        next = Math.max(next, batch.nextOffset());
        continue;
      }
      for (Record record : batch) {
        if (record.offset() < offset) {
          continue;
        }
        if (records.size() >= limit) {
          break batches;
        }
        records.add(record);
        next = record.offset() + 1;
      }
      // A batch read to its end continues after it, even where compaction left gaps at its end.
      next = Math.max(next, batch.nextOffset());
    }
    return new Selection(records, next);
  }

  private static RecordView view(int partition, Record record, RecordFormat format) {
    Map<String, JsonNode> headers = new LinkedHashMap<>();
    for (Header header : record.headers()) {
      headers.put(header.key(), format.decodeHeader(header.value()));
    }
    return new RecordView(partition, record.offset(), record.timestamp(),
        format.decode(record.hasKey() ? record.key() : null),
        format.decode(record.hasValue() ? record.value() : null),
        headers);
  }
}
