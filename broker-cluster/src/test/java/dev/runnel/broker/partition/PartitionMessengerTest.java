package dev.runnel.broker.partition;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.Config;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.HeldJournalWrite;
import dev.runnel.broker.testkit.LogProbe;
import dev.runnel.broker.testkit.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * A deleted topic's partitions are deleted even when one of them cannot answer for longer than the partition
 * request timeout: the messenger's first Delete goes unacknowledged, it retries, and once the partition can answer
 * again the retry is acknowledged and the log is gone. And a transaction's markers for a partition deleted
 * meanwhile are dropped, not retried for ever (the transaction would stay in Prepare*).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionMessengerTest {

  private Config config;
  private RunnelNode node;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @BeforeEach
  void start() {
    Path dataDir = TestNodes.newDataDir();
    Map<String, Object> extra = Map.of(
        "runnel.broker.partition.request-timeout", "1 s",
        // The write is held by a row lock of the H2 journal (HeldJournalWrite): this test runs on the h2 profile.
        "runnel.persistence.profile", "h2",
        "runnel.persistence.h2.url-options", ";WRITE_DELAY=0;LOCK_TIMEOUT=100000");
    config = TestNodes.config(dataDir, extra);
    node = TestNodes.start(dataDir, extra);
    log.start();
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(log);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(log);
    node.close();
  }

  private Errors fetchError(PartitionId partition) throws Exception {
    return LogProbe.await(node.broker().fetch(partition, 0, 1024, Duration.ZERO)).error();
  }

  private boolean retried(PartitionId partition) {
    return log.list.stream().anyMatch(event -> event.getFormattedMessage()
        .startsWith("Partition " + partition + " has not acknowledged DELETE"));
  }

  @Test
  void when_aPartitionMissesItsDelete_then_theDeleteIsRetriedUntilAcknowledged() throws Exception {
    LogProbe.await(node.broker().createTopic("doomed", 2, Map.of()));
    PartitionId busy = node.broker().partition("doomed", 0);
    PartitionId idle = node.broker().partition("doomed", 1);
    for (PartitionId partition : List.of(busy, idle)) {
      LogProbe.await(node.broker().append(partition, LogProbe.batch(1L, List.of("k"), List.of("v")), (short) 1));
    }
    CompletionStage<AppendResult> stuck;
    try (HeldJournalWrite hold = HeldJournalWrite.hold(config, busy, 2)) {
      stuck = node.broker().append(busy, LogProbe.batch(2L, List.of("k"), List.of("v")), (short) 1);
      LogProbe.await(node.broker().deleteTopic("doomed"));
      await().atMost(Duration.ofSeconds(20)).until(() -> fetchError(idle) == Errors.UNKNOWN_TOPIC_OR_PARTITION);
      await().atMost(Duration.ofSeconds(8)).until(() -> retried(busy));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> fetchError(busy) == Errors.UNKNOWN_TOPIC_OR_PARTITION);
    assertEquals(Errors.REQUEST_TIMED_OUT, stuck.toCompletableFuture().get(30, TimeUnit.SECONDS).error(),
        "the append held past the partition timeout");
  }

  @Test
  void when_aTransactionsPartitionWasDeleted_then_itsMarkerIsDroppedAndTheOthersAreWritten() throws Exception {
    LogProbe.await(node.broker().createTopic("kept", 1, Map.of()));
    LogProbe.await(node.broker().createTopic("gone", 1, Map.of()));
    PartitionId kept = node.broker().partition("kept", 0);
    PartitionId gone = node.broker().partition("gone", 0);
    LogProbe.await(node.broker().deleteTopic("gone"));
    await().atMost(Duration.ofSeconds(20)).until(() -> fetchError(gone) == Errors.UNKNOWN_TOPIC_OR_PARTITION);

    ActorRef<PartitionMessenger.Command> messenger = node.system().systemActorOf(
        PartitionMessenger.create(ClusterSharding.get(node.system()), Duration.ofSeconds(5)), "test-messenger",
        Props.empty());
    TestProbe<Done> written = TestProbe.create(node.system());
    messenger.tell(new PartitionMessenger.WriteTxnMarkers(List.of(kept, gone), 77, (short) 0, 0, false,
        written.ref()));
    // Done only once every partition acknowledged: the kept one wrote its marker, the deleted one's was dropped.
    written.expectMessage(Duration.ofSeconds(20), Done.getInstance());
    assertEquals(List.of(), log.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(line -> line.startsWith("Partition " + gone + " has not acknowledged")).toList(),
        "the deleted partition's marker is not retried");
  }
}
