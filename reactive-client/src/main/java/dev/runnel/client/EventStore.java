package dev.runnel.client;

import dev.runnel.client.internal.Protocol;
import dev.runnel.client.internal.RequestChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * An event store on one Runnel topic: each stream's events are records keyed by the stream id (so a stream lives in
 * one partition, chosen as Kafka's default partitioner does), appended with optimistic concurrency and read back
 * through the partition's key index without scanning the topic.
 *
 * <p><b>Envelope.</b> An event is one record: key = the stream id (UTF-8), value = the payload, timestamp = when it
 * was appended (CreateTime, ms), and the headers {@code stream_id} (UTF-8), {@code event_type} (UTF-8) and
 * {@code version} (the event's version in its stream, decimal UTF-8; a stream's first event is version 1).
 *
 * <p><b>Versions.</b> A stream's version is the number of its events, which the partition counts as the records
 * with that key: 0 before the first. {@link #append} is stored only if the stream is at the version expected, in
 * one atomic write of all its events, and answers the new version or the current one. Records that other writers
 * append with the same key without this class count as events too. Thread-safe.
 */
public final class EventStore implements AutoCloseable {

  /** Record header names of the envelope. */
  public static final String STREAM_ID = "stream_id";
  public static final String EVENT_TYPE = "event_type";
  public static final String VERSION = "version";

  /** An event to append: its type and payload. */
  public record Event(String eventType, byte[] payload) {
    public static Event of(String eventType, String payload) {
      return new Event(eventType, payload.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * An event as stored.
   *
   * @param version its version in its stream, from 1
   * @param timestamp when it was appended, ms since the epoch
   * @param partition the topic partition that holds its stream
   * @param offset its offset there: with the partition, its position in the store, as {@link #subscribe} takes it
   */
  public record StoredEvent(String streamId, long version, String eventType, byte[] payload, long timestamp,
      int partition, long offset) {

    public String payloadText() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * The stored event a record of the store's topic holds, as a consumer of the topic (a Pekko Projection over
     * {@code RunnelSourceProvider}, say) receives it; a record written without the envelope has version -1 and null
     * for the headers it lacks.
     */
    public static StoredEvent of(ConsumerRecord record) {
      Map<String, byte[]> headers = new HashMap<>();
      for (Header header : record.headers()) {
        headers.put(header.key(), header.value());
      }
      return new StoredEvent(text(headers.get(STREAM_ID)), EventStore.version(headers.get(VERSION)),
          text(headers.get(EVENT_TYPE)), record.value(), record.timestamp(), record.partition(), record.offset());
    }
  }

  /** What {@link #append} found: the events stored, or the stream at another version than expected. */
  public sealed interface AppendResult {}

  /** The events were stored; the stream is now at {@code version}, its first new event at {@code offset}. */
  public record Appended(long version, int partition, long offset) implements AppendResult {}

  /** Nothing was stored: the stream is at {@code currentVersion}, not the version expected. */
  public record Conflict(long expectedVersion, long currentVersion, String message) implements AppendResult {}

  private final ClassicActorSystemProvider system;
  private final EventStoreSettings settings;
  private final RequestChannel channel;
  private volatile CompletableFuture<Integer> partitions;

  private EventStore(ClassicActorSystemProvider system, EventStoreSettings settings) {
    this.system = system;
    this.settings = settings;
    this.channel = new RequestChannel(system, settings.bootstrapUris(), settings.requestTimeout(),
        settings.maxInFlight());
  }

  public static EventStore create(ClassicActorSystemProvider system) {
    return create(system, EventStoreSettings.create(system));
  }

  public static EventStore create(ClassicActorSystemProvider system, EventStoreSettings settings) {
    return new EventStore(system, settings);
  }

  /**
   * Appends {@code events} to the stream if it is at {@code expectedVersion} (0: the stream does not exist yet).
   * The stage fails with a {@link RunnelException} when the broker refuses the append for another reason, and
   * with {@link RequestChannel.ConnectionLostException} or a timeout when the answer was lost (the append may then
   * have been stored: read the stream's version to know).
   */
  public CompletionStage<AppendResult> append(String streamId, long expectedVersion, List<Event> events) {
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("an expected version is 0 (no stream yet) or more, not " + expectedVersion);
    }
    if (events.isEmpty()) {
      throw new IllegalArgumentException("an append needs at least one event");
    }
    byte[] key = streamId.getBytes(StandardCharsets.UTF_8);
    ByteString batch = ByteString.fromByteBuffer(batch(streamId, key, expectedVersion, events));
    return partitionOf(key).thenCompose(partition -> channel.request(id -> new Protocol.ConditionalProduce(id,
            settings.topic(), partition, Protocol.ANY, Protocol.ANY, expectedVersion, ByteString.fromArray(key),
            batch))
        .thenApply(answer -> {
          Protocol.ConditionalAck ack = expect(answer, Protocol.ConditionalAck.class);
          if (ack.errorCode() == Protocol.CONDITION_NOT_MET) {
            return new Conflict(expectedVersion, ack.currentVersion(), ack.message());
          }
          if (ack.errorCode() != 0) {
            throw new RunnelException(Errors.forCode(ack.errorCode()), ack.message());
          }
          return new Appended(expectedVersion + events.size(), partition, ack.baseOffset());
        }));
  }

  /** The envelope of each event, as one uncompressed batch with offsets from 0 (the partition assigns them). */
  private static ByteBuffer batch(String streamId, byte[] key, long expectedVersion, List<Event> events) {
    long now = System.currentTimeMillis();
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(256), RecordBatch.CURRENT_MAGIC_VALUE,
        Compression.NONE, TimestampType.CREATE_TIME, 0);
    byte[] stream = streamId.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < events.size(); i++) {
      Event event = events.get(i);
      org.apache.kafka.common.header.Header[] headers = {
          new RecordHeader(STREAM_ID, stream),
          new RecordHeader(EVENT_TYPE, event.eventType().getBytes(StandardCharsets.UTF_8)),
          new RecordHeader(VERSION, Long.toString(expectedVersion + i + 1).getBytes(StandardCharsets.UTF_8))};
      builder.append(now, key, event.payload(), headers);
    }
    return builder.build().buffer();
  }

  /**
   * The stream's events from {@code fromVersion} (1: all) in version order, read through the key index of the
   * stream's partition page by page as the source is pulled; the source ends at the stream's last event.
   */
  public Source<StoredEvent, NotUsed> read(String streamId, long fromVersion) {
    byte[] key = streamId.getBytes(StandardCharsets.UTF_8);
    ByteString keyBytes = ByteString.fromArray(key);
    return Source.completionStage(partitionOf(key)).flatMapConcat(partition ->
        Source.unfoldAsync(Optional.of(0L), next -> {
          if (next.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.<Pair<Optional<Long>, List<StoredEvent>>>empty());
          }
          return channel.request(id -> new Protocol.ReadKey(id, settings.topic(), partition, next.get(), keyBytes))
              .thenApply(answer -> {
                Protocol.KeyRecords page = expect(answer, Protocol.KeyRecords.class);
                if (page.errorCode() != 0) {
                  throw new RunnelException(Errors.forCode(page.errorCode()), page.message());
                }
                List<StoredEvent> events = new ArrayList<>();
                for (RecordBatch batch : MemoryRecords.readableRecords(page.batches().asByteBuffer()).batches()) {
                  for (Record record : batch) {
                    StoredEvent event = event(partition, record);
                    if (event.version() >= fromVersion) {
                      events.add(event);
                    }
                  }
                }
                Optional<Long> more = page.endOfKey() ? Optional.empty() : Optional.of(page.nextOffset());
                return Optional.of(Pair.create(more, events));
              });
        }).mapConcat(events -> events));
  }

  /**
   * Every stream's events, in each partition's order, from {@code fromPosition} (partition → offset of the first
   * event wanted; partitions it leaves out are read from their start) and on as they are appended: a backpressured
   * source that never ends by itself.
   */
  public Source<StoredEvent, NotUsed> subscribe(Map<Integer, Long> fromPosition) {
    return Source.completionStageSource(partitions().thenApply(count -> {
      Map<Integer, Long> offsets = new HashMap<>();
      for (int partition = 0; partition < count; partition++) {
        offsets.put(partition, fromPosition.getOrDefault(partition, Subscription.EARLIEST));
      }
      return Consumer.plainSource(settings.consumer(), Subscription.atOffsets(settings.topic(), offsets))
          .map(StoredEvent::of)
          .mapMaterializedValue(control -> NotUsed.getInstance());
    })).mapMaterializedValue(done -> NotUsed.getInstance());
  }

  private static StoredEvent event(int partition, Record record) {
    Map<String, byte[]> headers = new HashMap<>();
    for (org.apache.kafka.common.header.Header header : record.headers()) {
      headers.put(header.key(), header.value());
    }
    byte[] payload = record.hasValue() ? Utils.toArray(record.value()) : null;
    return new StoredEvent(text(headers.get(STREAM_ID)), version(headers.get(VERSION)), text(headers.get(EVENT_TYPE)),
        payload, record.timestamp(), partition, record.offset());
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  /** A record written without this class's envelope has no version: -1. */
  private static long version(byte[] bytes) {
    if (bytes == null) {
      return -1;
    }
    try {
      return Long.parseLong(new String(bytes, StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private CompletionStage<Integer> partitionOf(byte[] key) {
    return partitions().thenApply(count -> Utils.toPositive(Utils.murmur2(key)) % count);
  }

  /**
   * How many partitions the store's topic has, asked of the broker once (again only after a failed answer). The
   * broker creates a missing topic with its defaults (runnel.broker.num-partitions) when auto-create-topics is on.
   */
  public CompletionStage<Integer> partitionCount() {
    return partitions();
  }

  private CompletableFuture<Integer> partitions() {
    CompletableFuture<Integer> known = partitions;
    if (known != null && !known.isCompletedExceptionally()) {
      return known;
    }
    CompletableFuture<Integer> asked = channel.request(id -> new Protocol.Metadata(id, settings.topic()))
        .thenApply(answer -> {
          Protocol.MetadataResult metadata = expect(answer, Protocol.MetadataResult.class);
          if (metadata.errorCode() != 0) {
            throw new RunnelException(Errors.forCode(metadata.errorCode()), metadata.message());
          }
          return metadata.partitions();
        }).toCompletableFuture();
    partitions = asked;
    return asked;
  }

  private static <T extends Protocol.Message> T expect(Protocol.Message answer, Class<T> type) {
    if (answer instanceof Protocol.Error error) {
      throw new RunnelException(Errors.forCode(error.errorCode()), error.message());
    }
    if (!type.isInstance(answer)) {
      throw new IllegalStateException("the broker answered " + answer.getClass().getSimpleName() + " to a "
          + type.getSimpleName() + " request");
    }
    return type.cast(answer);
  }

  @Override
  public void close() {
    channel.close();
  }
}
