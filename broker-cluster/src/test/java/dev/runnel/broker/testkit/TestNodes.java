package dev.runnel.broker.testkit;

import com.typesafe.config.Config;
import dev.runnel.broker.NodeEnvironment;
import dev.runnel.broker.RunnelConfig;
import dev.runnel.broker.RunnelNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** In-process Runnel nodes for tests: real journal on disk, real servers on free loopback ports. */
public final class TestNodes {

  private TestNodes() {}

  /** A fresh data directory under the build's target directory. */
  public static Path newDataDir() {
    try {
      Path base = Path.of("target", "test-data");
      Files.createDirectories(base);
      return Files.createTempDirectory(base, "node-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The configuration of a test node keeping its data in {@code dataDir}, with {@code extra} on top. */
  public static Config config(Path dataDir, Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("runnel.data-dir", dataDir.toString());
    settings.put("runnel.broker.http.port", 0);
    settings.put("runnel.broker.kafka.port", 0);
    settings.put("runnel.broker.schema-registry.port", 0);
    settings.put("pekko.remote.artery.canonical.port", 0);
    settings.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    settings.put("pekko.loglevel", "WARNING");
    settings.putAll(extra);
    return RunnelConfig.load(settings);
  }

  public static RunnelNode start(Path dataDir) {
    return start(dataDir, Map.of());
  }

  public static RunnelNode start(Path dataDir, Map<String, Object> extra) {
    return RunnelNode.start(config(dataDir, extra), Duration.ofSeconds(60));
  }

  /** A node with a clock and cleaner executor the test controls. */
  public static RunnelNode start(Path dataDir, Map<String, Object> extra, NodeEnvironment environment) {
    return RunnelNode.start(config(dataDir, extra), Duration.ofSeconds(60), environment);
  }
}
