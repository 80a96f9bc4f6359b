package dev.runnel.client.internal;

import dev.runnel.client.Acks;
import dev.runnel.client.Header;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.RecordMetadata;
import dev.runnel.client.RunnelException;
import dev.runnel.client.internal.Protocol.Message;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's machinery: per-partition batch builders (Kafka v2 batches built with kafka-clients), a queue of
 * closed batches, at most {@code max-in-flight} Produce requests on one connection, and reconnection with
 * backoff, after which the unanswered batches are sent again in their order.
 *
 * <p>Order: batches of a partition are sent in the order they were closed and the broker appends the requests of
 * a connection in arrival order, so per-partition order holds, also across a retry.
 *
 * <p>Idempotence (Kafka's idempotent producer, KIP-98): with {@code idempotence} on the engine asks the broker for
 * a producer id when it connects first and sends no batch before it has one. A batch is sealed when it is first
 * sent: it gets the producer id, epoch 0 and the partition's next sequence, and its bytes never change after, so a
 * retry resends exactly what may already be stored, which the partition recognizes and answers with the first
 * offsets. At most {@value #MAX_IN_FLIGHT_PER_PARTITION} batches of a partition are unanswered, because the
 * partition remembers that many batches per producer to recognize a retry. A batch the broker refuses with a
 * retriable error (its partition moving to another node) is sent again within {@code delivery-timeout}, with the
 * batches after it, as after a lost connection. A batch the broker refuses otherwise is failed, never re-numbered; since later batches of its partition could then never follow in sequence, the engine takes a
 * new producer id for the batches it seals from then on.
 *
 * <p>Thread-safe: every method holds the engine's lock; connection callbacks run on stream threads.
 */
public final class ProducerEngine {

  private static final Logger log = LoggerFactory.getLogger(ProducerEngine.class);
  /** The batches per producer a partition remembers for duplicate detection, as Kafka's broker does. */
  static final int MAX_IN_FLIGHT_PER_PARTITION = 5;

  private final ProducerSettings settings;
  private final ActorSystem system;
  private final Backoff backoff;
  private final Map<String, TopicState> topics = new HashMap<>();
  private final Map<Integer, String> metadataRequests = new HashMap<>();
  private final ArrayDeque<ClosedBatch> ready = new ArrayDeque<>();
  private final LinkedHashMap<Integer, ClosedBatch> inFlight = new LinkedHashMap<>();
  private final CompletableFuture<Done> closed = new CompletableFuture<>();
  private final boolean idempotent;
  /** The producer id batches are sealed with; NO_PRODUCER_ID while none is granted. */
  private long producerId = RecordBatch.NO_PRODUCER_ID;
  private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
  /** The correlation id of the unanswered InitProducerId, or -1. */
  private int producerIdRequest = -1;
  /** Why the broker cannot give a producer id: every batch not yet sealed fails with it. */
  private RunnelException producerIdFailure;
  private Connection connection;
  private int generation;
  private int nextCorrelationId;
  /** When the current connection last showed life: opened, or answered anything. */
  private long lastAnswerNanos;
  private boolean timeoutCheckScheduled;
  private boolean closing;

  public ProducerEngine(ProducerSettings settings, ClassicActorSystemProvider system) {
    this.settings = settings;
    this.system = system.classicSystem();
    this.backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
    // acks = 0 is answered before the write, so no answer tells what is stored (kafka-clients refuses the pair).
    this.idempotent = settings.idempotence() && settings.acks() != Acks.NONE;
    synchronized (this) {
      if (idempotent) {
        producerIdRequest = nextCorrelationId++;
      }
      connect();
    }
  }

  public synchronized CompletionStage<RecordMetadata> send(ProducerRecord record) {
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    add(record, new Answer() {
      @Override
      public void stored(RecordMetadata metadata) {
        result.complete(metadata);
      }

      @Override
      public void failed(Throwable failure) {
        result.completeExceptionally(failure);
      }
    });
    return result;
  }

  /**
   * Sends records in their order and completes with their metadata, in the same order, once all are answered
   * (one completion for many records, so a stream pays per group, not per record), or fails with the first
   * failure.
   */
  public synchronized CompletionStage<List<RecordMetadata>> sendAll(List<ProducerRecord> records) {
    GroupAnswer group = new GroupAnswer(records.size());
    for (int i = 0; i < records.size(); i++) {
      add(records.get(i), group.slot(i));
    }
    return group.result;
  }

  private void add(ProducerRecord record, Answer answer) {
    if (closing) {
      answer.failed(new IllegalStateException("the producer is closed"));
      return;
    }
    if (producerIdFailure != null) {
      answer.failed(producerIdFailure);
      return;
    }
    long timestamp = record.timestamp() >= 0 ? record.timestamp() : System.currentTimeMillis();
    Pending pending = new Pending(record, timestamp, answer);
    TopicState topic = topics.computeIfAbsent(record.topic(), TopicState::new);
    if (topic.partitions > 0) {
      append(topic, pending);
    } else {
      topic.waiting.add(pending);
      if (!metadataRequests.containsValue(topic.name)) {
        requestMetadata(topic.name);
      }
    }
  }

  /** Sends every open batch now, without waiting for linger. */
  public synchronized void flush() {
    for (TopicState topic : topics.values()) {
      for (OpenBatch batch : new ArrayList<>(topic.open.values())) {
        closeBatch(topic, batch);
      }
    }
    sendReady();
  }

  /** Sends what is buffered, waits for every answer, then closes the connection. */
  public synchronized CompletionStage<Done> close() {
    if (!closing) {
      closing = true;
      for (TopicState topic : topics.values()) {
        for (Pending pending : topic.waiting) {
          pending.answer.failed(new IllegalStateException("closed before the topic was known"));
        }
        topic.waiting.clear();
      }
      flush();
      completeCloseIfIdle();
    }
    return closed;
  }

  private void append(TopicState topic, Pending pending) {
    ProducerRecord record = pending.record;
    int partition;
    if (record.partition() >= 0) {
      if (record.partition() >= topic.partitions) {
        pending.answer.failed(new RunnelException(Errors.UNKNOWN_TOPIC_OR_PARTITION,
            "topic " + topic.name + " has " + topic.partitions + " partitions, not " + (record.partition() + 1)));
        return;
      }
      partition = record.partition();
    } else if (record.key() != null) {
      partition = BuiltInPartitioner.partitionForKey(record.key(), topic.partitions);
    } else {
      partition = topic.stickyPartition;
    }
    org.apache.kafka.common.header.Header[] headers = kafkaHeaders(record.headers());
    OpenBatch batch = topic.open.get(partition);
    if (batch != null && !batch.builder.hasRoomFor(pending.timestamp, record.key(), record.value(), headers)) {
      closeBatch(topic, batch);
      batch = null;
    }
    if (batch == null) {
      batch = openBatch(topic, partition);
    }
    batch.builder.append(pending.timestamp, record.key(), record.value(), headers);
    batch.records.add(pending);
    if (batch.builder.isFull() || settings.linger().isZero()) {
      closeBatch(topic, batch);
    }
    if (!ready.isEmpty()) {
      sendReady();
    }
  }

  private OpenBatch openBatch(TopicState topic, int partition) {
    MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(settings.batchSize()),
        settings.codec(), TimestampType.CREATE_TIME, 0L);
    OpenBatch batch = new OpenBatch(partition, builder);
    topic.open.put(partition, batch);
    if (settings.linger().isZero()) {
      return batch;
    }
    system.scheduler().scheduleOnce(settings.linger(), () -> lingered(topic, batch), system.dispatcher());
    return batch;
  }

  private synchronized void lingered(TopicState topic, OpenBatch batch) {
    if (topic.open.get(batch.partition) == batch) {
      closeBatch(topic, batch);
      sendReady();
    }
  }

  private void closeBatch(TopicState topic, OpenBatch batch) {
    topic.open.remove(batch.partition);
    if (batch.partition == topic.stickyPartition) {
      // Keyless records stick to one partition until its batch closes, as kafka-clients' sticky partitioner.
      topic.stickyPartition = (topic.stickyPartition + 1) % topic.partitions;
    }
    ready.add(new ClosedBatch(topic, batch.partition, batch.builder, batch.records));
  }

  private void sendReady() {
    if (!idempotent) {
      while (connection != null && inFlight.size() < settings.maxInFlight() && !ready.isEmpty()) {
        send(ready.poll());
      }
    } else {
      // Batches of a partition leave in queue order: a partition whose head must wait holds back its later ones.
      List<ClosedBatch> unsendable = new ArrayList<>();
      Iterator<ClosedBatch> queued = ready.iterator();
      while (connection != null && inFlight.size() < settings.maxInFlight() && queued.hasNext()) {
        ClosedBatch batch = queued.next();
        if (batch.bytes == null && producerIdFailure != null) {
          queued.remove();
          unsendable.add(batch);
        } else if (batch.topic.inFlight(batch.partition) < MAX_IN_FLIGHT_PER_PARTITION
            && (batch.bytes != null || producerId != RecordBatch.NO_PRODUCER_ID)) {
          queued.remove();
          send(batch);
        }
      }
      // Failed after the loop: a caller's completion may send more, which must not meet the iteration.
      unsendable.forEach(batch -> batch.records.forEach(pending -> pending.answer.failed(producerIdFailure)));
    }
    scheduleTimeoutCheck();
  }

  private void send(ClosedBatch batch) {
    if (batch.bytes == null) {
      seal(batch);
    }
    if (batch.firstSentNanos == 0) {
      batch.firstSentNanos = System.nanoTime();
    }
    int correlationId = nextCorrelationId++;
    inFlight.put(correlationId, batch);
    batch.topic.sent(batch.partition, 1);
    connection.send(new Protocol.Produce(correlationId, batch.topic.name, batch.partition, settings.acks().wire(),
        batch.bytes));
  }

  /** Builds the batch's bytes, which every send of it repeats; idempotent batches get their sequence now. */
  private void seal(ClosedBatch batch) {
    if (idempotent) {
      int sequence = batch.topic.sequences.getOrDefault(batch.partition, 0);
      batch.builder.setProducerState(producerId, producerEpoch, sequence, false);
      batch.topic.sequences.put(batch.partition,
          DefaultRecordBatch.incrementSequence(sequence, batch.records.size()));
      batch.producerId = producerId;
    }
    ByteBuffer bytes = batch.builder.build().buffer();
    batch.bytes = ByteString.fromArrayUnsafe(bytes.array(), bytes.arrayOffset() + bytes.position(),
        bytes.remaining());
    batch.builder = null;
  }

  /** The answer of one of the producer's batches; a refused idempotent batch retires the producer id. */
  private ClosedBatch answered(int correlationId, boolean refused) {
    ClosedBatch batch = inFlight.remove(correlationId);
    if (batch == null) {
      return null;
    }
    batch.topic.sent(batch.partition, -1);
    if (refused && idempotent && batch.producerId == producerId) {
      // The refused batch's sequence is now a gap its partition will not get past: later batches take a new id.
      log.warn("producer: batch for {}-{} refused, sealing the next batches with a new producer id",
          batch.topic.name, batch.partition);
      producerId = RecordBatch.NO_PRODUCER_ID;
      producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
      requestProducerId();
    }
    return batch;
  }

  private void requestProducerId() {
    producerIdRequest = nextCorrelationId++;
    if (connection != null) {
      connection.send(new Protocol.InitProducerId(producerIdRequest));
    }
    scheduleTimeoutCheck();
  }

  private void scheduleTimeoutCheck() {
    if (timeoutCheckScheduled || !waitingForAnswers()) {
      return;
    }
    timeoutCheckScheduled = true;
    system.scheduler().scheduleOnce(settings.requestTimeout().dividedBy(4), this::checkTimeout,
        system.dispatcher());
  }

  /** A connection with requests waiting and no answer for request-timeout is taken for dead (Kafka does so too). */
  private synchronized void checkTimeout() {
    timeoutCheckScheduled = false;
    if (connection != null && waitingForAnswers()
        && System.nanoTime() - lastAnswerNanos > settings.requestTimeout().toNanos()) {
      disconnected(generation, new java.util.concurrent.TimeoutException(
          "no answer in " + settings.requestTimeout().toMillis() + " ms"));
    }
    scheduleTimeoutCheck();
  }

  private boolean waitingForAnswers() {
    return !inFlight.isEmpty() || !metadataRequests.isEmpty() || producerIdRequest >= 0;
  }

  private void requestMetadata(String topic) {
    int correlationId = nextCorrelationId++;
    metadataRequests.put(correlationId, topic);
    if (connection != null) {
      connection.send(new Protocol.Metadata(correlationId, topic));
    }
    scheduleTimeoutCheck();
  }

  private void connect() {
    int current = ++generation;
    lastAnswerNanos = System.nanoTime();
    // Each new connection goes to the next bootstrap broker: one that died is not the only one tried.
    List<String> brokers = settings.bootstrapUris();
    connection = Connection.open(system, brokers.get(Math.floorMod(current - 1, brokers.size())),
        4 * settings.maxInFlight() + 1024,
        message -> received(current, message), failure -> disconnected(current, failure));
    if (producerIdRequest >= 0) {
      connection.send(new Protocol.InitProducerId(producerIdRequest));
    }
    for (Map.Entry<Integer, String> request : metadataRequests.entrySet()) {
      connection.send(new Protocol.Metadata(request.getKey(), request.getValue()));
    }
    // Unanswered batches go first, in the order they were sent, so per-partition order holds.
    List<ClosedBatch> retry = new ArrayList<>(inFlight.values());
    inFlight.clear();
    retry.forEach(batch -> batch.topic.sent(batch.partition, -1));
    for (int i = retry.size() - 1; i >= 0; i--) {
      ready.addFirst(retry.get(i));
    }
    sendReady();
  }

  private synchronized void disconnected(int lost, Throwable cause) {
    if (lost != generation || closed.isDone() || connection == null) {
      return;
    }
    connection.close();
    connection = null;
    java.time.Duration delay = backoff.next();
    log.warn("producer: connection to {} lost ({}), reconnecting in {} ms", settings.bootstrap(),
        cause.getMessage(), delay.toMillis());
    system.scheduler().scheduleOnce(delay, () -> {
      synchronized (this) {
        if (lost == generation && !closed.isDone()) {
          connect();
        }
      }
    }, system.dispatcher());
  }

  private synchronized void received(int from, Message message) {
    // Answers of a connection given up on are dropped: its unanswered batches go again on the next one.
    if (from != generation || connection == null) {
      return;
    }
    lastAnswerNanos = System.nanoTime();
    backoff.reset();
    if (message instanceof Protocol.ProduceAck ack) {
      ClosedBatch refused = inFlight.get(ack.correlationId());
      if (refused != null && toRetry(refused, Errors.forCode(ack.errorCode()))) {
        // The partition is moving or recovering: the batch, and the unanswered ones after it, go again in their
        // order over a new connection (answers still coming on this one are dropped), as after a lost connection.
        disconnected(generation, new RunnelException(Errors.forCode(ack.errorCode()), "batch for "
            + refused.topic.name + "-" + refused.partition + " refused, to be sent again: " + ack.message()));
        return;
      }
      ClosedBatch batch = answered(ack.correlationId(), ack.errorCode() != Errors.NONE.code());
      if (batch != null) {
        answer(batch, ack);
      }
      sendReady();
      completeCloseIfIdle();
    } else if (message instanceof Protocol.MetadataResult result) {
      String name = metadataRequests.remove(result.correlationId());
      TopicState topic = name == null ? null : topics.get(name);
      if (topic != null) {
        metadataArrived(topic, result);
      }
    } else if (message instanceof Protocol.ProducerIdResult result) {
      if (result.correlationId() == producerIdRequest) {
        producerIdArrived(result);
      }
    } else if (message instanceof Protocol.Error error) {
      ClosedBatch batch = answered(error.ref(), true);
      RunnelException failure = new RunnelException(Errors.forCode(error.errorCode()), error.message());
      if (batch != null) {
        batch.records.forEach(pending -> pending.answer.failed(failure));
        sendReady();
        completeCloseIfIdle();
      } else if (error.ref() == Protocol.NO_REF && producerIdRequest >= 0) {
        // A connection-level error while InitProducerId is unanswered: the broker did not know the message.
        producerIdRefused(new RunnelException(Errors.forCode(error.errorCode()), "the broker " + settings.bootstrap()
            + " does not grant producer ids (" + error.message()
            + "); set runnel.client.producer.idempotence = off to produce to it"));
      } else {
        log.warn("producer: broker {} reported {}", settings.bootstrap(), failure.getMessage());
      }
    } else {
      log.warn("producer: unexpected {} from {}", message.getClass().getSimpleName(), settings.bootstrap());
    }
  }

  private void producerIdArrived(Protocol.ProducerIdResult result) {
    producerIdRequest = -1;
    Errors error = Errors.forCode(result.errorCode());
    if (error == Errors.NONE) {
      producerId = result.producerId();
      producerEpoch = result.epoch();
      // A new id is new to every partition: each starts again at sequence 0.
      topics.values().forEach(topic -> topic.sequences.clear());
      log.debug("producer: producer id {} epoch {} from {}", producerId, producerEpoch, settings.bootstrap());
      sendReady();
    } else if (error.exception() instanceof RetriableException) {
      java.time.Duration delay = backoff.next();
      log.warn("producer: no producer id from {} ({}), asking again in {} ms", settings.bootstrap(), error,
          delay.toMillis());
      system.scheduler().scheduleOnce(delay, () -> {
        synchronized (this) {
          if (producerIdRequest < 0 && producerId == RecordBatch.NO_PRODUCER_ID && !closed.isDone()) {
            requestProducerId();
          }
        }
      }, system.dispatcher());
    } else {
      producerIdRefused(new RunnelException(error, "the broker " + settings.bootstrap()
          + " refused a producer id: " + error.message()));
    }
  }

  private void producerIdRefused(RunnelException failure) {
    producerIdRequest = -1;
    producerIdFailure = failure;
    log.error("producer: {}", failure.getMessage());
    sendReady();
    completeCloseIfIdle();
  }

  private void metadataArrived(TopicState topic, Protocol.MetadataResult result) {
    List<Pending> waiting = new ArrayList<>(topic.waiting);
    topic.waiting.clear();
    if (result.errorCode() != Errors.NONE.code()) {
      RunnelException failure = new RunnelException(Errors.forCode(result.errorCode()), result.message());
      waiting.forEach(pending -> pending.answer.failed(failure));
      return;
    }
    topic.partitions = result.partitions();
    topic.stickyPartition = Math.floorMod(System.nanoTime(), topic.partitions);
    waiting.forEach(pending -> append(topic, pending));
  }

  /**
   * Whether a batch refused with {@code error} is sent again: a retriable error (Kafka's {@code RetriableException}:
   * REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER, ...) within the delivery timeout. Two are retriable to Kafka but
   * fail at once here: UNKNOWN_TOPIC_OR_PARTITION means the topic or partition does not exist, and CORRUPT_MESSAGE
   * refuses the batch's own bytes, which a resend repeats.
   */
  private boolean toRetry(ClosedBatch batch, Errors error) {
    return error != Errors.NONE && error != Errors.UNKNOWN_TOPIC_OR_PARTITION && error != Errors.CORRUPT_MESSAGE
        && error.exception() instanceof RetriableException
        && System.nanoTime() - batch.firstSentNanos < settings.deliveryTimeout().toNanos();
  }

  private static void answer(ClosedBatch batch, Protocol.ProduceAck ack) {
    if (ack.errorCode() != Errors.NONE.code()) {
      RunnelException failure = new RunnelException(Errors.forCode(ack.errorCode()),
          ack.errorCode() == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code()
              ? "the batch was not stored, its sequence does not follow the partition's last: " + ack.message()
              : ack.message());
      batch.records.forEach(pending -> pending.answer.failed(failure));
      return;
    }
    long offset = ack.baseOffset();
    for (Pending pending : batch.records) {
      pending.answer.stored(
          new RecordMetadata(batch.topic.name, batch.partition, offset < 0 ? -1 : offset, pending.timestamp));
      if (offset >= 0) {
        offset++;
      }
    }
  }

  private void completeCloseIfIdle() {
    if (closing && ready.isEmpty() && inFlight.isEmpty() && !closed.isDone()) {
      if (connection != null) {
        connection.close();
      }
      closed.complete(Done.getInstance());
    }
  }

  static org.apache.kafka.common.header.Header[] kafkaHeaders(List<Header> headers) {
    org.apache.kafka.common.header.Header[] result = new org.apache.kafka.common.header.Header[headers.size()];
    Iterator<Header> it = headers.iterator();
    for (int i = 0; i < result.length; i++) {
      Header header = it.next();
      result[i] = new RecordHeader(header.key(), header.value());
    }
    return result;
  }

  private record Pending(ProducerRecord record, long timestamp, Answer answer) {}

  /** Where a record's outcome goes; called once, under the engine's lock. */
  private interface Answer {
    void stored(RecordMetadata metadata);

    void failed(Throwable failure);
  }

  /** The outcome of {@link #sendAll}: complete when every record is answered. Used under the engine's lock. */
  private static final class GroupAnswer {
    final CompletableFuture<List<RecordMetadata>> result = new CompletableFuture<>();
    final RecordMetadata[] stored;
    int remaining;

    GroupAnswer(int size) {
      stored = new RecordMetadata[size];
      remaining = size;
      if (size == 0) {
        result.complete(List.of());
      }
    }

    Answer slot(int index) {
      return new Answer() {
        @Override
        public void stored(RecordMetadata metadata) {
          stored[index] = metadata;
          if (--remaining == 0) {
            result.complete(java.util.Arrays.asList(stored));
          }
        }

        @Override
        public void failed(Throwable failure) {
          result.completeExceptionally(failure);
        }
      };
    }
  }

  /** A batch that takes no more records; sealed (built, with its bytes) when it is first sent. */
  private static final class ClosedBatch {
    final TopicState topic;
    final int partition;
    final List<Pending> records;
    MemoryRecordsBuilder builder;
    ByteString bytes;
    long producerId = RecordBatch.NO_PRODUCER_ID;
    /** When the batch was first sent ({@link System#nanoTime}), for the delivery timeout; 0 before. */
    long firstSentNanos;

    ClosedBatch(TopicState topic, int partition, MemoryRecordsBuilder builder, List<Pending> records) {
      this.topic = topic;
      this.partition = partition;
      this.builder = builder;
      this.records = records;
    }
  }

  private static final class OpenBatch {
    final int partition;
    final MemoryRecordsBuilder builder;
    final List<Pending> records = new ArrayList<>();

    OpenBatch(int partition, MemoryRecordsBuilder builder) {
      this.partition = partition;
      this.builder = builder;
    }
  }

  private static final class TopicState {
    final String name;
    final List<Pending> waiting = new ArrayList<>();
    final Map<Integer, OpenBatch> open = new HashMap<>();
    /** Each partition's next sequence under the current producer id. */
    final Map<Integer, Integer> sequences = new HashMap<>();
    /** Each partition's batches sent and unanswered on the current connection. */
    final Map<Integer, Integer> inFlight = new HashMap<>();
    int partitions;
    int stickyPartition;

    TopicState(String name) {
      this.name = name;
    }

    int inFlight(int partition) {
      return inFlight.getOrDefault(partition, 0);
    }

    void sent(int partition, int delta) {
      inFlight.merge(partition, delta, Integer::sum);
    }
  }
}
