package dev.runnel.broker;

import static org.apache.pekko.http.javadsl.server.Directives.concat;

import dev.runnel.broker.cluster.BrokerEndpoint;
import dev.runnel.broker.cluster.ClusterFormation;
import dev.runnel.broker.cluster.ClusterMonitor;
import dev.runnel.broker.cluster.ClusterView;
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
import dev.runnel.broker.schema.SchemaRegistry;
import dev.runnel.broker.schema.SchemaRegistryApi;
import dev.runnel.broker.schema.SchemaRegistrySettings;
import dev.runnel.broker.topic.TopicDirectory;
import dev.runnel.broker.topic.TopicMetadata;
import dev.runnel.broker.topic.TopicRegistry;
import dev.runnel.broker.topic.Topics;
import dev.runnel.broker.partition.TailCacheBudget;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.transaction.TransactionRecovery;
import dev.runnel.broker.transaction.TransactionSettings;
import dev.runnel.broker.transaction.Transactions;
import dev.runnel.persistence.JournalProfile;
import dev.runnel.persistence.PartitionJournal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * The root behavior of a node: joins the cluster as {@link ClusterFormation} says (seed nodes, alone, or Cluster
 * Bootstrap, with Pekko Management's endpoint when configured; refusing other members on a local journal profile:
 * embedded, h2), starts the cluster monitor, sharding of partitions, group and transaction coordinators placed by
 * {@link PlacementStrategy}, the topic registry singleton, the producer id allocator singleton, the transaction
 * recovery singleton, the topic directory, the servers and the schema registry (its writer singleton, its view and
 * its own port), publishes this
 * node's endpoint and reports the bound addresses. It wires and does nothing else.
 */
final class Guardian {

  /** Where a started node listens. */
  record Bound(Broker broker, Groups groups, Transactions transactions, InetSocketAddress http,
      InetSocketAddress kafka, Optional<InetSocketAddress> management, Optional<InetSocketAddress> schemaRegistry) {}

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
      JournalProfile profile = JournalProfile.of(system.settings().config());
      boolean embedded = profile.isLocal();
      ClusterFormation formation = ClusterFormation.create(system.settings().config());
      formation.refusal(embedded, profile.configName()).ifPresent(why -> {
        throw new IllegalStateException(why);
      });
      if (formation.formsAlone()) {
        cluster.manager().tell(Join.create(self));
      }
      // Started before the rest, so that other nodes' bootstrap finds this contact point as early as possible; its
      // readiness check answers 503 until this node is Up and serving.
      CompletionStage<Optional<InetSocketAddress>> management = formation.management()
          ? PekkoManagement.get(Adapter.toClassic(system)).start()
              .thenApply(uri -> Optional.of(InetSocketAddress.createUnresolved(uri.host().address(), uri.port())))
          : CompletableFuture.completedFuture(Optional.empty());
      if (formation.join() == ClusterFormation.Join.BOOTSTRAP) {
        ClusterBootstrap.get(Adapter.toClassic(system)).start();
      }
      ActorRef<ClusterMonitor.Command> monitor = context.spawn(ClusterMonitor.create(embedded), "cluster-monitor");

      Topics topics = new Topics(settings.topicDefaults());
      ActorRef<TopicDirectory.Command> directory =
          context.spawn(TopicDirectory.create(topics, Duration.ofSeconds(3)), "topic-directory");

      ClusterSharding sharding = ClusterSharding.get(system);
      ClusterView clusterView = ClusterView.get(system);
      org.apache.pekko.actor.ActorRef declined = Adapter.toClassic(system).deadLetters();
      PartitionJournal journal = new PartitionJournal(system, settings.partition().journalTimeout());
      TailCacheBudget tailCaches = new TailCacheBudget(settings.partition().tailCacheTotalBytes());
      Executor cleaner = environment.cleanerExecutor()
          .orElseGet(() -> system.dispatchers().lookup(DispatcherSelector.blocking()));
      sharding.init(Entity.of(Partition.ENTITY_KEY, entity -> Partition.create(
              PartitionId.fromEntityId(entity.getEntityId()), settings.partition(), topics::config, journal, cleaner,
              tailCaches, entity.getShard()))
          .withMessageExtractor(new PartitionShards())
          // Partitions passivate themselves (idle-timeout): see Partition's class comment for why not sharding.
          .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
          .withStopMessage(Partition.stopMessage())
          .withAllocationStrategy(new PlacementStrategy(PartitionShards.ENTITY_TYPE, self, clusterView, declined)));

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
      Broker broker = new Broker(system, sharding, registry, producerIds, topics, settings, validation, tailCaches);
      Groups groups = Groups.init(system, broker,
          GroupSettings.create(system.settings().config().getConfig("runnel.broker.group")),
          new PlacementStrategy(GroupCoordinator.ENTITY_KEY.name(), self, clusterView, declined));
      Transactions transactions = Transactions.init(system, broker, groups, messenger,
          TransactionSettings.create(system.settings().config().getConfig("runnel.broker.transaction")),
          new PlacementStrategy(TransactionCoordinator.ENTITY_KEY.name(), self, clusterView, declined));
      ClusterSingleton.get(system).init(
          SingletonActor.of(TransactionRecovery.create(transactions), "transaction-recovery"));
      KafkaSettings kafkaSettings = KafkaSettings.create(system.settings().config());
      Http.get(system)
          .newServerAt(settings.host(), settings.httpPort())
          .bind(concat(new StreamApi(broker, groups, transactions).route(), new HttpApi(broker, groups).route()))
          .thenApply(binding -> {
            binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
            return binding.localAddress();
          })
          .thenCombine(KafkaServer.start(system, broker, groups, transactions, kafkaSettings),
              (http, kafka) -> new Bound(broker, groups, transactions, http, kafka, Optional.empty(), Optional.empty()))
          .thenCombine(management, (servers, endpoint) -> new Bound(servers.broker(), servers.groups(),
              servers.transactions(), servers.http(), servers.kafka(), endpoint, Optional.empty()))
          .thenCombine(schemaRegistry(system, broker, settings), (servers, schemas) -> new Bound(servers.broker(),
              servers.groups(), servers.transactions(), servers.http(), servers.kafka(), servers.management(),
              schemas))
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

  /** The schema registry's server on its own port, when enabled; its reads and writes go through {@code broker}. */
  private static CompletionStage<Optional<InetSocketAddress>> schemaRegistry(
      ActorSystem<Void> system, Broker broker, BrokerSettings settings) {
    SchemaRegistrySettings registrySettings = SchemaRegistrySettings.create(system.settings().config());
    if (!registrySettings.enabled()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    SchemaRegistry registry = SchemaRegistry.start(system, broker, registrySettings);
    return Http.get(system)
        .newServerAt(settings.host(), registrySettings.port())
        .bind(new SchemaRegistryApi(registry).route())
        .thenApply(binding -> {
          binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
          return Optional.of(binding.localAddress());
        });
  }
}
