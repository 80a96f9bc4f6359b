package dev.runnel.samples.cqrs;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The sample's settings, read once from {@code runnel.samples.cqrs}; every key is documented in reference.conf.
 *
 * @param databaseUrl the JDBC URL of the read models' database: the configured one, else H2 files under dataDir
 */
public record CqrsSettings(String httpHost, int httpPort, String topic, int partitions, String databaseUrl,
    String databaseUser, String databasePassword, int poolSize, int maxAttempts, int saveOffsetAfterEnvelopes,
    Duration saveOffsetAfter, Duration restartMinBackoff, Duration restartMaxBackoff, Duration brokerRequestTimeout) {

  public CqrsSettings {
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("runnel.samples.cqrs.http.port must be 0 to 65535, not " + httpPort);
    }
    if (topic.isBlank()) {
      throw new IllegalArgumentException("runnel.samples.cqrs.topic must name a topic");
    }
    checkPositive(partitions, "runnel.samples.cqrs.partitions");
    if (!databaseUrl.startsWith("jdbc:h2:") && !databaseUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("runnel.samples.cqrs.database.url must be a jdbc:h2: or jdbc:postgresql:"
          + " URL, not " + databaseUrl);
    }
    checkPositive(poolSize, "runnel.samples.cqrs.database.pool-size");
    checkPositive(maxAttempts, "runnel.samples.cqrs.commands.max-attempts");
    checkPositive(saveOffsetAfterEnvelopes, "runnel.samples.cqrs.projections.save-offset-after-envelopes");
    checkPositive(saveOffsetAfter, "runnel.samples.cqrs.projections.save-offset-after");
    checkPositive(restartMinBackoff, "runnel.samples.cqrs.projections.restart-min-backoff");
    checkPositive(restartMaxBackoff, "runnel.samples.cqrs.projections.restart-max-backoff");
    checkPositive(brokerRequestTimeout, "runnel.samples.cqrs.broker-request-timeout");
  }

  public static CqrsSettings create(Config config) {
    Config sample = config.getConfig("runnel.samples.cqrs");
    Config database = sample.getConfig("database");
    Config projections = sample.getConfig("projections");
    String url = database.getString("url");
    if (url.isEmpty()) {
      Path file = Path.of(sample.getString("data-dir"), "read-models").toAbsolutePath();
      url = "jdbc:h2:file:" + file;
    }
    return new CqrsSettings(sample.getString("http.host"), sample.getInt("http.port"), sample.getString("topic"),
        sample.getInt("partitions"), url, database.getString("user"), database.getString("password"),
        database.getInt("pool-size"), sample.getInt("commands.max-attempts"),
        projections.getInt("save-offset-after-envelopes"), projections.getDuration("save-offset-after"),
        projections.getDuration("restart-min-backoff"), projections.getDuration("restart-max-backoff"),
        sample.getDuration("broker-request-timeout"));
  }

  /** The pekko-projection-jdbc dialect of the database. */
  public String projectionDialect() {
    return isPostgres() ? "postgres-dialect" : "h2-dialect";
  }

  public boolean isPostgres() {
    return databaseUrl.startsWith("jdbc:postgresql:");
  }

  private static void checkPositive(long value, String key) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be positive, not " + value);
    }
  }

  private static void checkPositive(Duration value, String key) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be positive, not " + value);
    }
  }
}
