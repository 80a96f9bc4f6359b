package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.testkit.NodeProcess;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerRecord;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reactive client against a node in another JVM, launched like {@code deploy/bin/runnel}: the node is killed
 * with SIGKILL mid-stream and started again on the same data and port, and the client's consumer reconnects with
 * backoff and carries on without a gap or a duplicate.
 */
@Timeout(240)
class ReactiveClientRemoteNodeTest {

  private static final int RECORDS = 3000;

  private ActorSystem client;

  @BeforeEach
  void start() {
    client = ActorSystem.create("remote-client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void when_theRemoteNodeIsKilledAndRestarted_then_theConsumerReconnectsWithoutGapsOrDuplicates() throws Exception {
    Path dataDir = TestNodes.newDataDir();
    int port = NodeProcess.freePort();
    String bootstrap = "ws://127.0.0.1:" + port;
    NodeProcess node = NodeProcess.start(dataDir, port);
    try {
      try (Producer producer = Producer.create(ProducerSettings.create(client).withBootstrap(bootstrap), client)) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
          acks.add(producer.send(ProducerRecord.of("remote", ("v" + i).getBytes(StandardCharsets.UTF_8)))
              .toCompletableFuture());
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }

      List<ConsumerRecord> received = new CopyOnWriteArrayList<>();
      // Small frames and window: the client holds at most 2 x 16 KiB, far less than the topic, so the records
      // after the kill must come from the restarted node.
      ConsumerSettings settings = ConsumerSettings.create(client).withBootstrap(bootstrap)
          .withMaxFrameBytes(16 * 1024)
          .withCreditWindow(2);
      Control control = Consumer.plainSource(settings, Subscription.earliest("remote", 0))
          .throttle(200, Duration.ofMillis(100))
          .to(Sink.foreach(received::add))
          .run(client);

      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> received.size() >= 500);
      node.kill();
      int atKill = received.size();
      assertTrue(atKill < RECORDS - 1000, "killed mid-stream, after " + atKill + " records");
      node = NodeProcess.start(dataDir, port);

      Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> received.size() >= RECORDS);
      control.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(RECORDS, received.size(), "every record once (" + atKill + " before the kill)");
      for (int i = 0; i < RECORDS; i++) {
        assertEquals(i, received.get(i).offset());
        assertEquals("v" + i, new String(received.get(i).value(), StandardCharsets.UTF_8));
      }
    } finally {
      node.close();
    }
  }
}
