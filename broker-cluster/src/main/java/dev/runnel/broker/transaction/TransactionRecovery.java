package dev.runnel.broker.transaction;

import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Starts every transaction coordinator when the cluster starts and whenever a member leaves it (its coordinators
 * move), so that a coordinator that had persisted a decision and not all its markers finishes them, whether or
 * not its producer comes back. Coordinators start only when a message reaches them (entities are not
 * remembered); one with nothing to finish is passivated again once idle. Runs as a cluster singleton.
 */
public final class TransactionRecovery {

  /** A sweep is due; never leaves the singleton's node. */
  private enum Sweep implements NoSerializationVerificationNeeded {
    INSTANCE
  }

  private TransactionRecovery() {}

  public static Behavior<Object> create(Transactions transactions) {
    return Behaviors.setup(context -> {
      Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
          context.getSelf().narrow(), ClusterEvent.MemberRemoved.class));
      context.getSelf().tell(Sweep.INSTANCE);
      return Behaviors.receiveMessage(message -> {
        if (message == Sweep.INSTANCE || message instanceof ClusterEvent.MemberRemoved) {
          transactions.wakeAll().whenComplete((count, failure) -> {
            if (failure != null) {
              context.getSystem().log().warn("Transaction recovery: could not list the transactional ids: {}",
                  failure.toString());
            } else if (count > 0) {
              context.getSystem().log().info("Transaction recovery: woke {} transaction coordinators", count);
            }
          });
        }
        return Behaviors.same();
      });
    });
  }
}
