package dev.runnel.broker.transaction;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the transaction coordinators, from {@code runnel.broker.transaction} (each key is documented in
 * {@code reference.conf}).
 *
 * @param maxTimeout Kafka's {@code transaction.max.timeout.ms}: the longest {@code transaction.timeout.ms} a
 *     producer may ask for (INVALID_TRANSACTION_TIMEOUT beyond)
 * @param timeoutCheckInterval Kafka's {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}: how
 *     often a coordinator looks for its open transaction's timeout
 * @param snapshotEvery take a snapshot of a coordinator every this many transitions
 * @param haltAfterDecision a test hook, never for production: the JVM halts right after a decision is stored,
 *     before any of its markers is sent
 */
public record TransactionSettings(
    Duration maxTimeout, Duration timeoutCheckInterval, int snapshotEvery, boolean haltAfterDecision) {

  public TransactionSettings {
    if (maxTimeout.isNegative() || maxTimeout.isZero() || maxTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "runnel.broker.transaction.max-timeout must be positive and at most 2147483647 ms");
    }
    if (timeoutCheckInterval.isNegative() || timeoutCheckInterval.isZero()) {
      throw new IllegalArgumentException("runnel.broker.transaction.timeout-check-interval must be positive");
    }
    if (snapshotEvery <= 0) {
      throw new IllegalArgumentException("runnel.broker.transaction.snapshot-every must be positive");
    }
  }

  public static TransactionSettings create(Config transaction) {
    return new TransactionSettings(
        transaction.getDuration("max-timeout"),
        transaction.getDuration("timeout-check-interval"),
        transaction.getInt("snapshot-every"),
        transaction.getBoolean("test-halt-after-decision"));
  }
}
