package dev.runnel.client;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * How a consumer source connects and how far the broker may send ahead of it, read from {@code runnel.client}
 * (see the module's {@code reference.conf}), with {@code with...} overrides. Immutable.
 */
public record ConsumerSettings(String bootstrap, Duration minBackoff, Duration maxBackoff,
    Duration requestTimeout, int maxFrameBytes, int creditWindow, Duration maxWait) {

  public ConsumerSettings {
    bootstrap = Endpoints.streamUri(bootstrap);
    Endpoints.checkBackoff(minBackoff, maxBackoff);
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("runnel.client.request-timeout must be positive");
    }
    Endpoints.checkPositive(maxFrameBytes, "runnel.client.consumer.max-frame-bytes must be positive");
    Endpoints.checkPositive(creditWindow, "runnel.client.consumer.credit-window must be positive");
    if (maxWait.isNegative() || maxWait.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("runnel.client.consumer.max-wait must be between 0 and 24 days");
    }
  }

  public static ConsumerSettings create(ClassicActorSystemProvider system) {
    return create(system.classicSystem().settings().config());
  }

  /** Reads {@code runnel.client} from a configuration that includes the module's reference.conf. */
  public static ConsumerSettings create(Config config) {
    Config client = config.getConfig("runnel.client");
    Config consumer = client.getConfig("consumer");
    return new ConsumerSettings(client.getString("bootstrap"), client.getDuration("reconnect.min-backoff"),
        client.getDuration("reconnect.max-backoff"),
        client.getDuration("request-timeout"), (int) consumer.getBytes("max-frame-bytes").longValue(),
        consumer.getInt("credit-window"), consumer.getDuration("max-wait"));
  }

  public ConsumerSettings withBootstrap(String bootstrap) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait);
  }

  public ConsumerSettings withMaxFrameBytes(int maxFrameBytes) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait);
  }

  public ConsumerSettings withCreditWindow(int creditWindow) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait);
  }

  public ConsumerSettings withRequestTimeout(Duration requestTimeout) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait);
  }

  public ConsumerSettings withMaxWait(Duration maxWait) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait);
  }
}
