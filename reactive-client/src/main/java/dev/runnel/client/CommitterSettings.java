package dev.runnel.client;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * How {@link Committer} batches commits, read from {@code runnel.client.committer}. Immutable.
 *
 * @param maxBatch most offsets in one batch; a full batch is committed at once
 * @param maxInterval longest a batch waits for more offsets before it is committed
 */
public record CommitterSettings(int maxBatch, Duration maxInterval) {

  public CommitterSettings {
    Endpoints.checkPositive(maxBatch, "runnel.client.committer.max-batch must be positive");
    if (maxInterval.isNegative() || maxInterval.isZero()) {
      throw new IllegalArgumentException("runnel.client.committer.max-interval must be positive");
    }
  }

  public static CommitterSettings create(ClassicActorSystemProvider system) {
    return create(system.classicSystem().settings().config());
  }

  /** Reads {@code runnel.client.committer} from a configuration that includes the module's reference.conf. */
  public static CommitterSettings create(Config config) {
    Config committer = config.getConfig("runnel.client.committer");
    return new CommitterSettings(committer.getInt("max-batch"), committer.getDuration("max-interval"));
  }

  public CommitterSettings withMaxBatch(int maxBatch) {
    return new CommitterSettings(maxBatch, maxInterval);
  }

  public CommitterSettings withMaxInterval(Duration maxInterval) {
    return new CommitterSettings(maxBatch, maxInterval);
  }
}
