package dev.runnel.broker.topic;

import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Replicates topic metadata to every node through Pekko Distributed Data: the registry's changes are written to
 * one {@code LWWMap} from topic name to metadata, and every node's directory keeps its {@link Topics} view equal to
 * that map.
 */
public final class TopicDirectory {

  static final Key<LWWMap<String, TopicMetadata>> KEY = LWWMapKey.create("runnel-topics");

  /**
   * Local only: the registry's listener and the replicator adapters on this node talk to this node's directory;
   * what crosses nodes is the replicated map, whose values have {@link TopicSerializer}.
   */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Publishes a topic's metadata (created or changed). */
  public record Publish(TopicMetadata topic) implements Command {}

  /** Removes a deleted topic. */
  public record Unpublish(TopicMetadata topic) implements Command {}

  /** Publishes the registry's whole state after it recovered (replicated data lives only in memory). */
  public record PublishAll(Map<String, TopicMetadata> topics) implements Command {}

  private record Replicated(Replicator.SubscribeResponse<LWWMap<String, TopicMetadata>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, TopicMetadata>> response) implements Command {}

  private TopicDirectory() {}

  public static Behavior<Command> create(Topics topics, Duration writeTimeout) {
    return Behaviors.setup(context -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, TopicMetadata>> replicator) -> {
          SelfUniqueAddress self = DistributedData.get(context.getSystem()).selfUniqueAddress();
          replicator.subscribe(KEY, Replicated::new);
          Replicator.WriteConsistency consistency = new Replicator.WriteMajority(writeTimeout);
          return Behaviors.receive(Command.class)
              .onMessage(Publish.class, publish -> {
                replicator.askUpdate(
                    replyTo -> new Replicator.Update<>(KEY, LWWMap.create(), consistency, replyTo,
                        map -> map.put(self, publish.topic().name(), publish.topic())),
                    Written::new);
                return Behaviors.same();
              })
              .onMessage(Unpublish.class, unpublish -> {
                replicator.askUpdate(
                    replyTo -> new Replicator.Update<>(KEY, LWWMap.create(), consistency, replyTo,
                        map -> map.remove(self, unpublish.topic().name())),
                    Written::new);
                return Behaviors.same();
              })
              .onMessage(PublishAll.class, all -> {
                replicator.askUpdate(
                    replyTo -> new Replicator.Update<>(KEY, LWWMap.create(), consistency, replyTo, map -> {
                      LWWMap<String, TopicMetadata> next = map;
                      for (String name : map.getEntries().keySet()) {
                        if (!all.topics().containsKey(name)) {
                          next = next.remove(self, name);
                        }
                      }
                      for (TopicMetadata topic : all.topics().values()) {
                        next = next.put(self, topic.name(), topic);
                      }
                      return next;
                    }),
                    Written::new);
                return Behaviors.same();
              })
              .onMessage(Replicated.class, replicated -> {
                if (replicated.response() instanceof Replicator.Changed<LWWMap<String, TopicMetadata>> changed) {
                  topics.replaceAll(changed.get(KEY).getEntries());
                }
                return Behaviors.same();
              })
              .onMessage(Written.class, written -> {
                if (!(written.response() instanceof Replicator.UpdateSuccess)) {
                  // Not a loss: the update is applied locally and spreads by gossip; only the majority ack is late.
                  context.getLog().debug("Topic metadata write not yet on a majority: {}", written.response());
                }
                return Behaviors.same();
              })
              .build();
        }));
  }
}
