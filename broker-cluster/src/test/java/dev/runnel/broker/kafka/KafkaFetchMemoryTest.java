package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.memory.ReadBudget;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Subscription;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.URI;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8: large pipelined fetches must not exhaust the heap. About 1 GiB (system property
 * {@code runnel.test.fetch-memory.topic-bytes}) is written to one partition, mostly out of the tail cache, then
 * several connections each pipeline 16 Fetch requests of max_bytes 50 MB (and partition max bytes 50 MB) from
 * offsets spread over the log, as Kafka's own consumer may. Every answer must arrive whole, the node's read budget
 * must never have held more than its limit, nothing may stay reserved afterwards, and the heap read after forced
 * collections during the load may grow by no more than that limit plus what this test's own clients hold.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class KafkaFetchMemoryTest {

  private static final long TOPIC_BYTES = Long.getLong("runnel.test.fetch-memory.topic-bytes", 1L << 30);
  private static final int VALUE_BYTES = 1_000_000;
  private static final int BATCHES_PER_APPEND = 8;
  /** Kafka's consumer default fetch.max.bytes. */
  private static final int FETCH_MAX_BYTES = 50 * 1024 * 1024;
  private static final int CONNECTIONS = 4;
  private static final int PIPELINED = 16;
  private static final long NODE_LIMIT = 128L * 1024 * 1024;
  private static final long CONNECTION_LIMIT = 64L * 1024 * 1024;
  private static final String TOPIC = "big";

  private static RunnelNode node;
  private static long records;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.fetch.max-bytes-in-flight", NODE_LIMIT,
        "runnel.broker.fetch.connection-max-bytes-in-flight", CONNECTION_LIMIT));
    node.broker().createTopic(TOPIC, 1, Map.of()).toCompletableFuture().get();
    long started = System.nanoTime();
    PartitionId partition = node.broker().partition(TOPIC, 0);
    int appends = (int) Math.max(1, TOPIC_BYTES / ((long) VALUE_BYTES * BATCHES_PER_APPEND));
    List<CompletableFuture<AppendResult>> inFlight = new ArrayList<>();
    byte[] value = new byte[VALUE_BYTES];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31);
    }
    for (int i = 0; i < appends; i++) {
      ByteBuffer buffer = ByteBuffer.allocate(BATCHES_PER_APPEND * (VALUE_BYTES + 100));
      for (int b = 0; b < BATCHES_PER_APPEND; b++) {
        buffer.put(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value)).buffer());
      }
      inFlight.add(node.broker().append(partition, buffer.flip(), (short) 1).toCompletableFuture());
      if (inFlight.size() == 4) {
        assertAppended(inFlight.remove(0).get(60, TimeUnit.SECONDS));
      }
    }
    for (CompletableFuture<AppendResult> append : inFlight) {
      assertAppended(append.get(60, TimeUnit.SECONDS));
    }
    records = (long) appends * BATCHES_PER_APPEND;
    System.out.printf("KafkaFetchMemoryTest: wrote %d MB (%d records) in %d ms%n",
        records * VALUE_BYTES / 1_000_000, records, (System.nanoTime() - started) / 1_000_000);
  }

  private static void assertAppended(AppendResult result) {
    assertEquals(Errors.NONE, result.error(), "append: " + result);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void when_connectionsPipelineFetchesOf50MB_then_everyAnswerArrives_andReadMemoryStaysWithinItsLimit()
      throws Exception {
    ReadBudget budget = node.broker().readBudget();
    long started = System.nanoTime();
    HeapSampler heap = HeapSampler.start();
    ExecutorService clients = Executors.newFixedThreadPool(CONNECTIONS);
    List<Future<Long>> read = new ArrayList<>();
    long bytes = 0;
    try {
      for (int c = 0; c < CONNECTIONS; c++) {
        int connection = c;
        read.add(clients.submit(() -> fetchPipelined(connection)));
      }
      for (Future<Long> future : read) {
        bytes += future.get(500, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    long growth = heap.stop();
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("KafkaFetchMemoryTest: %d fetches read %d MB in %d ms; read budget peak %d MiB of %d MiB; "
            + "heap after GC %d MiB before, grew by at most %d MiB during the load%n", CONNECTIONS * PIPELINED,
        bytes / 1_000_000, millis, budget.peak() >> 20, budget.limit() >> 20, heap.baseline() >> 20, growth >> 20);
    assertTrue(budget.peak() <= NODE_LIMIT,
        "the node's read budget held at most " + NODE_LIMIT + " bytes, not " + budget.peak());
    assertTrue(budget.peak() > CONNECTION_LIMIT,
        "several connections read at once (peak " + budget.peak() + "), so the node's bound was what held them");
    // Each client thread holds the one answer it is checking: at most a fetch's worth (plus its parsing).
    long clientBytes = (long) CONNECTIONS * 2 * FETCH_MAX_BYTES;
    long slack = 64L * 1024 * 1024;
    assertTrue(growth <= NODE_LIMIT + clientBytes + slack,
        "heap after GC grew by " + (growth >> 20) + " MiB, more than the read limit (" + (NODE_LIMIT >> 20)
            + " MiB) and the clients' answers (" + (clientBytes >> 20) + " MiB)");
    awaitReleased(budget);
    long after = heapAfterGc(ManagementFactory.getMemoryMXBean());
    assertTrue(after - heap.baseline() <= 64L * 1024 * 1024, "nothing read stays on the heap: "
        + (heap.baseline() >> 20) + " MiB before, " + (after >> 20) + " MiB after");
  }

  /** Pipelines {@link #PIPELINED} fetches on one connection, then reads and checks every answer. */
  private long fetchPipelined(int connection) throws Exception {
    try (RawKafkaConnection kafka = new RawKafkaConnection(node.kafkaPort())) {
      List<RequestHeader> sent = new ArrayList<>();
      List<Long> offsets = new ArrayList<>();
      for (int i = 0; i < PIPELINED; i++) {
        long offset = (long) (connection * PIPELINED + i) * records / (CONNECTIONS * PIPELINED);
        offsets.add(offset);
        FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setTopic(TOPIC).setPartitions(List.of(
            new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(offset)
                .setPartitionMaxBytes(FETCH_MAX_BYTES)));
        sent.add(kafka.send(ApiKeys.FETCH, (short) 12, new FetchRequestData().setReplicaId(-1).setMaxWaitMs(500)
            .setMinBytes(1).setMaxBytes(FETCH_MAX_BYTES).setTopics(List.of(topic))));
      }
      long bytes = 0;
      for (int i = 0; i < PIPELINED; i++) {
        FetchResponse response = (FetchResponse) kafka.receive(sent.get(i));
        FetchResponseCheck check = check(response, offsets.get(i));
        bytes += check.bytes();
      }
      return bytes;
    }
  }

  private record FetchResponseCheck(long bytes) {}

  private static FetchResponseCheck check(FetchResponse response, long offset) {
    var partition = response.data().responses().get(0).partitions().get(0);
    assertEquals(Errors.NONE.code(), partition.errorCode(), "fetch at " + offset);
    MemoryRecords records = (MemoryRecords) partition.records();
    long expected = offset;
    int batches = 0;
    for (RecordBatch batch : records.batches()) {
      assertEquals(expected, batch.baseOffset(), "batches follow each other from the fetch offset");
      expected = batch.lastOffset() + 1;
      batches++;
    }
    long wanted = Math.min(records(offset), FETCH_MAX_BYTES / (VALUE_BYTES + 100));
    assertTrue(batches >= Math.min(wanted, 40), "fetch at " + offset + " brought " + batches + " batches, not "
        + wanted + ": the answer may be lowered to the connection's bound, but not further");
    assertTrue(records.sizeInBytes() <= FETCH_MAX_BYTES, "max_bytes bounds the answer");
    return new FetchResponseCheck(records.sizeInBytes());
  }

  private static long records(long offset) {
    return records - offset;
  }

  private static void awaitReleased(ReadBudget budget) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (budget.reserved() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, budget.reserved(), "every answer's read memory was released once written");
  }

  /**
   * 16 NDJSON streams read at once, each 40 records of 1 MB from its own offset, with the largest max_bytes HTTP
   * allows: each stream fetches only as its reader reads, so the heap grows by no more than one fetch and its lines
   * per stream.
   */
  @Test
  void when_16NdjsonStreamsReadLargeRecords_then_theHeapStaysWithinOneFetchPerStream() throws Exception {
    int streams = 16;
    int limit = 40;
    long maxReadBytes = 8L * 1024 * 1024;
    HeapSampler heap = HeapSampler.start();
    ExecutorService readers = Executors.newFixedThreadPool(streams);
    try {
      List<Future<Long>> lines = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        long offset = i * (records - limit) / streams;
        lines.add(readers.submit(() -> ndjsonLines(offset, limit, maxReadBytes)));
      }
      for (Future<Long> counted : lines) {
        assertEquals(limit, counted.get(300, TimeUnit.SECONDS), "every stream brought its records");
      }
    } finally {
      readers.shutdownNow();
    }
    long growth = heap.stop();
    System.out.printf("KafkaFetchMemoryTest: %d NDJSON streams: heap after GC grew by at most %d MiB%n", streams,
        growth >> 20);
    // Per stream, as the README says: the journal write its fetch loads, twice while it is decoded (2 x max_bytes
    // here), the record being rendered as a JSON line (base64: 4/3 of its bytes, as text and as bytes) and the lines
    // the HTTP layer has taken but not yet written: up to about 5 x max_bytes in all.
    long bound = streams * 5 * maxReadBytes + 64L * 1024 * 1024;
    assertTrue(growth <= bound, "heap after GC grew by " + (growth >> 20) + " MiB, over " + (bound >> 20) + " MiB");
  }

  private static long ndjsonLines(long offset, int limit, long maxBytes) throws Exception {
    HttpURLConnection http = (HttpURLConnection) URI.create(
        "http://127.0.0.1:" + node.httpPort() + "/topics/" + TOPIC + "/partitions/0/records?offset=" + offset
            + "&limit=" + limit + "&max_bytes=" + maxBytes + "&format=binary").toURL().openConnection();
    http.setRequestProperty("Accept", "application/x-ndjson");
    http.setReadTimeout(60_000);
    assertEquals(200, http.getResponseCode());
    long lines = 0;
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = http.getInputStream()) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        for (int i = 0; i < read; i++) {
          if (buffer[i] == '\n') {
            lines++;
          }
        }
      }
    }
    return lines;
  }

  /**
   * 16 native subscriptions (the reactive client over WebSocket) read at once, each 40 records of 1 MB: credit
   * bounds every subscription to a few frames on each side, so the heap (holding client and broker here) grows by
   * no more than those.
   */
  @Test
  void when_16NativeSubscriptionsReadLargeRecords_then_creditBoundsTheHeap() throws Exception {
    int subscriptions = 16;
    int take = 40;
    ActorSystem client = ActorSystem.create("client",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    HeapSampler heap = HeapSampler.start();
    try {
      ConsumerSettings settings = ConsumerSettings.create(client)
          .withBootstrap("ws://127.0.0.1:" + node.httpPort());
      List<CompletableFuture<Long>> consumed = new ArrayList<>();
      for (int i = 0; i < subscriptions; i++) {
        long offset = i * (records - take) / subscriptions;
        consumed.add(Consumer.plainSource(settings, Subscription.atOffsets(TOPIC, Map.of(0, offset)))
            .take(take)
            .runFold(0L, (count, record) -> count + (record.value().length == VALUE_BYTES ? 1 : 0), client)
            .toCompletableFuture());
      }
      for (CompletableFuture<Long> count : consumed) {
        assertEquals(take, count.get(300, TimeUnit.SECONDS), "every subscription brought its records whole");
      }
    } finally {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    long growth = heap.stop();
    System.out.printf("KafkaFetchMemoryTest: %d native subscriptions: heap after GC grew by at most %d MiB%n",
        subscriptions, growth >> 20);
    // Per subscription: on each side the credit window (4 frames of at most 1 MiB, or one batch) and the frame in
    // hand; on the broker a read of one journal write (max-write-bytes, 8 MiB), held twice while it is decoded.
    long journalWrite = 8L * 1024 * 1024;
    long bound = subscriptions * (2 * 5 * (2L * VALUE_BYTES) + 2 * journalWrite) + 64L * 1024 * 1024;
    assertTrue(growth <= bound, "heap after GC grew by " + (growth >> 20) + " MiB, over " + (bound >> 20) + " MiB");
  }

  /** The largest heap after forced collections, every 500 ms, minus the heap before. */
  private static final class HeapSampler {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong max = new AtomicLong();
    private final long baseline = heapAfterGc(memory);
    private final Thread thread = new Thread(this::sample, "heap-sampler");

    static HeapSampler start() {
      HeapSampler sampler = new HeapSampler();
      sampler.max.set(sampler.baseline);
      sampler.thread.start();
      return sampler;
    }

    private void sample() {
      while (running.get()) {
        max.accumulateAndGet(heapAfterGc(memory), Math::max);
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    long baseline() {
      return baseline;
    }

    long stop() throws InterruptedException {
      running.set(false);
      thread.join();
      return max.get() - baseline;
    }
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
