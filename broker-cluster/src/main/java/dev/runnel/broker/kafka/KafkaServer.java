package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.cluster.ClusterView;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.memory.ReadBudget;
import dev.runnel.broker.memory.ReadLeases;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.transaction.Transactions;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.stream.scaladsl.TcpAttributes;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka wire protocol server: a Pekko Streams TCP server whose connections are flows of 4-byte length-prefixed
 * frames. Each connection handles up to {@code max-in-flight-requests} pipelined requests at once and answers them
 * in the order they came ({@code mapAsync} keeps order). A frame over {@code max-request-bytes}, or one that does
 * not parse, is the last one read: the requests before it are answered, then the connection closes; other
 * connections never notice. The read memory of a connection's answers (Fetch) is bounded per connection and, with
 * every other reader's, per node ({@code runnel.broker.fetch}); it is released as each answer is written out.
 */
public final class KafkaServer {

  private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

  private KafkaServer() {}

  /** Binds the server; the stage completes with the bound address once it listens. */
  public static CompletionStage<InetSocketAddress> start(
      ActorSystem<?> system, Broker broker, Groups groups, Transactions transactions, KafkaSettings settings) {
    AtomicLong connections = new AtomicLong();
    AtomicInteger open = RunnelMetrics.get(system).connections("kafka");
    GroupSettings groupSettings = GroupSettings.create(system.settings().config().getConfig("runnel.broker.group"));
    String host = broker.settings().host();
    FetchSessions fetchSessions = new FetchSessions(settings);
    return Tcp.get(system).bind(host, broker.settings().kafkaPort())
        .toMat(Sink.foreach(connection -> {
          String name = "kafka connection " + connections.incrementAndGet() + " from " + connection.remoteAddress();
          ReadLeases leases = new ReadLeases(List.of(
              new ReadBudget(name + " connection-max-bytes-in-flight", broker.readMemory().connectionMaxBytesInFlight()),
              broker.readBudget()));
          open.incrementAndGet();
          // A bounded write buffer: the TCP stage asks for more only while it holds less than that, which is when
          // ReplyWriter releases the memory of the responses before (short by the buffer and one chunk at most).
          connection.flow().addAttributes(TcpAttributes.tcpWriteBufferSize(settings.socketWriteBuffer()))
              .join(connectionFlow(apis(system, broker, groups, transactions, settings, groupSettings, fetchSessions,
                  connection.localAddress()),
                  settings, leases, name, open))
              .run(system);
        }), Keep.left())
        .run(system)
        .thenApply(binding -> {
          CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "kafka-unbind",
              () -> binding.unbind().thenApply(done -> Done.getInstance()));
          log.info("Kafka protocol server listening on {}", binding.localAddress());
          return binding.localAddress();
        });
  }

  /** The handlers of one connection: the Produce handler keeps that connection's request order. */
  private static KafkaApis apis(ActorSystem<?> system, Broker broker, Groups groups, Transactions transactions,
      KafkaSettings settings, GroupSettings groupSettings, FetchSessions fetchSessions, InetSocketAddress local) {
    int port = settings.advertisedPort() != 0 ? settings.advertisedPort() : local.getPort();
    KafkaNode node = new KafkaNode(settings.nodeId(), broker.settings().advertisedHost(), port,
        KafkaNode.clusterId(system.name()));
    MetadataHandler metadata = new MetadataHandler(broker, node);
    OffsetsHandler offsets = new OffsetsHandler(broker);
    TopicAdminHandler topics = new TopicAdminHandler(broker);
    ConfigsHandler configs = new ConfigsHandler(
        broker, BrokerConfigs.of(broker.settings(), settings, groupSettings, transactions.settings(), node));
    Map<ApiKeys, RequestHandler> handlers = new EnumMap<>(ApiKeys.class);
    handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
    handlers.put(ApiKeys.METADATA, metadata::metadata);
    handlers.put(ApiKeys.DESCRIBE_CLUSTER, metadata::describeCluster);
    handlers.put(ApiKeys.PRODUCE, new ProduceHandler(broker));
    handlers.put(ApiKeys.FETCH, new FetchHandler(broker, fetchSessions));
    handlers.put(ApiKeys.LIST_OFFSETS, offsets::listOffsets);
    handlers.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, offsets::offsetForLeaderEpoch);
    TransactionHandler transaction = new TransactionHandler(transactions);
    handlers.put(ApiKeys.INIT_PRODUCER_ID, new ProducerIdHandler(broker, transaction));
    handlers.put(ApiKeys.ADD_PARTITIONS_TO_TXN, transaction::addPartitionsToTxn);
    handlers.put(ApiKeys.ADD_OFFSETS_TO_TXN, transaction::addOffsetsToTxn);
    handlers.put(ApiKeys.END_TXN, transaction::endTxn);
    handlers.put(ApiKeys.TXN_OFFSET_COMMIT, transaction::txnOffsetCommit);
    handlers.put(ApiKeys.DESCRIBE_TRANSACTIONS, transaction::describeTransactions);
    handlers.put(ApiKeys.LIST_TRANSACTIONS, transaction::listTransactions);
    handlers.put(ApiKeys.CREATE_TOPICS, topics::createTopics);
    handlers.put(ApiKeys.DELETE_TOPICS, topics::deleteTopics);
    handlers.put(ApiKeys.CREATE_PARTITIONS, topics::createPartitions);
    handlers.put(ApiKeys.DESCRIBE_CONFIGS, configs::describeConfigs);
    handlers.put(ApiKeys.ALTER_CONFIGS, configs::alterConfigs);
    handlers.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, configs::incrementalAlterConfigs);
    handlers.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(broker));
    handlers.put(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(broker));
    GroupMembershipHandler membership = new GroupMembershipHandler(groups, node, ClusterView.get(system));
    GroupOffsetsHandler groupOffsets = new GroupOffsetsHandler(broker, groups);
    GroupAdminHandler groupAdmin = new GroupAdminHandler(groups);
    handlers.put(ApiKeys.FIND_COORDINATOR, membership::findCoordinator);
    handlers.put(ApiKeys.JOIN_GROUP, membership::joinGroup);
    handlers.put(ApiKeys.SYNC_GROUP, membership::syncGroup);
    handlers.put(ApiKeys.HEARTBEAT, membership::heartbeat);
    handlers.put(ApiKeys.LEAVE_GROUP, membership::leaveGroup);
    handlers.put(ApiKeys.OFFSET_COMMIT, groupOffsets::offsetCommit);
    handlers.put(ApiKeys.OFFSET_FETCH, groupOffsets::offsetFetch);
    handlers.put(ApiKeys.OFFSET_DELETE, groupOffsets::offsetDelete);
    handlers.put(ApiKeys.LIST_GROUPS, groupAdmin::listGroups);
    handlers.put(ApiKeys.DESCRIBE_GROUPS, groupAdmin::describeGroups);
    handlers.put(ApiKeys.DELETE_GROUPS, groupAdmin::deleteGroups);
    return new KafkaApis(handlers, RunnelMetrics.get(system));
  }

  /**
   * One connection: frames are parsed as they arrive, and the first bad one (too large, unparseable, an unknown
   * API) is the last thing read; the requests before it run and are answered in order, then the connection closes
   * without an answer for the bad one, as Kafka's does.
   */
  private static Flow<ByteString, ByteString, ?> connectionFlow(
      KafkaApis apis, KafkaSettings settings, ReadLeases leases, String name, AtomicInteger open) {
    return Flow.<ByteString>create()
        .statefulMap(() -> new FrameDecoder(settings.maxRequestBytes()),
            (decoder, chunk) -> Pair.create(decoder, decoder.decode(chunk)),
            decoder -> Optional.empty())
        .mapConcat(frames -> frames)
        .map(frame -> frame instanceof FrameDecoder.Frame.Request request
            ? apis.parse(request.bytes(), name)
            : new KafkaApis.Call.Refuse(((FrameDecoder.Frame.TooLarge) frame).reason()))
        .takeWhile(call -> !(call instanceof KafkaApis.Call.Refuse), true)
        .mapAsync(settings.maxInFlightRequests(), call -> apis.run(call, name, leases.open()))
        .via(new ReplyWriter(name))
        .watchTermination((mat, done) -> {
          done.whenComplete((ok, failure) -> {
            leases.closeAll();
            open.decrementAndGet();
            if (failure != null) {
              log.warn("{}: closing the connection: {}", name, failure.getMessage());
            } else {
              log.debug("{}: closed", name);
            }
          });
          return mat;
        });
  }
}
