package dev.runnel.broker.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Ends a call to a coordinator (of a group or of a transactional id) with NOT_COORDINATOR as soon as the
 * coordinator is no longer on the node it was on when the call was made. A coordinator whose node died, or that
 * was handed over, loses the calls it held; without this the caller would wait for its ask timeout and answer
 * COORDINATOR_NOT_AVAILABLE, while a Kafka client told NOT_COORDINATOR looks the coordinator up again at once.
 *
 * <p>Thread-safe.
 */
public final class CoordinatorMoves {

  /** How often a call waiting for its coordinator checks that the coordinator is still where it was. */
  static final Duration CHECK_INTERVAL = Duration.ofMillis(500);

  private CoordinatorMoves() {}

  /**
   * {@code answer}, or a NotCoordinatorException naming {@code what} once {@code host} names another node (or
   * none) than it did at this call. When the host is unknown from the start there is nothing to watch.
   */
  public static <R> CompletionStage<R> watch(ActorSystem<?> system, String what,
      Supplier<Optional<BrokerEndpoint>> host, CompletionStage<R> answer) {
    Optional<BrokerEndpoint> before = host.get();
    if (before.isEmpty()) {
      return answer;
    }
    CompletableFuture<R> result = new CompletableFuture<>();
    Cancellable check = system.scheduler().scheduleAtFixedRate(CHECK_INTERVAL, CHECK_INTERVAL, () -> {
      Optional<BrokerEndpoint> now = host.get();
      if (!now.equals(before)) {
        result.completeExceptionally(Errors.NOT_COORDINATOR.exception("The coordinator of " + what
            + " moved from node " + before.get().nodeId() + now.map(e -> " to node " + e.nodeId()).orElse("")));
      }
    }, system.executionContext());
    answer.whenComplete((value, failure) -> {
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(value);
      }
    });
    result.whenComplete((value, failure) -> check.cancel());
    return result;
  }
}
