package dev.runnel.broker;

import static org.apache.pekko.http.javadsl.server.Directives.concat;

import dev.runnel.broker.cluster.BrokerEndpoint;
import dev.runnel.broker.cluster.ClusterMonitor;
import dev.runnel.broker.cluster.PartitionShards;
import dev.runnel.broker.cluster.PlacementStrategy;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.http.HttpApi;
import dev.runnel.broker.stream.StreamApi;
import dev.runnel.broker.kafka.KafkaServer;
import dev.runnel.broker.kafka.KafkaSettings;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.partition.IdlePartitionSweeper;
import dev.runnel.broker.partition.Partition;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.partition.PartitionMessenger;
import dev.runnel.broker.producer.ProducerIdManager;
import dev.runnel.broker.topic.TopicDirectory;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicRegistry;
import dev.runnel.broker.topic.Topics;
import dev.runnel.persistence.JournalProfile;
import dev.runnel.persistence.PartitionJournal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.http.javadsl.Http;

/**
 * The root behavior of a node: joins the cluster (refusing other members on the embedded profile), starts the
 * cluster monitor, sharding of partitions and group coordinators placed by {@link PlacementStrategy}, the topic
 * registry singleton, the producer id allocator singleton, the topic directory and the servers, publishes this
 * node's endpoint and reports the bound addresses. It wires and does nothing else.
 */
final class Guardian {

  /** Where a started node listens. */
  record Bound(Broker broker, Groups groups, InetSocketAddress http, InetSocketAddress kafka) {}

  private Guardian() {}

  static Behavior<Void> create(CompletableFuture<Bound> bound, NodeEnvironment environment) {
    return Behaviors.setup(context -> {
      try {
        return start(context, bound, environment);
      } catch (RuntimeException e) {
        bound.completeExceptionally(e);
        throw e;
      }
    });
  }

  private static Behavior<Void> start(
      ActorContext<Void> context, CompletableFuture<Bound> bound, NodeEnvironment environment) {
    {
      ActorSystem<Void> system = context.getSystem();
      BrokerSettings settings = BrokerSettings.create(system.settings().config()).withClock(environment.clock());
      Cluster cluster = Cluster.get(system);
      Address self = cluster.selfMember().address();
      boolean embedded = JournalProfile.of(system.settings().config()) == JournalProfile.EMBEDDED;
      if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        // No seed nodes configured: this node forms a one-node cluster by itself.
        cluster.manager().tell(Join.create(self));
      } else if (embedded) {
        throw new IllegalStateException("pekko.cluster.seed-nodes is set, but this node runs the embedded journal"
            + " profile, whose journal is a file of its own that no other node can read: partitions moving to"
            + " another node would lose their data. Run every node of a cluster with"
            + " runnel.persistence.profile = postgres (RUNNEL_JOURNAL_PROFILE=postgres).");
      }
      ActorRef<ClusterMonitor.Command> monitor = context.spawn(ClusterMonitor.create(embedded), "cluster-monitor");

      Topics topics = new Topics(settings.topicDefaults());
      ActorRef<TopicDirectory.Command> directory =
          context.spawn(TopicDirectory.create(topics, Duration.ofSeconds(3)), "topic-directory");

      ClusterSharding sharding = ClusterSharding.get(system);
      PartitionJournal journal = new PartitionJournal(system, settings.partition().journalTimeout());
      Executor cleaner = environment.cleanerExecutor()
          .orElseGet(() -> system.dispatchers().lookup(DispatcherSelector.blocking()));
      sharding.init(Entity.of(Partition.ENTITY_KEY, entity -> Partition.create(
              PartitionId.fromEntityId(entity.getEntityId()), settings.partition(), topics::config, journal, cleaner))
          .withMessageExtractor(new PartitionShards())
          .withAllocationStrategy(new PlacementStrategy(PartitionShards.ENTITY_TYPE, self)));

      ActorRef<PartitionMessenger.Command> messenger = context.spawn(
          PartitionMessenger.create(sharding, settings.partition().requestTimeout()), "partition-messenger");

      TopicRegistry.Listener listener = new TopicRegistry.Listener() {
        @Override
        public void topicChanged(TopicMetadata topic) {
          directory.tell(new TopicDirectory.Publish(topic));
        }

        @Override
        public void topicDeleted(TopicMetadata topic) {
          directory.tell(new TopicDirectory.Unpublish(topic));
          RunnelMetrics.get(system).forgetTopic(topic.name());
          messenger.tell(new PartitionMessenger.Deliver(PartitionMessenger.Kind.DELETE, Broker.partitions(topic)));
        }

        @Override
        public void recovered(Map<String, TopicMetadata> all) {
          directory.tell(new TopicDirectory.PublishAll(all));
        }
      };
      ActorRef<TopicRegistry.Command> registry = ClusterSingleton.get(system).init(
          SingletonActor.of(TopicRegistry.create(settings.maxPartitions(), listener), "topic-registry"));
      ClusterSingleton.get(system).init(SingletonActor.of(
          IdlePartitionSweeper.create(settings.partition().idleSweepInterval(), topics, messenger),
          "idle-partition-sweeper"));

      ActorRef<ProducerIdManager.Command> producerIds = ClusterSingleton.get(system).init(
          SingletonActor.of(ProducerIdManager.create(), ProducerIdManager.SINGLETON_NAME));

      AppendValidation validation = new AppendValidation(
          AppendValidation.Settings.create(system.settings().config()),
          system.dispatchers().lookup(DispatcherSelector.fromConfig(AppendValidation.Settings.DISPATCHER)),
          settings.partition().clock());
      Broker broker = new Broker(system, sharding, registry, producerIds, topics, settings, validation);
      Groups groups = Groups.init(system, broker,
          GroupSettings.create(system.settings().config().getConfig("runnel.broker.group")),
          new PlacementStrategy(GroupCoordinator.ENTITY_KEY.name(), self));
      KafkaSettings kafkaSettings = KafkaSettings.create(system.settings().config());
      Http.get(system)
          .newServerAt(settings.host(), settings.httpPort())
          .bind(concat(new StreamApi(broker, groups).route(), new HttpApi(broker, groups).route()))
          .thenApply(binding -> {
            binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
            return binding.localAddress();
          })
          .thenCombine(KafkaServer.start(system, broker, groups, kafkaSettings),
              (http, kafka) -> new Bound(broker, groups, http, kafka))
          .whenComplete((result, failure) -> {
            if (failure != null) {
              bound.completeExceptionally(failure);
            } else {
              int kafkaPort =
                  kafkaSettings.advertisedPort() != 0 ? kafkaSettings.advertisedPort() : result.kafka().getPort();
              monitor.tell(new ClusterMonitor.Publish(new BrokerEndpoint(kafkaSettings.nodeId(),
                  settings.advertisedHost(), kafkaPort, settings.advertisedHost(), result.http().getPort())));
              bound.complete(result);
            }
          });
      return Behaviors.empty();
    }
  }
}
