package dev.runnel.broker.kafka;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the Kafka protocol server, read once from {@code runnel.broker.kafka} (see {@code reference.conf}).
 *
 * @param advertisedPort the port clients are told to connect to; 0 means the port the server is bound to
 * @param nodeId this node's broker id in Metadata responses
 * @param maxRequestBytes Kafka's socket.request.max.bytes: a larger frame closes the connection
 * @param maxInFlightRequests pipelined requests of one connection handled at once (answered in order regardless)
 * @param fetchSessionCacheSlots Kafka's max.incremental.fetch.session.cache.slots: fetch sessions kept per node
 * @param fetchSessionEviction Kafka's min.incremental.fetch.session.eviction.ms: the idle time after which a session
 *     may be evicted for a new one
 * @param socketWriteBuffer bytes the TCP stage of a connection takes ahead of the socket (see {@link ReplyWriter})
 */
public record KafkaSettings(int advertisedPort, int nodeId, int maxRequestBytes, int maxInFlightRequests,
    int fetchSessionCacheSlots, Duration fetchSessionEviction, int socketWriteBuffer) {

  public KafkaSettings {
    if (advertisedPort < 0 || advertisedPort > 65535) {
      throw new IllegalArgumentException("runnel.broker.kafka.advertised-port must be between 0 and 65535");
    }
    if (nodeId < 0) {
      throw new IllegalArgumentException("runnel.broker.kafka.node-id must not be negative");
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException("runnel.broker.kafka.max-request-bytes must be at least 1 KiB");
    }
    if (maxInFlightRequests < 1) {
      throw new IllegalArgumentException("runnel.broker.kafka.max-in-flight-requests must be positive");
    }
    if (fetchSessionCacheSlots < 0) {
      throw new IllegalArgumentException("runnel.broker.kafka.fetch-session-cache-slots must not be negative");
    }
    if (socketWriteBuffer < 1) {
      throw new IllegalArgumentException("runnel.broker.kafka.socket-write-buffer must be at least 1 byte");
    }
    if (fetchSessionEviction.isNegative()) {
      throw new IllegalArgumentException("runnel.broker.kafka.fetch-session-eviction must not be negative");
    }
  }

  public static KafkaSettings create(Config config) {
    Config kafka = config.getConfig("runnel.broker.kafka");
    long maxRequestBytes = kafka.getBytes("max-request-bytes");
    if (maxRequestBytes > Integer.MAX_VALUE - 4) {
      throw new IllegalArgumentException("runnel.broker.kafka.max-request-bytes must be below 2 GiB");
    }
    return new KafkaSettings(
        kafka.getInt("advertised-port"),
        kafka.getInt("node-id"),
        (int) maxRequestBytes,
        kafka.getInt("max-in-flight-requests"),
        kafka.getInt("fetch-session-cache-slots"),
        kafka.getDuration("fetch-session-eviction"),
        (int) Math.min(Integer.MAX_VALUE, kafka.getBytes("socket-write-buffer")));
  }
}
