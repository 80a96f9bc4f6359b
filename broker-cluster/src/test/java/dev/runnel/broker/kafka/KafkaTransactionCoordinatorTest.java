package dev.runnel.broker.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transaction coordinator through kafka-clients' own transactional producer and Admin, on the coordinator's
 * side alone: transactions that only commit consumer offsets (sendOffsetsToTransaction), so no partition writes
 * a marker. The offsets become the group's on commit and never on abort; a second producer with the same
 * transactional id fences the first; an open transaction times out; Admin's describe and list transactions (what
 * kafka-transactions.sh calls) report each state.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaTransactionCoordinatorTest {

  private static final TopicPartition INPUT = new TopicPartition("input", 0);

  private RunnelNode node;
  private Admin admin;

  @BeforeEach
  void start() throws Exception {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.transaction.timeout-check-interval", "200 ms",
        "runnel.broker.transaction.max-timeout", "5 minutes"));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    node.broker().createTopic(INPUT.topic(), 1, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    admin.close();
    node.close();
  }

  private String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  private KafkaProducer<String, String> producer(String transactionalId, int timeoutMs) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    return new KafkaProducer<>(config);
  }

  private Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS));
    offsets.values().removeIf(offset -> offset == null);
    return offsets;
  }

  private TransactionDescription describe(String transactionalId) throws Exception {
    return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
        .get(60, TimeUnit.SECONDS);
  }

  @Test
  void when_offsetsAreSentInACommittedTransaction_then_theGroupHasThemOnlyAfterTheCommit() throws Exception {
    try (KafkaProducer<String, String> producer = producer("offsets-commit", 60_000)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(5, "five")),
          new ConsumerGroupMetadata("group-commit"));
      assertEquals(TransactionState.ONGOING, describe("offsets-commit").state(), "the transaction is open");
      assertFalse(committed("group-commit").containsKey(INPUT), "pending offsets are not committed offsets");
      producer.commitTransaction();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> committed("group-commit").containsKey(INPUT));
    OffsetAndMetadata offset = committed("group-commit").get(INPUT);
    assertEquals(5, offset.offset());
    assertEquals("five", offset.metadata());
    await().atMost(Duration.ofSeconds(30)).until(
        () -> describe("offsets-commit").state() == TransactionState.COMPLETE_COMMIT);
  }

  @Test
  void when_theTransactionAborts_then_itsOffsetsAreDropped() throws Exception {
    try (KafkaProducer<String, String> producer = producer("offsets-abort", 60_000)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(7)),
          new ConsumerGroupMetadata("group-abort"));
      producer.abortTransaction();
      await().atMost(Duration.ofSeconds(30)).until(
          () -> describe("offsets-abort").state() == TransactionState.COMPLETE_ABORT);

      // The next transaction of the same producer commits its own offsets, not the aborted ones.
      producer.beginTransaction();
      producer.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(3)),
          new ConsumerGroupMetadata("group-abort"));
      producer.commitTransaction();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> committed("group-abort").containsKey(INPUT));
    assertEquals(3, committed("group-abort").get(INPUT).offset());
  }

  @Test
  void when_aSecondProducerUsesTheSameTransactionalId_then_theFirstIsFencedAndItsOffsetsNeverCommitted()
      throws Exception {
    try (KafkaProducer<String, String> zombie = producer("fenced", 60_000);
        KafkaProducer<String, String> successor = producer("fenced", 60_000)) {
      zombie.initTransactions();
      zombie.beginTransaction();
      zombie.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(100)),
          new ConsumerGroupMetadata("group-fenced"));
      long zombieEpoch = describe("fenced").producerEpoch();

      successor.initTransactions();
      assertTrue(describe("fenced").producerEpoch() > zombieEpoch, "the successor's epoch is newer");
      KafkaException commit = assertThrows(KafkaException.class, zombie::commitTransaction);
      assertTrue(commit instanceof ProducerFencedException
              || commit.getCause() instanceof ProducerFencedException,
          "the zombie is fenced, not " + commit);

      successor.beginTransaction();
      successor.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(1)),
          new ConsumerGroupMetadata("group-fenced"));
      successor.commitTransaction();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> committed("group-fenced").containsKey(INPUT));
    assertEquals(1, committed("group-fenced").get(INPUT).offset(), "the zombie's offset 100 never counts");
  }

  @Test
  void when_aTransactionOutlivesItsTimeout_then_theCoordinatorAbortsItAndFencesItsProducer() throws Exception {
    try (KafkaProducer<String, String> producer = producer("slow", 1_000)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(9)),
          new ConsumerGroupMetadata("group-slow"));
      await().atMost(Duration.ofSeconds(30)).until(
          () -> describe("slow").state() == TransactionState.COMPLETE_ABORT);
      assertThrows(KafkaException.class, producer::commitTransaction, "the timed-out producer cannot commit");
    }
    assertFalse(committed("group-slow").containsKey(INPUT), "the aborted offsets are dropped");
  }

  @Test
  void when_theTimeoutIsAboveTheBrokersMaximum_then_initTransactionsFails() {
    try (KafkaProducer<String, String> producer = producer("too-long", 600_000)) {
      KafkaException failure = assertThrows(KafkaException.class, producer::initTransactions);
      // kafka-clients reports INVALID_TRANSACTION_TIMEOUT as an unexpected error with the code's message.
      assertTrue(failure.getMessage().contains(Errors.INVALID_TRANSACTION_TIMEOUT.message()), failure.toString());
    }
  }

  @Test
  void when_transactionsAreListedAndDescribed_then_eachShowsItsStateAndProducer() throws Exception {
    try (KafkaProducer<String, String> open = producer("listed-open", 60_000);
        KafkaProducer<String, String> idle = producer("listed-idle", 60_000)) {
      open.initTransactions();
      idle.initTransactions();
      open.beginTransaction();
      open.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(1)),
          new ConsumerGroupMetadata("group-listed"));

      Map<String, TransactionListing> listed = new HashMap<>();
      for (TransactionListing listing : admin.listTransactions().all().get(60, TimeUnit.SECONDS)) {
        listed.put(listing.transactionalId(), listing);
      }
      assertEquals(TransactionState.ONGOING, listed.get("listed-open").state());
      assertEquals(TransactionState.EMPTY, listed.get("listed-idle").state());
      TransactionDescription description = describe("listed-open");
      assertEquals(listed.get("listed-open").producerId(), description.producerId());
      assertEquals(60_000, description.transactionTimeoutMs());
      assertTrue(description.transactionStartTimeMs().isPresent(), "an open transaction has a start time");

      ExecutionException unknown = assertThrows(ExecutionException.class, () -> describe("never-used"));
      assertTrue(unknown.getCause().getClass().getSimpleName().contains("TransactionalIdNotFound"),
          unknown.getCause().toString());
      open.abortTransaction();
    }
  }
}
