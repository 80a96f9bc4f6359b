package dev.runnel.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A broker that accepts connections and never answers: clients must give the connection up and try again. */
@Timeout(60)
class RequestTimeoutTest {

  private ServerSocket silent;
  private final AtomicInteger accepted = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private ActorSystem system;

  @BeforeEach
  void start() throws IOException {
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!silent.isClosed()) {
        try {
          sockets.add(silent.accept());
          accepted.incrementAndGet();
        } catch (IOException closed) {
          return;
        }
      }
    }, "silent-broker");
    acceptor.setDaemon(true);
    acceptor.start();
    system = ActorSystem.create("request-timeout-test");
  }

  @AfterEach
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    silent.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  private String bootstrap() {
    return "ws://127.0.0.1:" + silent.getLocalPort();
  }

  private void awaitConnections(int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (accepted.get() < count && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Test
  void when_brokerNeverAnswersAProducer_then_itsConnectionIsReplacedAfterTheRequestTimeout() throws Exception {
    Producer producer = Producer.create(ProducerSettings.create(system).withBootstrap(bootstrap())
        .withRequestTimeout(Duration.ofMillis(500)), system);
    producer.send(ProducerRecord.of("silence", new byte[] {1}));
    awaitConnections(3);
    assertTrue(accepted.get() >= 3, "the producer opened new connections: " + accepted.get());
  }

  @Test
  void when_brokerNeverConfirmsASubscription_then_theConsumerConnectsAgain() throws Exception {
    Control control = Consumer.plainSource(ConsumerSettings.create(system).withBootstrap(bootstrap())
            .withRequestTimeout(Duration.ofMillis(500)), Subscription.earliest("silence", 0))
        .to(Sink.ignore())
        .run(system);
    awaitConnections(3);
    assertTrue(accepted.get() >= 3, "the consumer opened new connections: " + accepted.get());
    control.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
