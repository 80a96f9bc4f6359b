package dev.runnel.bench.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes to every partition of a topic without pause: one record of {@link #RECORD_BYTES} to each partition every
 * {@link #SEND_INTERVAL}, through one idempotent kafka-clients producer with acks=all and Kafka's other defaults
 * (so retries, backoffs and metadata refreshes are what an ordinary client does when a broker dies). It remembers
 * when each partition last acknowledged a write, and an {@link Outage} started at a moment records each partition's
 * last acknowledgement before it and the first acknowledgement of a record sent after it.
 *
 * <p>A partition that does not acknowledge gets no new sends past {@link #MAX_UNACKED}, so a long outage cannot fill
 * the producer's buffer. Thread-safe: one sender thread, acknowledgements on the producer's I/O thread.
 */
final class ContinuousProducer implements AutoCloseable {

  static final Duration SEND_INTERVAL = Duration.ofMillis(10);
  static final int RECORD_BYTES = 100;
  private static final int MAX_UNACKED = 2_000;

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final int partitions;
  private final AtomicLongArray lastAck;
  private final AtomicLongArray unacked;
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicReference<String> lastFailure = new AtomicReference<>();
  private final AtomicReference<Outage> outage = new AtomicReference<>();
  private final Thread sender;
  private volatile boolean running = true;

  ContinuousProducer(String bootstrap, String topic, int partitions) {
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    this.topic = topic;
    this.partitions = partitions;
    this.lastAck = new AtomicLongArray(partitions);
    this.unacked = new AtomicLongArray(partitions);
    this.sender = new Thread(this::send, "continuous-producer");
    sender.start();
  }

  private void send() {
    byte[] value = new byte[RECORD_BYTES];
    long next = System.nanoTime();
    while (running) {
      long sentAt = System.nanoTime();
      for (int p = 0; p < partitions && running; p++) {
        if (unacked.get(p) < MAX_UNACKED) {
          int partition = p;
          unacked.incrementAndGet(p);
          try {
            producer.send(new ProducerRecord<>(topic, partition, null, value),
                (metadata, e) -> completed(partition, sentAt, e));
          } catch (RuntimeException e) {
            unacked.decrementAndGet(p);
            failed(e);
          }
        }
      }
      next += SEND_INTERVAL.toNanos();
      LockSupport.parkNanos(next - System.nanoTime());
      next = Math.max(next, System.nanoTime() - SEND_INTERVAL.toNanos());
    }
  }

  private void completed(int partition, long sentAt, Exception e) {
    unacked.decrementAndGet(partition);
    if (e != null) {
      failed(e);
      return;
    }
    long now = System.nanoTime();
    acked.incrementAndGet();
    lastAck.set(partition, now);
    Outage current = outage.get();
    if (current != null) {
      current.acknowledged(partition, sentAt, now);
    }
  }

  private void failed(Exception e) {
    failures.incrementAndGet();
    lastFailure.set(e.toString());
  }

  /** Starts recording an outage that begins now (call it just before the fault). */
  Outage outageFromNow() {
    long since = System.nanoTime();
    long[] before = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      before[p] = lastAck.get(p);
    }
    Outage next = new Outage(since, before);
    outage.set(next);
    return next;
  }

  /**
   * Waits until for {@code window} in a row every partition has acknowledged a write at most {@code maxGap} ago;
   * false if that did not happen within {@code timeout}.
   */
  boolean awaitSteady(Duration window, Duration maxGap, Duration timeout) {
    long start = System.nanoTime();
    long windowStart = start;
    while (System.nanoTime() - start < timeout.toNanos()) {
      long now = System.nanoTime();
      for (int p = 0; p < partitions; p++) {
        if (now - lastAck.get(p) > maxGap.toNanos()) {
          windowStart = now;
        }
      }
      if (now - windowStart >= window.toNanos()) {
        return true;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    return false;
  }

  long acked() {
    return acked.get();
  }

  long failures() {
    return failures.get();
  }

  String lastFailure() {
    return lastFailure.get();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    sender.join();
    producer.close(Duration.ofSeconds(30));
  }

  /**
   * One partition-by-partition outage: the last acknowledgement before it began and the first acknowledgement after
   * it of a record sent after it began (times from {@link System#nanoTime()}). A record sent before the fault and
   * acknowledged after it does not count: it may have been written before the fault.
   */
  static final class Outage {
    private final long since;
    private final long[] lastBefore;
    private final AtomicLongArray firstAfter;
    private final CountDownLatch writable;

    private Outage(long since, long[] lastBefore) {
      this.since = since;
      this.lastBefore = lastBefore;
      this.firstAfter = new AtomicLongArray(lastBefore.length);
      this.writable = new CountDownLatch(lastBefore.length);
    }

    private void acknowledged(int partition, long sentAt, long at) {
      if (sentAt >= since && firstAfter.compareAndSet(partition, 0, at)) {
        writable.countDown();
      }
    }

    /** Waits until every partition accepted a write sent after the outage began; false if not within timeout. */
    boolean awaitWritable(Duration timeout) throws InterruptedException {
      return writable.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** From the start of the outage to the moment the last partition accepted a write again. */
    Duration untilAllWritable() {
      long last = 0;
      for (int p = 0; p < firstAfter.length(); p++) {
        last = Math.max(last, firstAfter.get(p) - since);
      }
      return Duration.ofNanos(last);
    }

    /** The partition with the longest time between its last acknowledgement before and its first after. */
    int widestGapPartition() {
      int widest = 0;
      for (int p = 1; p < lastBefore.length; p++) {
        if (gap(p).compareTo(gap(widest)) > 0) {
          widest = p;
        }
      }
      return widest;
    }

    Duration gap(int partition) {
      return Duration.ofNanos(firstAfter.get(partition) - lastBefore[partition]);
    }

    /** The partitions that have not accepted a write sent after the outage began. */
    int[] notWritable() {
      return IntStream.range(0, firstAfter.length()).filter(p -> firstAfter.get(p) == 0).toArray();
    }
  }
}
