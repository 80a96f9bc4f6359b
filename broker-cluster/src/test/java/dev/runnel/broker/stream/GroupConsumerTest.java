package dev.runnel.broker.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.group.CommittedOffset;
import dev.runnel.broker.group.GroupDescription;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.testkit.TcpProxy;
import dev.runnel.broker.testkit.TestNodes;
import dev.runnel.client.CommittableMessage;
import dev.runnel.client.Committer;
import dev.runnel.client.CommitterSettings;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import dev.runnel.client.Producer;
import dev.runnel.client.ProducerRecord;
import dev.runnel.client.ProducerSettings;
import dev.runnel.client.internal.Connection;
import dev.runnel.client.internal.Protocol;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Consumer groups of the reactive client over the native protocol, against a real node: the coordinator splits
 * the partitions between {@code committableSource}s, {@code drainAndShutdown} commits everything emitted before
 * the member leaves, and the remaining member continues exactly where the commits end; a partitioned source's
 * sub-sources complete on revocation; wrong group requests get Kafka's errors, a member whose connection
 * closes leaves its group, a member whose connection is cut reconnects, rejoins and reads on, and a member that
 * joined before its topic existed is given the topic's partitions once it is created.
 */
@Timeout(180)
class GroupConsumerTest {

  private static final String TOPIC = "events";
  private static final String GROUP = "billing";
  private RunnelNode node;
  private ActorSystem client;

