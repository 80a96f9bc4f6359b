package dev.runnel.client;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * How a consumer source connects and how far the broker may send ahead of it, read from {@code runnel.client}
 * (see the module's {@code reference.conf}), with {@code with...} overrides. Immutable.
 */
public record ConsumerSettings(String bootstrap, Duration minBackoff, Duration maxBackoff,
    Duration requestTimeout, int maxFrameBytes, int creditWindow, Duration maxWait, Group group) {

  /** Kafka's auto.offset.reset: where a group member starts a partition the group has no committed offset for. */
  public enum AutoOffsetReset {
    /** The partition's first record. */
    EARLIEST,
    /** The partition's end: records produced from then on. */
    LATEST,
    /** No start: the source fails with {@code NoOffsetForPartitionException}. */
    NONE
  }

  /**
   * How a group member of {@code committableSource} behaves ({@code runnel.client.consumer.group}).
   *
   * @param strategy the coordinator's assignor: range, roundrobin, sticky or cooperative-sticky
   * @param retryTimeout how long the member retries retriable errors (its coordinator moving, its connection lost)
   *     before the source fails; 0 fails at the first
   */
  public record Group(Duration sessionTimeout, Duration heartbeatInterval, Duration rebalanceTimeout,
      String strategy, AutoOffsetReset autoOffsetReset, Duration retryTimeout) {

    public Group {
      if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()
          || heartbeatInterval.compareTo(sessionTimeout) >= 0) {
        throw new IllegalArgumentException(
            "runnel.client.consumer.group.heartbeat-interval must be positive and below session-timeout");
      }
      if (rebalanceTimeout.isNegative() || rebalanceTimeout.isZero()
          || sessionTimeout.toMillis() > Integer.MAX_VALUE || rebalanceTimeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "runnel.client.consumer.group session-timeout and rebalance-timeout must be between 1 ms and 24 days");
      }
      if (retryTimeout.isNegative()) {
        throw new IllegalArgumentException("runnel.client.consumer.group.retry-timeout must not be negative");
      }
      if (!java.util.Set.of("range", "roundrobin", "sticky", "cooperative-sticky").contains(strategy)) {
        throw new IllegalArgumentException("runnel.client.consumer.group.strategy must be range, roundrobin, sticky"
            + " or cooperative-sticky, not " + strategy);
      }
    }

    static Group create(Config group) {
      String reset = group.getString("auto-offset-reset");
      AutoOffsetReset autoOffsetReset;
      try {
        autoOffsetReset = AutoOffsetReset.valueOf(reset.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "runnel.client.consumer.group.auto-offset-reset must be earliest, latest or none, not " + reset);
      }
      return new Group(group.getDuration("session-timeout"), group.getDuration("heartbeat-interval"),
          group.getDuration("rebalance-timeout"), group.getString("strategy"), autoOffsetReset,
          group.getDuration("retry-timeout"));
    }
  }

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

  /** The broker URIs of {@code bootstrap}, in the order the client tries them when it connects again. */
  public List<String> bootstrapUris() {
    return Endpoints.streamUris(bootstrap);
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
        consumer.getInt("credit-window"), consumer.getDuration("max-wait"),
        Group.create(consumer.getConfig("group")));
  }

  public ConsumerSettings withBootstrap(String bootstrap) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait, group);
  }

  public ConsumerSettings withMaxFrameBytes(int maxFrameBytes) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait, group);
  }

  public ConsumerSettings withCreditWindow(int creditWindow) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait, group);
  }

  public ConsumerSettings withRequestTimeout(Duration requestTimeout) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait, group);
  }

  public ConsumerSettings withAutoOffsetReset(AutoOffsetReset autoOffsetReset) {
    return withGroup(new Group(group.sessionTimeout(), group.heartbeatInterval(), group.rebalanceTimeout(),
        group.strategy(), autoOffsetReset, group.retryTimeout()));
  }

  public ConsumerSettings withGroup(Group group) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait, group);
  }

  public ConsumerSettings withMaxWait(Duration maxWait) {
    return new ConsumerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, maxFrameBytes, creditWindow,
        maxWait, group);
  }
}
