package dev.runnel.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Starts a node in the foreground: {@code runnel [--data-dir DIR] [--http-port N] [--kafka-port N]
 * [--schema-registry-port N] [--config FILE]}.
 * Command-line options override environment variables, which override HOCON ({@code -Dconfig.file} or
 * {@code --config}), which overrides {@code reference.conf}. SIGTERM stops the node cleanly.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    // SLF4J initializes on its first use; if threads of the starting node race to that first use, SLF4J queues
    // their calls and prints a replay warning. Initializing it here, before any thread starts, avoids both.
    LoggerFactory.getILoggerFactory();
    RunnelNode.ensureCommonPoolThreads();
    Map<String, Object> overrides = new HashMap<>();
    // In the launcher a stopped node (SIGTERM, or downed by the cluster) ends the process.
    overrides.put("pekko.coordinated-shutdown.exit-jvm", "on");
    Config application = ConfigFactory.defaultApplication();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--help") || option.equals("-h")) {
        System.out.println("usage: runnel [--data-dir DIR] [--http-port N] [--kafka-port N] [--schema-registry-port N]"
            + " [--host HOST]"
            + " [--advertised-host HOST] [--config FILE]");
        return;
      }
      if (i + 1 >= args.length) {
        fail("option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--data-dir" -> overrides.put("runnel.data-dir", value);
        case "--http-port" -> overrides.put("runnel.broker.http.port", port(option, value));
        case "--kafka-port" -> overrides.put("runnel.broker.kafka.port", port(option, value));
        case "--schema-registry-port" -> overrides.put("runnel.broker.schema-registry.port", port(option, value));
        case "--host" -> overrides.put("runnel.broker.host", value);
        case "--advertised-host" -> overrides.put("runnel.broker.advertised-host", value);
        case "--config" -> {
          java.io.File file = new java.io.File(value);
          if (!file.isFile()) {
            fail("--config " + value + ": no such file");
          }
          application = ConfigFactory.parseFile(file);
        }
        default -> fail("unknown option " + option + " (try --help)");
      }
    }
    Config config;
    try {
      config = RunnelConfig.load(overrides, application);
    } catch (com.typesafe.config.ConfigException e) {
      fail("Invalid configuration: " + e.getMessage());
      return;
    }
    RunnelNode node;
    try {
      node = RunnelNode.start(config, config.getDuration("runnel.start-timeout"));
    } catch (RuntimeException e) {
      fail("Runnel did not start: " + e.getMessage());
      return;
    }
    BrokerSettings settings = node.broker().settings();
    System.out.printf("Runnel ready: http=%s:%d kafka=%s:%d data-dir=%s%s%s%n",
        node.httpAddress().getHostString(), node.httpPort(),
        node.kafkaAddress().getHostString(), node.kafkaPort(), settings.dataDir(),
        node.managementAddress().map(a -> " management=" + a.getHostString() + ":" + a.getPort()).orElse(""),
        node.schemaRegistryAddress().map(a -> " schema-registry=" + a.getHostString() + ":" + a.getPort())
            .orElse(""));
    System.out.flush();
  }

  private static int port(String option, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      fail(option + " needs a port number, not " + value);
      return -1;
    }
  }

  private static void fail(String message) {
    System.err.println(message);
    System.exit(2);
  }
}
