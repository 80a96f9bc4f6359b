package dev.runnel.broker.schema;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code runnel.broker.schema-registry}: where the registry listens, the topic it keeps schemas in, the level that
 * applies when none is configured, and how long its requests and tail reads wait. Keys are documented in the
 * module's {@code reference.conf}.
 */
public record SchemaRegistrySettings(boolean enabled, int port, String topic, CompatibilityLevel defaultCompatibility,
    Duration requestTimeout, Duration tailWait, Duration retryInterval) {

  public static final String PATH = "runnel.broker.schema-registry";

  public SchemaRegistrySettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(PATH + ".port must be 0..65535, not " + port);
    }
    if (topic.isEmpty()) {
      throw new IllegalArgumentException(PATH + ".topic must not be empty");
    }
    checkPositive(requestTimeout, "request-timeout");
    checkPositive(tailWait, "tail-wait");
    checkPositive(retryInterval, "retry-interval");
  }

  public static SchemaRegistrySettings create(Config config) {
    Config registry = config.getConfig(PATH);
    return new SchemaRegistrySettings(
        registry.getBoolean("enabled"),
        registry.getInt("port"),
        registry.getString("topic"),
        CompatibilityLevel.valueOf(registry.getString("default-compatibility")),
        registry.getDuration("request-timeout"),
        registry.getDuration("tail-wait"),
        registry.getDuration("retry-interval"));
  }

  private static void checkPositive(Duration duration, String key) {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(PATH + "." + key + " must be positive, not " + duration);
    }
  }
}
