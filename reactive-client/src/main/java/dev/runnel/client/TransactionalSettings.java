package dev.runnel.client;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * How {@link Transactional#flow} forms and runs transactions, read from {@code runnel.client.transactional}.
 * Immutable.
 *
 * @param eosCommitInterval how long the flow gathers messages into one transaction before it commits it (Pekko
 *     Connectors Kafka's {@code eos-commit-interval})
 * @param maxMessagesPerTransaction most messages in one transaction; a full one is committed at once
 * @param transactionTimeout Kafka's transaction.timeout.ms: the coordinator aborts a transaction open this long
 * @param retryTimeout how long a transaction request the coordinator answers with a retriable error (moving,
 *     loading, or still completing the previous transaction) is sent again before the flow fails
 */
public record TransactionalSettings(Duration eosCommitInterval, int maxMessagesPerTransaction,
    Duration transactionTimeout, Duration retryTimeout) {

  public TransactionalSettings {
    Endpoints.checkPositive(eosCommitInterval, "runnel.client.transactional.eos-commit-interval must be positive");
    Endpoints.checkPositive(maxMessagesPerTransaction,
        "runnel.client.transactional.max-messages-per-transaction must be positive");
    Endpoints.checkPositive(transactionTimeout, "runnel.client.transactional.transaction-timeout must be positive");
    if (transactionTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("runnel.client.transactional.transaction-timeout must fit in int32 ms");
    }
    Endpoints.checkPositive(retryTimeout, "runnel.client.transactional.retry-timeout must be positive");
  }

  public static TransactionalSettings create(ClassicActorSystemProvider system) {
    return create(system.classicSystem().settings().config());
  }

  /** Reads {@code runnel.client.transactional} from a configuration that includes the module's reference.conf. */
  public static TransactionalSettings create(Config config) {
    Config transactional = config.getConfig("runnel.client.transactional");
    return new TransactionalSettings(transactional.getDuration("eos-commit-interval"),
        transactional.getInt("max-messages-per-transaction"), transactional.getDuration("transaction-timeout"),
        transactional.getDuration("retry-timeout"));
  }

  public TransactionalSettings withEosCommitInterval(Duration eosCommitInterval) {
    return new TransactionalSettings(eosCommitInterval, maxMessagesPerTransaction, transactionTimeout,
        retryTimeout);
  }

  public TransactionalSettings withMaxMessagesPerTransaction(int maxMessagesPerTransaction) {
    return new TransactionalSettings(eosCommitInterval, maxMessagesPerTransaction, transactionTimeout,
        retryTimeout);
  }

  public TransactionalSettings withTransactionTimeout(Duration transactionTimeout) {
    return new TransactionalSettings(eosCommitInterval, maxMessagesPerTransaction, transactionTimeout,
        retryTimeout);
  }

  public TransactionalSettings withRetryTimeout(Duration retryTimeout) {
    return new TransactionalSettings(eosCommitInterval, maxMessagesPerTransaction, transactionTimeout,
        retryTimeout);
  }
}
