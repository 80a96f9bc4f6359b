package dev.runnel.broker.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Pekko Management's readiness check of a Runnel node ({@code pekko.management.health-checks.readiness-checks}):
 * ready once the node is an Up member of its cluster and its Kafka and HTTP servers are bound and published
 * ({@link ClusterView#selfReady()}). A Joining node, one still bootstrapping, or one whose servers are not yet
 * listening is not ready, so Kubernetes sends it no client traffic. Pekko Management creates it with the
 * node's actor system; thread-safe.
 */
public final class NodeReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private final ClusterView view;

  public NodeReadinessCheck(ActorSystem system) {
    this.view = ClusterView.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(view.selfReady());
  }
}
