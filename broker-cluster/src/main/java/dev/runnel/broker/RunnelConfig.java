package dev.runnel.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

/**
 * Loads a node's configuration. Layers, highest first: the given overrides (command line), system properties,
 * the application's configuration ({@code application.conf} or {@code -Dconfig.file}), Runnel's choices for
 * Pekko's settings ({@code runnel-pekko.conf}), and the merged {@code reference.conf} files.
 */
public final class RunnelConfig {

  private RunnelConfig() {}

  public static Config load(Map<String, ?> overrides) {
    return load(overrides, ConfigFactory.defaultApplication());
  }

  public static Config load(Map<String, ?> overrides, Config application) {
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(application)
        .withFallback(ConfigFactory.parseResources(RunnelConfig.class.getClassLoader(), "runnel-pekko.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
