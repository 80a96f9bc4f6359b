package dev.runnel.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.client.internal.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
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
 * The producer's side of InitProducerId against a scripted broker (a WebSocket server in this JVM that answers
 * each frame as the test says), for the answers a real node rarely gives: no id yet, and no such message.
 */
@Timeout(60)
class ProducerIdTest {

  private ActorSystem system;
  private ServerBinding binding;
  private final List<Protocol.Produce> produced = new CopyOnWriteArrayList<>();
  private final AtomicInteger producerIdRequests = new AtomicInteger();

  @BeforeEach
  void start() {
    system = ActorSystem.create("producer-id-test");
  }

  @AfterEach
  void stop() throws Exception {
    if (binding != null) {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Binds a broker that answers each decoded frame with {@code script}, and Produce with offsets from 0. */
  private String broker(Function<Protocol.Message, Protocol.Message> script) throws Exception {
    Materializer materializer = Materializer.matFromSystem(system);
    Flow<Message, Message, ?> answers = Flow.<Message>create()
        .mapAsync(1, message -> message.asBinaryMessage().toStrict(10_000, materializer))
        .map(binary -> Protocol.decode(binary.getStrictData()))
        .map(request -> {
          if (request instanceof Protocol.Produce produce) {
            produced.add(produce);
            return new Protocol.ProduceAck(produce.correlationId(), (short) 0, produced.size() - 1L, "");
          } else if (request instanceof Protocol.Metadata metadata) {
            return new Protocol.MetadataResult(metadata.correlationId(), (short) 0, 1, "");
          }
          return script.apply(request);
        })
        .map(answer -> (Message) BinaryMessage.create(Protocol.encode(answer)));
    binding = Http.get(system).newServerAt("127.0.0.1", 0)
        .bindSync(request -> WebSocket.handleWebSocketRequestWith(request, answers))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return "ws://127.0.0.1:" + binding.localAddress().getPort();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void when_theBrokerHasNoProducerIdYet_then_theProducerAsksAgainAndSealsItsBatchesWithTheId() throws Exception {
    String bootstrap = broker(request -> {
      Protocol.InitProducerId init = (Protocol.InitProducerId) request;
      return producerIdRequests.incrementAndGet() == 1
          ? new Protocol.ProducerIdResult(init.correlationId(), Errors.COORDINATOR_NOT_AVAILABLE.code(), -1, (short) -1)
          : new Protocol.ProducerIdResult(init.correlationId(), (short) 0, 7L, (short) 0);
    });
    try (Producer producer = Producer.create(ProducerSettings.create(system).withBootstrap(bootstrap), system)) {
      assertEquals(0L, await(producer.send(ProducerRecord.of("t", "one".getBytes(StandardCharsets.UTF_8))))
          .offset());
      assertEquals(1L, await(producer.send(ProducerRecord.of("t", "two".getBytes(StandardCharsets.UTF_8))))
          .offset());
    }
    assertEquals(2, producerIdRequests.get(), "asked again after COORDINATOR_NOT_AVAILABLE");
    for (int i = 0; i < 2; i++) {
      RecordBatch batch = MemoryRecords.readableRecords(produced.get(i).batches().asByteBuffer()).batches()
          .iterator().next();
      assertEquals(7L, batch.producerId());
      assertEquals(0, batch.producerEpoch());
      assertEquals(i, batch.baseSequence(), "sequence of batch " + i);
    }
  }

  @Test
  void when_theBrokerDoesNotKnowInitProducerId_then_recordsFailNamingTheSettingAndNothingIsSent()
      throws Exception {
    String bootstrap = broker(request -> new Protocol.Error(Protocol.NO_REF, Errors.INVALID_REQUEST.code(),
        "malformed frame: unknown message type 11"));
    try (Producer producer = Producer.create(ProducerSettings.create(system).withBootstrap(bootstrap), system)) {
      ExecutionException failed = assertThrows(ExecutionException.class,
          () -> await(producer.send(ProducerRecord.of("t", "one".getBytes(StandardCharsets.UTF_8)))));
      RunnelException cause = assertInstanceOf(RunnelException.class, failed.getCause());
      assertTrue(cause.getMessage().contains("runnel.client.producer.idempotence = off"), cause.getMessage());
    }
    assertEquals(List.of(), produced, "no batch without a producer id");

    try (Producer plain = Producer.create(ProducerSettings.create(system).withBootstrap(bootstrap)
        .withIdempotence(false), system)) {
      assertEquals(0L, await(plain.send(ProducerRecord.of("t", "one".getBytes(StandardCharsets.UTF_8)))).offset());
    }
    assertEquals(RecordBatch.NO_PRODUCER_ID, MemoryRecords.readableRecords(produced.get(0).batches().asByteBuffer())
        .batches().iterator().next().producerId());
  }
}