  @BeforeEach
  void start() {
    node = TestNodes.start(TestNodes.newDataDir(), Map.of(
        "runnel.broker.group.initial-rebalance-delay", "0 s",
        "runnel.broker.group.min-session-timeout", "1 s",
        "runnel.broker.group.tick-interval", "50 ms"));
    client = ActorSystem.create("client", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() throws Exception {
    client.terminate();
    client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node.close();
  }

  private String bootstrap() {
    return "ws://127.0.0.1:" + node.httpPort();
  }

  private ConsumerSettings consumerSettings(ConsumerSettings.AutoOffsetReset reset) {
    ConsumerSettings settings = ConsumerSettings.create(client).withBootstrap(bootstrap());
    return settings.withGroup(new ConsumerSettings.Group(Duration.ofSeconds(6), Duration.ofMillis(200),
        Duration.ofSeconds(20), "cooperative-sticky", reset, Duration.ofMinutes(2)));
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  /** A running member: what it emitted, as (partition, offset), its control and its committer's completion. */
  private record Member(ConcurrentLinkedQueue<long[]> emitted, Control control, CompletionStage<Done> committed) {}

  private Member member(ConsumerSettings settings) {
    return member(settings, 2_000);
  }

  private Member member(ConsumerSettings settings, int perSecond) {
    ConcurrentLinkedQueue<long[]> emitted = new ConcurrentLinkedQueue<>();
    Pair<Control, CompletionStage<Done>> running = Consumer.committableSource(settings, GROUP, Set.of(TOPIC))
        // Slow enough that the member is mid-stream when it is drained.
        .throttle(perSecond, Duration.ofSeconds(1))
        .map(message -> {
          emitted.add(new long[] {message.record().partition(), message.record().offset()});
          return message.committableOffset();
        })
        .toMat(Committer.sink(CommitterSettings.create(client).withMaxBatch(200)
            .withMaxInterval(Duration.ofMillis(100))), Keep.both())
        .run(client);
    return new Member(emitted, running.first(), running.second());
  }

  /** Partitions per member of the group, once it is stable. */
  private List<Integer> assignmentSizes() throws Exception {
    GroupDescription group = await(node.groups().describe(GROUP));
    if (group.state() != GroupState.STABLE) {
      return List.of();
    }
    List<Integer> sizes = new ArrayList<>();
    for (GroupDescription.MemberDescription member : group.members()) {
      byte[] assignment = member.assignment();
      sizes.add(assignment.length == 0 ? 0
          : ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(assignment)).partitions().size());
    }
    sizes.sort(Integer::compare);
    return sizes;
  }

  private Map<Integer, Long> committed() throws Exception {
    Map<Integer, Long> offsets = new HashMap<>();
    for (Map.Entry<TopicPartition, CommittedOffset> entry : await(node.groups().fetchOffsets(GROUP, null))
        .offsets().entrySet()) {
      offsets.put(entry.getKey().partition(), entry.getValue().offset());
    }
    return offsets;
  }

  @Test
  void when_oneOfTwoMembersDrainsAndShutsDown_then_allItEmittedIsCommittedAndTheOtherContinuesWithoutGapOrDuplicate()
      throws Exception {
    await(node.broker().createTopic(TOPIC, 4, Map.of()));
    ConsumerSettings settings = consumerSettings(ConsumerSettings.AutoOffsetReset.EARLIEST);
    Member first = member(settings);
    Member second = member(settings);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> assignmentSizes().equals(List.of(2, 2)));

    int count = 8_000;
    List<ProducerRecord> records = IntStream.range(0, count)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("key-" + i).getBytes(StandardCharsets.UTF_8),
            ("value-" + i).getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
    await(Source.from(records).via(Producer.flow(ProducerSettings.create(client).withBootstrap(bootstrap())))
        .runWith(Sink.ignore(), client));
    Map<Integer, Long> logEnds = new HashMap<>();
    for (int p = 0; p < 4; p++) {
      logEnds.put(p, await(node.broker().status(node.broker().partition(TOPIC, p))).logEndOffset());
    }
    assertEquals(count, logEnds.values().stream().mapToLong(Long::longValue).sum());

    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> first.emitted().size() >= 1_000);
    await(first.control().drainAndShutdown(first.committed()));
    Map<Integer, Long> lastOfFirst = new HashMap<>();
    for (long[] record : first.emitted()) {
      lastOfFirst.merge((int) record[0], record[1], Math::max);
    }
    assertEquals(2, lastOfFirst.size(), "the first member read its two partitions");
    Map<Integer, Long> committedAfterDrain = committed();
    lastOfFirst.forEach((partition, last) -> assertTrue(committedAfterDrain.get(partition) >= last + 1,
        "partition " + partition + ": committed " + committedAfterDrain.get(partition) + ", emitted up to " + last));

    Awaitility.await().atMost(Duration.ofSeconds(90))
        .until(() -> first.emitted().size() + second.emitted().size() >= count);
    Map<Integer, List<Long>> bySecond = new HashMap<>();
    for (long[] record : second.emitted()) {
      bySecond.computeIfAbsent((int) record[0], p -> new ArrayList<>()).add(record[1]);
    }
    lastOfFirst.forEach((partition, last) -> assertEquals(last + 1, bySecond.get(partition).get(0),
        "partition " + partition + " continues right after the drained member's last record"));
    Set<String> distinct = new HashSet<>();
    for (ConcurrentLinkedQueue<long[]> emitted : List.of(first.emitted(), second.emitted())) {
      emitted.forEach(record -> distinct.add(record[0] + "@" + record[1]));
    }
    assertEquals(count, distinct.size(), "every record was processed");
    assertEquals(count, first.emitted().size() + second.emitted().size(), "no record was processed twice");

    await(second.control().drainAndShutdown(second.committed()));
    assertEquals(logEnds, committed(), "the group committed every record");
    assertEquals(GroupState.EMPTY, await(node.groups().describe(GROUP)).state(), "both members left");
  }

  @Test
  void when_theMemberJoinsBeforeItsTopicExists_then_theTopicsPartitionsAreAssignedOnceItIsCreated_and_read()
      throws Exception {
    Member member = member(consumerSettings(ConsumerSettings.AutoOffsetReset.EARLIEST));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> assignmentSizes().equals(List.of(0)));

