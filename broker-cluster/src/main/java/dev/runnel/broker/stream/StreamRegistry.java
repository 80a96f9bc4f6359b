package dev.runnel.broker.stream;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The live native-protocol subscriptions of a node and what each holds ({@link SubscriptionStats}), reachable
 * from the actor system: {@code StreamRegistry.get(system).subscriptions()}. Thread-safe.
 */
public final class StreamRegistry implements Extension {

  private static final ExtensionId<StreamRegistry> ID = new ExtensionId<>() {
    @Override
    public StreamRegistry createExtension(ActorSystem<?> system) {
      return new StreamRegistry();
    }
  };

  private final Map<String, SubscriptionStats> live = new ConcurrentHashMap<>();

  private StreamRegistry() {}

  public static StreamRegistry get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The subscriptions open now. */
  public List<SubscriptionStats> subscriptions() {
    return List.copyOf(live.values());
  }

  void add(SubscriptionStats stats) {
    live.put(key(stats), stats);
  }

  void remove(SubscriptionStats stats) {
    live.remove(key(stats), stats);
  }

  private static String key(SubscriptionStats stats) {
    return stats.connectionId() + "/" + stats.subscriptionId();
  }
}
