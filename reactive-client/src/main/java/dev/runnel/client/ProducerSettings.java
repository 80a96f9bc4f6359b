package dev.runnel.client;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.pekko.actor.ClassicActorSystemProvider;

/**
 * How a {@link Producer} connects and batches, read from {@code runnel.client} (see the module's
 * {@code reference.conf}), with {@code with...} overrides. Immutable.
 */
public record ProducerSettings(String bootstrap, Duration minBackoff, Duration maxBackoff,
    Duration requestTimeout, int batchSize, Duration linger, Acks acks, String compression, int maxInFlight,
    int maxOutstandingRecords, boolean idempotence, Duration deliveryTimeout) {

  public ProducerSettings {
    bootstrap = Endpoints.streamUri(bootstrap);
    Endpoints.checkBackoff(minBackoff, maxBackoff);
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("runnel.client.request-timeout must be positive");
    }
    Endpoints.checkPositive(batchSize, "runnel.client.producer.batch-size must be positive");
    Endpoints.checkPositive(maxInFlight, "runnel.client.producer.max-in-flight must be positive");
    Endpoints.checkPositive(maxOutstandingRecords,
        "runnel.client.producer.max-outstanding-records must be positive");
    if (linger.isNegative()) {
      throw new IllegalArgumentException("runnel.client.producer.linger must not be negative");
    }
    compressionOf(compression);
    if (deliveryTimeout.isNegative()) {
      throw new IllegalArgumentException("runnel.client.producer.delivery-timeout must not be negative");
    }
  }

  /** The broker URIs of {@code bootstrap}, in the order the client tries them when it connects again. */
  public List<String> bootstrapUris() {
    return Endpoints.streamUris(bootstrap);
  }

  public static ProducerSettings create(ClassicActorSystemProvider system) {
    return create(system.classicSystem().settings().config());
  }

  /** Reads {@code runnel.client} from a configuration that includes the module's reference.conf. */
  public static ProducerSettings create(Config config) {
    Config client = config.getConfig("runnel.client");
    Config producer = client.getConfig("producer");
    return new ProducerSettings(client.getString("bootstrap"), client.getDuration("reconnect.min-backoff"),
        client.getDuration("reconnect.max-backoff"),
        client.getDuration("request-timeout"), (int) producer.getBytes("batch-size").longValue(),
        producer.getDuration("linger"), Acks.parse(producer.getString("acks")), producer.getString("compression"),
        producer.getInt("max-in-flight"), producer.getInt("max-outstanding-records"),
        producer.getBoolean("idempotence"), producer.getDuration("delivery-timeout"));
  }

  public ProducerSettings withBootstrap(String bootstrap) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  public ProducerSettings withRequestTimeout(Duration requestTimeout) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  public ProducerSettings withBatchSize(int batchSize) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  public ProducerSettings withLinger(Duration linger) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  public ProducerSettings withAcks(Acks acks) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  public ProducerSettings withCompression(String compression) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  public ProducerSettings withMaxInFlight(int maxInFlight) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  /** With idempotence on, a retried batch the broker already stored is not stored again (see {@link Producer}). */
  public ProducerSettings withIdempotence(boolean idempotence) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  /** How long a batch refused with a retriable error (a partition moving between nodes) is sent again. */
  public ProducerSettings withDeliveryTimeout(Duration deliveryTimeout) {
    return new ProducerSettings(bootstrap, minBackoff, maxBackoff, requestTimeout, batchSize, linger, acks,
        compression, maxInFlight, maxOutstandingRecords, idempotence, deliveryTimeout);
  }

  /** The kafka-clients codec named by {@link #compression()}. */
  public Compression codec() {
    return compressionOf(compression);
  }

  private static Compression compressionOf(String name) {
    try {
      return Compression.of(name.trim().toLowerCase(java.util.Locale.ROOT)).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "runnel.client.producer.compression must be none, gzip, snappy, lz4 or zstd, not " + name, e);
    }
  }
}
