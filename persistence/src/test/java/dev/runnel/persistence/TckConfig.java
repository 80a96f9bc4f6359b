package dev.runnel.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/** Configuration of the TCK suites: a profile in a fresh data directory per suite and run. */
final class TckConfig {

  private TckConfig() {}

  /** The h2 profile in a fresh data directory per suite and run. */
  static Config h2(String name) {
    Path dir = Path.of("target", "tck", name + "-" + System.nanoTime()).toAbsolutePath();
    Config config = ConfigFactory.parseMap(Map.of(
            "runnel.data-dir", dir.toString(),
            "runnel.persistence.profile", "h2"))
        .withFallback(ConfigFactory.load());
    return JournalProfile.apply(config);
  }

  /** The embedded profile (the segment journal) in a fresh data directory per suite and run. */
  static Config segment(String name) {
    Path dir = Path.of("target", "tck", "segment-" + name + "-" + System.nanoTime()).toAbsolutePath();
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

  /** Empties the test server's journal: the TCK reuses persistence ids, and the server outlives a test run. */
  static void truncatePostgres(Config config) {
    try (java.sql.Connection connection = java.sql.DriverManager.getConnection(
            JournalProfile.POSTGRES.jdbcUrl(config),
            config.getString("runnel.persistence.postgres.user"),
            config.getString("runnel.persistence.postgres.password"));
        java.sql.Statement statement = connection.createStatement()) {
      statement.execute("TRUNCATE public.event_tag, public.event_journal, public.snapshot");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("cannot empty the PostgreSQL test journal: " + e.getMessage(), e);
    }
  }
}
