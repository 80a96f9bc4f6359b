package dev.runnel.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.runnel.client.internal.Protocol;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocket;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batches refused with a retriable error, as a partition whose node died answers until it recovers elsewhere,
 * against a scripted broker: the first {@code refusals} Produce requests are answered with the given error, the
 * rest are stored at offsets from 0.
 */
@Timeout(60)
class ProduceRetryTest {

  private ActorSystem system;
  private ServerBinding binding;
  private final List<Protocol.Produce> produced = new CopyOnWriteArrayList<>();
  private final List<Protocol.Produce> refused = new CopyOnWriteArrayList<>();
  private final AtomicInteger produceRequests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();

  @BeforeEach
  void start() {
    system = ActorSystem.create("produce-retry-test");
  }

  @AfterEach
  void stop() throws Exception {
    if (binding != null) {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private String broker(int refusals, Errors error) throws Exception {
    Materializer materializer = Materializer.matFromSystem(system);
    binding = Http.get(system).newServerAt("127.0.0.1", 0)
        .bindSync(request -> {
          connections.incrementAndGet();
          Flow<Message, Message, ?> answers = Flow.<Message>create()
              .mapAsync(1, message -> message.asBinaryMessage().toStrict(10_000, materializer))
              .map(binary -> Protocol.decode(binary.getStrictData()))
              .map(frame -> {
                if (frame instanceof Protocol.Produce produce) {
                  if (produceRequests.incrementAndGet() <= refusals) {
                    refused.add(produce);
                    return new Protocol.ProduceAck(produce.correlationId(), error.code(), -1L, "partition moving");
                  }
                  produced.add(produce);
                  return new Protocol.ProduceAck(produce.correlationId(), (short) 0, produced.size() - 1L, "");
                } else if (frame instanceof Protocol.Metadata metadata) {
                  return new Protocol.MetadataResult(metadata.correlationId(), (short) 0, 1, "");
                }
                Protocol.InitProducerId init = (Protocol.InitProducerId) frame;
                return new Protocol.ProducerIdResult(init.correlationId(), (short) 0, 7L, (short) 0);
              })
              .map(answer -> (Message) BinaryMessage.create(Protocol.encode(answer)));
          return WebSocket.handleWebSocketRequestWith(request, answers);
        })
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return "ws://127.0.0.1:" + binding.localAddress().getPort();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static ProducerRecord record(String value) {
    return ProducerRecord.of("t", value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void when_aBatchIsRefusedWithARetriableError_then_itIsSentAgainUnchangedOverANewConnection() throws Exception {
    String bootstrap = broker(2, Errors.REQUEST_TIMED_OUT);
    try (Producer producer = Producer.create(ProducerSettings.create(system).withBootstrap(bootstrap), system)) {
      assertEquals(0L, await(producer.send(record("one"))).offset());
      assertEquals(1L, await(producer.send(record("two"))).offset());
    }
    assertEquals(4, produceRequests.get(), "two refusals, then each batch once");
    assertEquals(3, connections.get(), "a new connection after each refusal");
    assertEquals(2, produced.size());
    // The same bytes each time: same producer id and sequence, so a partition that had stored it answers the offset.
    for (Protocol.Produce attempt : refused) {
      assertArrayEquals(produced.get(0).batches().toArray(), attempt.batches().toArray());
    }
  }

  @Test
  void when_theDeliveryTimeoutHasPassed_then_theRecordsFailWithTheBrokersError() throws Exception {
    String bootstrap = broker(Integer.MAX_VALUE, Errors.NOT_LEADER_OR_FOLLOWER);
    ProducerSettings settings = ProducerSettings.create(system).withBootstrap(bootstrap)
        .withDeliveryTimeout(Duration.ofMillis(500));
    try (Producer producer = Producer.create(settings, system)) {
      ExecutionException failed = assertThrows(ExecutionException.class, () -> await(producer.send(record("one"))));
      RunnelException cause = assertInstanceOf(RunnelException.class, failed.getCause());
      assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, cause.error());
    }
    assertEquals(List.of(), produced);
  }

  @Test
  void when_aBatchIsRefusedWithAnErrorThatIsNotRetriable_then_itFailsAtOnce() throws Exception {
    String bootstrap = broker(1, Errors.CORRUPT_MESSAGE);
    try (Producer producer = Producer.create(ProducerSettings.create(system).withBootstrap(bootstrap), system)) {
      ExecutionException failed = assertThrows(ExecutionException.class, () -> await(producer.send(record("one"))));
      assertEquals(Errors.CORRUPT_MESSAGE, assertInstanceOf(RunnelException.class, failed.getCause()).error());
    }
    assertEquals(1, connections.get(), "no reconnection");
  }
}
