package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.client.internal.Protocol;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Streams that outlive pekko-http's timeouts. A following NDJSON stream read slowly for two minutes (twice the
 * longest pekko-http timeout: idle 60 s, request 20 s, linger 1 min) keeps flowing while a producer appends at a
 * steady rate faster than the reader reads, so the node's writes wait on the reader all the time; and a WebSocket
 * subscription quiet for longer than the idle-timeout still delivers what is appended after. This class runs
 * concurrently with the rest of the suite (see {@code junit-platform.properties}): it mostly waits.
 */
@Execution(ExecutionMode.CONCURRENT)
@Timeout(300)
class LongLivedStreamTest {

  /**
   * How long the stream is read ({@code -Drunnel.test.long-stream=300s} for longer). Two minutes, not the five it
   * was: the class starts whenever its fork reaches it, and five minutes begun late held CI's whole phase open.
   */
  private static final Duration READ_FOR =
      Duration.parse("PT" + System.getProperty("runnel.test.long-stream", "120s").toUpperCase());
  /** The reader's pace: well below what the producer appends, so the node's writes always wait on it. */
  private static final int READ_BYTES_PER_SECOND = 16 * 1024;
  private static final int VALUE_BYTES = 2000;
  /** Longer than pekko-http's idle-timeout (60 s). */
  private static final Duration IDLE = Duration.ofSeconds(75);
  private static final Pattern OFFSET = Pattern.compile("\"offset\":(\\d+),");

