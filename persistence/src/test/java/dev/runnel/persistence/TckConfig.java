package dev.runnel.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/** Configuration of the TCK suites: the embedded profile in a fresh data directory per suite and run. */
final class TckConfig {

  private TckConfig() {}

  static Config embedded(String name) {
    Path dir = Path.of("target", "tck", name + "-" + System.nanoTime()).toAbsolutePath();
    Config config = ConfigFactory.parseMap(Map.of(
            "runnel.data-dir", dir.toString(),
            "runnel.persistence.profile", "embedded"))
        .withFallback(ConfigFactory.load());
    return JournalProfile.apply(config);
  }

  /** The postgres profile against the server in {@code RUNNEL_TEST_POSTGRES_URL} (user and password runnel). */
  static Config postgres() {
    String url = System.getenv().getOrDefault("RUNNEL_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/runnel");
    Config config = ConfigFactory.parseMap(Map.of(
            "runnel.persistence.profile", "postgres",
            "runnel.persistence.postgres.url", url))
        .withFallback(ConfigFactory.load());
    return JournalProfile.apply(config);
  }
}