    await(node.broker().createTopic(TOPIC, 3, Map.of()));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> assignmentSizes().equals(List.of(3)));
    List<ProducerRecord> records = IntStream.range(0, 30)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("key-" + i).getBytes(StandardCharsets.UTF_8),
            ("value-" + i).getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
    await(Source.from(records).via(Producer.flow(ProducerSettings.create(client).withBootstrap(bootstrap())))
        .runWith(Sink.ignore(), client));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> member.emitted().size() == 30);
    await(member.control().drainAndShutdown(member.committed()));
  }

  @Test
  void when_autoOffsetResetIsNoneAndNothingIsCommitted_then_theSourceFailsNamingThePartition() throws Exception {
    await(node.broker().createTopic(TOPIC, 1, Map.of()));
    CompletionStage<Done> done = Consumer.committableSource(consumerSettings(ConsumerSettings.AutoOffsetReset.NONE),
            GROUP, Set.of(TOPIC))
        .map(CommittableMessage::committableOffset)
        .runWith(Sink.ignore(), client);
    ExecutionException failed = assertThrows(ExecutionException.class, () -> await(done));
    assertInstanceOf(NoOffsetForPartitionException.class, failed.getCause());
    assertTrue(failed.getCause().getMessage().contains(TOPIC + "-0"), failed.getCause().getMessage());
  }

  @Test
  void when_aSecondMemberJoins_then_thePartitionedSourceCompletesTheSubSourcesOfTheRevokedPartitionsOnly()
      throws Exception {
    await(node.broker().createTopic(TOPIC, 4, Map.of()));
    int count = 2_000;
    List<ProducerRecord> records = IntStream.range(0, count)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("key-" + i).getBytes(StandardCharsets.UTF_8),
            ("value-" + i).getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
    await(Source.from(records).via(Producer.flow(ProducerSettings.create(client).withBootstrap(bootstrap())))
        .runWith(Sink.ignore(), client));
    ConsumerSettings settings = consumerSettings(ConsumerSettings.AutoOffsetReset.EARLIEST);
    CommitterSettings committer = CommitterSettings.create(client).withMaxInterval(Duration.ofMillis(100));
    ConcurrentLinkedQueue<long[]> emitted = new ConcurrentLinkedQueue<>();
    Map<Integer, CompletableFuture<Done>> subSources = new ConcurrentHashMap<>();
    Pair<Control, CompletionStage<Done>> partitioned = Consumer.partitionedSource(settings, GROUP, Set.of(TOPIC))
        .map(partition -> {
          CompletionStage<Done> done = partition.second()
              .map(message -> {
                emitted.add(new long[] {message.record().partition(), message.record().offset()});
                return message.committableOffset();
              })
              .runWith(Committer.sink(committer), client);
          subSources.put(partition.first().partition(), done.toCompletableFuture());
          return partition.first();
        })
        .toMat(Sink.ignore(), Keep.both())
        .run(client);
    Awaitility.await().atMost(Duration.ofSeconds(60))
        .until(() -> subSources.size() == 4 && assignmentSizes().equals(List.of(4)));
    assertTrue(subSources.values().stream().noneMatch(CompletableFuture::isDone), "all four partitions are read");

    Member second = member(settings);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> assignmentSizes().equals(List.of(2, 2)));
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> subSources.values().stream().filter(CompletableFuture::isDone).count() == 2);
    for (CompletableFuture<Done> subSource : subSources.values()) {
      if (subSource.isDone()) {
        assertEquals(Done.getInstance(), subSource.get(), "a revoked partition's sub-source completes normally");
      }
    }
    assertFalse(partitioned.second().toCompletableFuture().isDone(), "the partitioned source itself goes on");

    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
      Set<String> distinct = new HashSet<>();
      emitted.forEach(record -> distinct.add(record[0] + "@" + record[1]));
      second.emitted().forEach(record -> distinct.add(record[0] + "@" + record[1]));
      return distinct.size() == count;
    });
    await(second.control().drainAndShutdown(second.committed()));
    await(partitioned.first().shutdown());
  }

  @Test
  void when_groupRequestsAreWrong_then_theBrokerAnswersEachWithKafkasErrorAndTheConnectionGoesOn()
      throws Exception {
    await(node.broker().createTopic(TOPIC, 2, Map.of()));
    LinkedBlockingQueue<Protocol.Message> answers = new LinkedBlockingQueue<>();
    Connection connection = Connection.open(client, bootstrap() + "/stream", 16, answers::add, closed -> { });
    try {
      connection.send(new Protocol.JoinGroup(1, GROUP, "", 6_000, 20_000, "fair-share", List.of(TOPIC), List.of(),
          -1));
      Protocol.JoinResult refused = (Protocol.JoinResult) answers.poll(30, TimeUnit.SECONDS);
      assertEquals(1, refused.correlationId());
      assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL.code(), refused.errorCode(), refused.toString());

      connection.send(new Protocol.OffsetCommit(2, GROUP, "stranger", 3,
          List.of(new Protocol.PartitionOffset(TOPIC, 0, 10))));
      Protocol.GroupResult commit = (Protocol.GroupResult) answers.poll(30, TimeUnit.SECONDS);
      assertEquals(2, commit.correlationId());
      assertEquals(Errors.UNKNOWN_MEMBER_ID.code(), commit.errorCode(), commit.toString());

      connection.send(new Protocol.Heartbeat(3, "", "stranger", 3));
      Protocol.GroupResult heartbeat = (Protocol.GroupResult) answers.poll(30, TimeUnit.SECONDS);
      assertEquals(Errors.INVALID_GROUP_ID.code(), heartbeat.errorCode(), heartbeat.toString());

      // A session far longer than the wait below: only the closing connection can remove the member in time.
      connection.send(new Protocol.JoinGroup(4, GROUP, "", 120_000, 20_000, "range", List.of(TOPIC), List.of(),
          -1));
      Protocol.JoinResult joined = (Protocol.JoinResult) answers.poll(30, TimeUnit.SECONDS);
      assertEquals(Errors.NONE.code(), joined.errorCode(), joined.toString());
      assertEquals(List.of(new Protocol.TopicPartition(TOPIC, 0), new Protocol.TopicPartition(TOPIC, 1)),
          joined.assignment().stream().sorted((a, b) -> Integer.compare(a.partition(), b.partition())).toList());
      connection.send(new Protocol.OffsetFetch(5, GROUP, List.of(new Protocol.TopicPartition(TOPIC, 0))));
      Protocol.OffsetFetchResult nothing = (Protocol.OffsetFetchResult) answers.poll(30, TimeUnit.SECONDS);
      assertEquals(List.of(new Protocol.PartitionOffset(TOPIC, 0, -1)), nothing.offsets(), "nothing was committed");
    } finally {
      connection.close();
    }
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
        await(node.groups().describe(GROUP)).members().isEmpty());
  }

  @Test
  void when_aMemberJoinsMidStream_then_partitionsMoveWithoutGapAndRecordsAreReadTwiceOnlyWhereTheyMoved()
      throws Exception {
    await(node.broker().createTopic(TOPIC, 4, Map.of()));
    int count = 8_000;
    List<ProducerRecord> records = IntStream.range(0, count)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("key-" + i).getBytes(StandardCharsets.UTF_8),
            ("value-" + i).getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
    await(Source.from(records).via(Producer.flow(ProducerSettings.create(client).withBootstrap(bootstrap())))
        .runWith(Sink.ignore(), client));
    ConsumerSettings settings = consumerSettings(ConsumerSettings.AutoOffsetReset.EARLIEST);
    Member first = member(settings);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> first.emitted().size() >= 1_000);
    Member second = member(settings);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> assignmentSizes().equals(List.of(2, 2)));
    Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
      Set<String> distinct = new HashSet<>();
      first.emitted().forEach(record -> distinct.add(record[0] + "@" + record[1]));
      second.emitted().forEach(record -> distinct.add(record[0] + "@" + record[1]));
      return distinct.size() == count;
    });

    Map<Integer, Long> lastOfFirst = new HashMap<>();
    first.emitted().forEach(record -> lastOfFirst.merge((int) record[0], record[1], Math::max));
    Map<Integer, Long> firstOfSecond = new HashMap<>();
    second.emitted().forEach(record -> firstOfSecond.merge((int) record[0], record[1], Math::min));
    assertEquals(2, firstOfSecond.size(), "the second member read the two partitions it was given");
    firstOfSecond.forEach((partition, start) -> assertTrue(start <= lastOfFirst.getOrDefault(partition, -1L) + 1,
        "partition " + partition + ": no gap between the old owner's " + lastOfFirst.get(partition)
            + " and the new owner's " + start));
    Set<String> seen = new HashSet<>();
    Set<Integer> repeatedIn = new HashSet<>();
    for (ConcurrentLinkedQueue<long[]> emitted : List.of(first.emitted(), second.emitted())) {
      emitted.forEach(record -> {
        if (!seen.add(record[0] + "@" + record[1])) {
          repeatedIn.add((int) record[0]);
        }
      });
    }
    assertTrue(firstOfSecond.keySet().containsAll(repeatedIn),
        "records are read twice only on partitions that moved: " + repeatedIn);
    await(first.control().drainAndShutdown(first.committed()));
    await(second.control().drainAndShutdown(second.committed()));
  }

  @Test
  void when_downstreamCancelsTheSource_then_theMemberLeavesItsGroupLongBeforeItsSessionTimeout() throws Exception {
    await(node.broker().createTopic(TOPIC, 1, Map.of()));
    List<ProducerRecord> records = IntStream.range(0, 20)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("value-" + i).getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
    await(Source.from(records).via(Producer.flow(ProducerSettings.create(client).withBootstrap(bootstrap())))
        .runWith(Sink.ignore(), client));
    ConsumerSettings settings = consumerSettings(ConsumerSettings.AutoOffsetReset.EARLIEST)
        .withGroup(new ConsumerSettings.Group(Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(20),
            "range", ConsumerSettings.AutoOffsetReset.EARLIEST, Duration.ofMinutes(2)));
    List<CommittableMessage> taken = await(Consumer.committableSource(settings, GROUP, Set.of(TOPIC))
        .take(5)
        .runWith(Sink.seq(), client));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L), taken.stream().map(m -> m.record().offset()).toList());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
        await(node.groups().describe(GROUP)).members().isEmpty());
  }

  @Test
  void when_theMembersConnectionIsCut_then_itReconnectsToTheNextBootstrapBrokerRejoinsAndReadsEverythingInOrder()
      throws Exception {
    await(node.broker().createTopic(TOPIC, 4, Map.of()));
    int count = 4_000;
    List<ProducerRecord> records = IntStream.range(0, count)
        .mapToObj(i -> ProducerRecord.of(TOPIC, ("key-" + i).getBytes(StandardCharsets.UTF_8),
            ("value-" + i).getBytes(StandardCharsets.UTF_8)))
        .collect(Collectors.toList());
    await(Source.from(records).via(Producer.flow(ProducerSettings.create(client).withBootstrap(bootstrap())))
        .runWith(Sink.ignore(), client));
    int deadPort;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = free.getLocalPort();
    }
    try (TcpProxy proxy = new TcpProxy(node.httpPort())) {
      // A broker that is gone first, then the node through the proxy: each new connection tries the next one.
      ConsumerSettings settings = consumerSettings(ConsumerSettings.AutoOffsetReset.EARLIEST)
          .withBootstrap("ws://127.0.0.1:" + deadPort + ",ws://127.0.0.1:" + proxy.port());
      Member member = member(settings, 1_000);
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> member.emitted().size() >= 1_000);
      proxy.cut();
      Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
        Set<String> distinct = new HashSet<>();
        member.emitted().forEach(record -> distinct.add(record[0] + "@" + record[1]));
        return distinct.size() == count;
      });
      assertFalse(member.committed().toCompletableFuture().isDone(), "the stream goes on: " + member.committed());

      // Each partition's records are first emitted in offset order, without gaps: what was read again after the
      // reconnection starts at or before the last offset read before it.
      Map<Integer, Long> nextNew = new HashMap<>();
      int repeated = 0;
      for (long[] record : member.emitted()) {
        long next = nextNew.getOrDefault((int) record[0], 0L);
        if (record[1] == next) {
          nextNew.put((int) record[0], next + 1);
        } else {
          assertTrue(record[1] < next, "partition " + record[0] + ": offset " + record[1] + " before " + next);
          repeated++;
        }
      }
      System.out.println("After the cut the member read " + repeated + " records again");
      await(member.control().drainAndShutdown(member.committed()));
      Map<Integer, Long> logEnds = new HashMap<>();
      for (int p = 0; p < 4; p++) {
        logEnds.put(p, await(node.broker().status(node.broker().partition(TOPIC, p))).logEndOffset());
      }
      assertEquals(logEnds, committed(), "the group committed every record");
    }
  }
}