  private static RunnelNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
    http = new HttpTestClient(node.httpPort());
    assertEquals(201, http.post("/topics", "{\"name\": \"steady\", \"partitions\": 1}").status());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void when_followStreamReadSlowlyForMinutes_then_bytesKeepArriving() throws Exception {
    ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger produced = new AtomicInteger();
    String value = "v".repeat(VALUE_BYTES);
    // A backlog of about 8 MB: more than the kernel's socket buffers hold, so the node's writes wait on the reader.
    String fifty = "{\"records\": [" + String.join(", ",
        java.util.Collections.nCopies(50, "{\"value\": \"" + value + "\"}")) + "]}";
    for (int i = 0; i < 80; i++) {
      assertEquals(200, http.post("/topics/steady/records", fifty).status());
      produced.addAndGet(50);
    }
    // Then 10 records of 2 KB a second.
    producer.scheduleAtFixedRate(() -> {
      String body = "{\"records\": [{\"value\": \"" + value + "\"}]}";
      if (http.post("/topics/steady/records", body).status() == 200) {
        produced.incrementAndGet();
      }
    }, 0, 100, TimeUnit.MILLISECONDS);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", node.httpPort()), 10_000);
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /topics/steady/partitions/0/records?follow=true HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Accept: application/x-ndjson\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[1024];
      long start = System.nanoTime();
      long deadline = start + READ_FOR.toNanos();
      long bytes = 0;
      long lastOffset = -1;
      long longestGapMs = 0;
      long lastData = System.nanoTime();
      StringBuilder tail = new StringBuilder();
      while (System.nanoTime() < deadline) {
        int n;
        try {
          n = in.read(buffer);
        } catch (IOException e) {
          throw new AssertionError("the stream broke after " + seconds(start) + " s and " + bytes + " bytes", e);
        }
        assertTrue(n >= 0, "the node ended the stream after " + seconds(start) + " s and " + bytes + " bytes");
        long now = System.nanoTime();
        longestGapMs = Math.max(longestGapMs, (now - lastData) / 1_000_000);
        lastData = now;
        bytes += n;
        tail.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        Matcher offsets = OFFSET.matcher(tail);
        int consumed = 0;
        while (offsets.find()) {
          long offset = Long.parseLong(offsets.group(1));
          assertEquals(lastOffset + 1, offset, "records arrive in order without gaps");
          lastOffset = offset;
          consumed = offsets.end();
        }
        tail.delete(0, consumed);
        // Pace the reader: sleep until the bytes read so far are due at READ_BYTES_PER_SECOND.
        long dueNanos = start + bytes * 1_000_000_000L / READ_BYTES_PER_SECOND;
        long ahead = dueNanos - System.nanoTime();
        if (ahead > 0) {
          TimeUnit.NANOSECONDS.sleep(ahead);
        }
      }
      long expected = READ_FOR.toSeconds() * READ_BYTES_PER_SECOND * 8 / 10;
      assertTrue(bytes >= expected, "read " + bytes + " bytes in " + READ_FOR + ", expected at least " + expected);
      assertTrue(longestGapMs < 15_000, "bytes kept arriving; longest gap " + longestGapMs + " ms");
      assertTrue(lastOffset > 0 && lastOffset < produced.get(),
          "the reader stayed behind the producer: read up to " + lastOffset + " of " + produced.get());
    } finally {
      producer.shutdownNow();
    }
  }

  /**
   * A native subscription (WebSocket) that waits for records longer than pekko-http's idle-timeout, on a client
   * that never pings by itself: the node's keep-alive pings keep it open, and records appended after the wait
   * arrive on it.
   */
  @Test
  void when_webSocketSubscriptionIdlesPastTheIdleTimeout_then_laterRecordsArrive() throws Exception {
    assertEquals(201, http.post("/topics", "{\"name\": \"quiet\", \"partitions\": 1}").status());
    ActorSystem client = ActorSystem.create("quiet-client", ConfigFactory.parseString(
            "pekko.actor.provider = local\npekko.http.client.websocket.periodic-keep-alive-max-idle = infinite")
        .withFallback(ConfigFactory.load()));
    try {
      BlockingQueue<Protocol.Message> in = new LinkedBlockingQueue<>();
      CompletableFuture<Void> closed = new CompletableFuture<>();
      Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> out =
          Source.<Message>queue(16).preMaterialize(client);
      Sink<Message, NotUsed> incoming = Flow.<Message>create()
          .mapAsync(1, message -> message.asBinaryMessage().toStrict(10_000, Materializer.matFromSystem(client)))
          .map(binary -> Protocol.decode(binary.getStrictData()))
          .to(Sink.foreach(in::add));
      Http.get(client).singleWebSocketRequest(
          WebSocketRequest.create("ws://127.0.0.1:" + node.httpPort() + "/stream"),
          Flow.fromSinkAndSourceCoupled(incoming, out.second()).watchTermination((notUsed, done) -> {
            done.whenComplete((ok, failure) -> closed.complete(null));
            return NotUsed.getInstance();
          }),
          Materializer.matFromSystem(client));
      out.first().offer(BinaryMessage.create(Protocol.encode(
          new Protocol.Subscribe(1, "quiet", 0, Protocol.EARLIEST, 64 * 1024, 5_000))));
      out.first().offer(BinaryMessage.create(Protocol.encode(new Protocol.Credit(1, 100))));
      assertInstanceOf(Protocol.Subscribed.class, in.poll(30, TimeUnit.SECONDS));

      // Quiet for longer than the idle-timeout (60 s): nothing arrives and the connection stays open.
      Protocol.Message during = in.poll(IDLE.toMillis(), TimeUnit.MILLISECONDS);
      assertEquals(null, during, "nothing was produced, so nothing arrives");
      assertFalse(closed.isDone(), "the connection is still open after " + IDLE);

      assertEquals(200, http.post("/topics/quiet/records", "{\"records\": [{\"value\": \"late\"}]}").status());
      Protocol.Records records = assertInstanceOf(Protocol.Records.class, in.poll(30, TimeUnit.SECONDS));
      Record late = MemoryRecords.readableRecords(records.batches().asByteBuffer()).records().iterator().next();
      assertEquals("late", StandardCharsets.UTF_8.decode(late.value()).toString());
    } finally {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static long seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000_000L;
  }
}
