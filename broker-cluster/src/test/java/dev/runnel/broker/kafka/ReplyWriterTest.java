package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.memory.ReadBudget;
import dev.runnel.broker.memory.ReadLease;
import dev.runnel.broker.memory.ReadLeases;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection's last stage: what it gives the TCP stage, when, and when each response's read memory goes back.
 * The test sink plays the TCP stage: it asks for the next bytes once it has taken the ones before.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReplyWriterTest {

  private static ActorSystem system;
  private ReadBudget budget;
  private ReadLeases leases;
  private TestPublisher.Probe<KafkaApis.Reply> replies;
  private TestSubscriber.Probe<ByteString> socket;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("reply-writer", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    TestKit.shutdownActorSystem(system);
  }

  @BeforeEach
  void connect() {
    budget = new ReadBudget("test connection", 1L << 30);
    leases = new ReadLeases(List.of(budget));
    Pair<TestPublisher.Probe<KafkaApis.Reply>, TestSubscriber.Probe<ByteString>> probes =
        TestSource.<KafkaApis.Reply>create(system)
            .via(new ReplyWriter("test connection"))
            .toMat(TestSink.create(system), Keep.both())
            .run(system);
    replies = probes.first();
    socket = probes.second();
  }

  /** A response frame whose lease holds as many bytes as the frame. */
  private KafkaApis.Reply response(ByteString frame) {
    ReadLease lease = leases.open();
    lease.resize(frame.length());
    return new KafkaApis.Reply.Response(Optional.of(frame), lease);
  }

  private KafkaApis.Reply response(String frame) {
    return response(ByteString.fromString(frame));
  }

  private void awaitHeld(long bytes, String why) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(bytes, budget.reserved(), why));
  }

  @Test
  void when_responsesBecomeReadyWhileAWriteIsInFlight_then_theyGoOutTogetherInTheNextWrite() {
    socket.request(1);
    replies.sendNext(response("first"));
    assertEquals(ByteString.fromString("first"), socket.expectNext());
    // The socket is busy with "first": the three next responses wait for it together.
    replies.sendNext(response("two"));
    replies.sendNext(response("three"));
    replies.sendNext(response("four"));
    awaitHeld(5 + 3 + 5 + 4, "nothing is released before the socket asks again");
    socket.request(1);
    assertEquals(ByteString.fromString("twothreefour"), socket.expectNext(), "one write for all three");
    awaitHeld(3 + 5 + 4, "the socket asked again, so \"first\" is in its write buffer; the others are not yet");
    socket.request(1);
    awaitHeld(0, "all written");
    socket.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void when_aResponseIsLargerThanAPush_then_itGoesInPushesOfAtMostThatSize_andAllOfItBeforeTheEnd() {
    int size = ReplyWriter.CHUNK_BYTES * 5 / 2;
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) i;
    }
    replies.sendNext(response("before"));
    replies.sendNext(response(ByteString.fromArray(bytes)));
    // The requests end (the client half-closed) before the socket took anything: nothing may be lost.
    replies.sendComplete();
    socket.request(10);
    ByteString expected = ByteString.fromString("before").concat(ByteString.fromArray(bytes));
    ByteString written = ByteString.emptyByteString();
    while (written.length() < expected.length()) {
      ByteString next = socket.expectNext();
      assertTrue(next.length() <= ReplyWriter.CHUNK_BYTES, "a push of " + next.length() + " bytes");
      written = written.concat(next);
    }
    socket.expectComplete();
    assertEquals(expected, written);
    awaitHeld(0, "a finished connection holds nothing");
  }

  @Test
  void when_aBadFrameFollowsResponses_then_theyAreWrittenBeforeTheConnectionCloses() {
    replies.sendNext(response("answer-1"));
    replies.sendNext(response("answer-2"));
    replies.sendNext(new KafkaApis.Reply.Close("a bad frame"));
    socket.request(10);
    assertEquals(ByteString.fromString("answer-1answer-2"), socket.expectNext());
    socket.expectComplete();
    awaitHeld(0, "a closed connection holds nothing");
  }
}
