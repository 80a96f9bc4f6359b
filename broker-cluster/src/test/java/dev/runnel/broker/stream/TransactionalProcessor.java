package dev.runnel.broker.stream;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.ProducerMessage;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.Transactional;
import dev.runnel.client.TransactionalSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The consume-transform-produce pipeline of {@link TransactionalCrashTest}, run in a JVM of its own so the test can
 * SIGKILL it: {@link Transactional#source} of group {@code group} on {@code input}, each record upper-cased to
 * {@code output} under the same key, through {@link Transactional#flow} with the fixed transactional id
 * {@code group-processor}, so each restart fences the killed instance and aborts its open transaction. The source is
 * throttled so that a run spans many transactions and a kill can land anywhere in one.
 *
 * <p>{@code java TransactionalProcessor BOOTSTRAP INPUT OUTPUT GROUP RECORDS_PER_SECOND}; runs until killed, and
 * exits 1 if the pipeline fails.
 */
public final class TransactionalProcessor {

  private TransactionalProcessor() {}

  public static void main(String[] args) {
    RunnelNode.ensureCommonPoolThreads();
    String bootstrap = args[0];
    String input = args[1];
    String output = args[2];
    String group = args[3];
    int perSecond = Integer.parseInt(args[4]);
    ActorSystem system = ActorSystem.create("processor", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    ConsumerSettings consumer = ConsumerSettings.create(system).withBootstrap(bootstrap);
    consumer = consumer.withGroup(new ConsumerSettings.Group(Duration.ofSeconds(6), Duration.ofMillis(200),
        Duration.ofSeconds(20), "range", ConsumerSettings.AutoOffsetReset.EARLIEST, Duration.ofMinutes(1)));
    ProducerSettings producer = ProducerSettings.create(system).withBootstrap(bootstrap);
    Transactional.source(consumer, group, Set.of(input))
        .throttle(perSecond, Duration.ofSeconds(1))
        .map(message -> ProducerMessage.single(ProducerRecord.of(output, message.record().key(),
                new String(message.record().value(), StandardCharsets.UTF_8).toUpperCase()
                    .getBytes(StandardCharsets.UTF_8)),
            message.partitionOffset()))
        .via(Transactional.flow(producer, TransactionalSettings.create(system), group + "-processor"))
        .runWith(Sink.ignore(), system)
        .whenComplete((done, failure) -> {
          System.out.println("processor ended: " + (failure == null ? "completed" : failure));
          System.exit(failure == null ? 0 : 1);
        });
    System.out.println("processor started");
  }
}
