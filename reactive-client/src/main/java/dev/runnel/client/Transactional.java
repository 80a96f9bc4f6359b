package dev.runnel.client;

import dev.runnel.client.internal.GroupOffset;
import dev.runnel.client.internal.TransactionalProducer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly-once consume-transform-produce over the native protocol, in the style of Pekko Connectors Kafka's
 * {@code Transactional}: {@link #source} reads a consumer group's partitions read_committed and emits each record
 * with its offset; {@link #flow} produces the records made from them in Kafka transactions, each of which also
 * commits the consumed offsets for the group, so the output and the group's position move together or not at all.
 *
 * <p>After a crash the application starts the same pipeline again with the same transactional id: the new flow's
 * producer fences the old one (its appends and commits are refused from then on) and aborts the transaction it
 * left open, and the new source starts each partition at the offset the last committed transaction committed (it
 * waits while a transaction that holds that partition's offset is still completing, KIP-447). A read_committed
 * consumer of the output then sees each input record's output once. Run one transactional id per input
 * partition set that a single pipeline owns, e.g. one per application instance with static assignment, or a fixed
 * one with a single instance.
 */
public final class Transactional {

  private static final Logger log = LoggerFactory.getLogger(Transactional.class);

  private Transactional() {}

  /**
   * The records of the partitions group {@code groupId} assigns this source among {@code topics}, read_committed,
   * each with the offset to commit in the transaction of what it produced ({@link #flow}); a partition starts at
   * the group's committed offset, else by {@code consumer.group.auto-offset-reset}. A partition revoked in a
   * rebalance stops at once; the transaction that holds its records then fails on the group's generation check,
   * which fails the flow, and the partition's next owner reads them again: run the pipeline under a restart
   * (Pekko's {@code RestartSource}) when the group may rebalance.
   */
  public static Source<TransactionalMessage, Control> source(ConsumerSettings settings, String groupId,
      Set<String> topics) {
    return Consumer.committableSource(settings, groupId, topics).map(Transactional::transactional);
  }

  private static TransactionalMessage transactional(CommittableMessage message) {
    GroupOffset offset = (GroupOffset) message.committableOffset();
    return new TransactionalMessage(message.record(), new PartitionOffset(
        new ConsumerGroupMetadata(offset.groupId(), offset.memberId(), offset.generationId()), offset.topic(),
        offset.partition(), offset.offset()));
  }

  /** {@link #flow(ProducerSettings, TransactionalSettings, String)} with {@code runnel.client.transactional}. */
  public static Flow<ProducerMessage, ProducerMessage, NotUsed> flow(ProducerSettings settings,
      String transactionalId) {
    return Flow.<ProducerMessage, ProducerMessage, NotUsed>fromMaterializer((materializer, attributes) ->
            flow(settings, TransactionalSettings.create(materializer.system()), transactionalId))
        .mapMaterializedValue(future -> NotUsed.getInstance());
  }

  /**
   * Produces the messages' records and commits their offsets in transactions of transactional id
   * {@code transactionalId}: messages are gathered for {@code eos-commit-interval} (or until
   * {@code max-messages-per-transaction}) and committed as one transaction, while the next one gathers; each
   * message is emitted once its transaction has committed, in the order they came. Each materialization has its
   * own producer and connection; at its start it takes the transactional id, fencing any earlier producer of it.
   * The flow fails when a transaction fails (fenced by a newer producer of the id, offsets refused after a
   * rebalance, a record refused, the connection lost); the open transaction is then aborted, and so it is when the
   * stream is cancelled or fails elsewhere.
   */
  public static Flow<ProducerMessage, ProducerMessage, NotUsed> flow(ProducerSettings settings,
      TransactionalSettings transactional, String transactionalId) {
    return Flow.<ProducerMessage, ProducerMessage, NotUsed>fromMaterializer((materializer, attributes) -> {
      TransactionalProducer producer =
          new TransactionalProducer(settings, transactional, transactionalId, materializer.system());
      CompletableFuture<Done> initialized = producer.init().toCompletableFuture();
      // Merged in so that a refused init fails the stream even before a message comes.
      Source<ProducerMessage, NotUsed> initFailure =
          Source.completionStage(initialized).mapConcat(done -> List.<ProducerMessage>of());
      return Flow.<ProducerMessage>create()
          .merge(initFailure)
          .groupedWithin(transactional.maxMessagesPerTransaction(), transactional.eosCommitInterval())
          .mapAsync(1, messages -> initialized.thenCompose(done -> producer.commit(messages))
              .thenApply(done -> messages))
          .mapConcat(messages -> messages)
          .watchTermination((notUsed, done) -> {
            done.whenComplete((ok, failure) -> finish(producer, transactionalId, failure));
            return NotUsed.getInstance();
          });
    }).mapMaterializedValue(future -> NotUsed.getInstance());
  }

  private static void finish(TransactionalProducer producer, String transactionalId, Throwable failure) {
    CompletionStage<Done> ended = failure == null ? CompletableFuture.completedFuture(Done.getInstance())
        : producer.abort();
    ended.whenComplete((ok, abortFailure) -> {
      if (abortFailure != null) {
        // A fenced producer cannot abort; its successor's init aborts for it.
        log.info("transactional id {}: the open transaction was not aborted: {}", transactionalId,
            abortFailure.getMessage());
      }
      producer.close();
    });
  }

  /** {@link #flow} to a sink that completes when the stream has ended and its last transaction has committed. */
  public static Sink<ProducerMessage, CompletionStage<Done>> sink(ProducerSettings settings, String transactionalId) {
    return flow(settings, transactionalId).toMat(Sink.ignore(), Keep.right());
  }

  /** {@link #flow(ProducerSettings, TransactionalSettings, String)} to a sink, as {@link #sink}. */
  public static Sink<ProducerMessage, CompletionStage<Done>> sink(ProducerSettings settings,
      TransactionalSettings transactional, String transactionalId) {
    return flow(settings, transactional, transactionalId).toMat(Sink.ignore(), Keep.right());
  }
}
