package dev.runnel.client;

import dev.runnel.client.internal.ProducerEngine;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Produces records to a Runnel broker over the native streaming protocol, on one WebSocket connection.
 *
 * <p>Records are gathered per partition into Kafka v2 batches of up to {@code batch-size} bytes, each sent when
 * full or after {@code linger}, with up to {@code max-in-flight} Produce requests unanswered at a time. Records of
 * a partition are stored in the order they were sent. The partition is the record's own, else Kafka's murmur2
 * partition of its key ({@code BuiltInPartitioner.partitionForKey}), else the partition of the current keyless
 * batch (sticky, as kafka-clients).
 *
 * <p>When the connection drops, the producer reconnects with exponential backoff and sends the unanswered batches
 * again, unchanged and in order. With {@code idempotence} on (the default) the batches carry a producer id and
 * per-partition sequence numbers (Kafka's idempotent producer), so a batch the broker stored before the drop is
 * answered with its first offsets, not stored again; this holds for retries within one producer, since a new
 * producer gets a new id. A batch the broker refuses fails its records and is never renumbered. With idempotence
 * off a retried batch may be stored twice: delivery is at least once.
 *
 * <p>Thread-safe; {@link #send} never blocks. Bound the records in flight yourself, or use {@link #flow}.
 */
public final class Producer implements AutoCloseable {

  private static final int GROUP_SIZE = 1000;

  private final ProducerEngine engine;

  private Producer(ProducerEngine engine) {
    this.engine = engine;
  }

  public static Producer create(ProducerSettings settings, ClassicActorSystemProvider system) {
    return new Producer(new ProducerEngine(settings, system));
  }

  /** Sends a record; completes with its partition and offset once the broker has it (see acks). */
  public CompletionStage<RecordMetadata> send(ProducerRecord record) {
    return engine.send(record);
  }

  /** Sends the open batches without waiting for linger. */
  public void flush() {
    engine.flush();
  }

  /** Sends what is buffered, waits for the broker's answers, and closes the connection. */
  public CompletionStage<Done> closeAsync() {
    return engine.close();
  }

  /** {@link #closeAsync()} and wait up to 60 s. */
  @Override
  public void close() {
    closeAsync().toCompletableFuture().orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).join();
  }

  /**
   * A flow that produces each record and emits its metadata, in the order the records came in. Each
   * materialization has its own producer and connection, closed when the stream ends; at most
   * {@code max-outstanding-records} records are unanswered, beyond that the flow backpressures.
   */
  public static Flow<ProducerRecord, RecordMetadata, NotUsed> flow(ProducerSettings settings) {
    return Flow.<ProducerRecord, RecordMetadata, NotUsed>fromMaterializer((materializer, attributes) -> {
      Producer producer = create(settings, materializer.system());
      // Records travel in groups so that completions cost per group, not per record; a group forms only while
      // the producer has max-outstanding-records in flight, so it adds no waiting of its own.
      int groupSize = Math.min(GROUP_SIZE, settings.maxOutstandingRecords());
      return Flow.<ProducerRecord>create()
          .batch(groupSize, Producer::newGroup, Producer::addToGroup)
          .mapAsync(Math.max(1, settings.maxOutstandingRecords() / groupSize), producer.engine::sendAll)
          .mapConcat(metadata -> metadata)
          .watchTermination((notUsed, done) -> {
            done.whenComplete((ok, failure) -> producer.closeAsync());
            return NotUsed.getInstance();
          });
    }).mapMaterializedValue(future -> NotUsed.getInstance());
  }

  private static java.util.List<ProducerRecord> newGroup(ProducerRecord first) {
    java.util.List<ProducerRecord> group = new java.util.ArrayList<>();
    group.add(first);
    return group;
  }

  private static java.util.List<ProducerRecord> addToGroup(java.util.List<ProducerRecord> group,
      ProducerRecord next) {
    group.add(next);
    return group;
  }

  /** A sink that produces every record; completes once all of them are acknowledged. */
  public static Sink<ProducerRecord, CompletionStage<Done>> plainSink(ProducerSettings settings) {
    return flow(settings).toMat(Sink.ignore(), Keep.right());
  }
}
