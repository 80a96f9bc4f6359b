package dev.runnel.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SettingsTest {

  @Test
  void when_referenceConfIsRead_then_everyDefaultIsUsable() {
    ProducerSettings producer = ProducerSettings.create(ConfigFactory.load());
    ConsumerSettings consumer = ConsumerSettings.create(ConfigFactory.load());
    assertEquals("ws://127.0.0.1:8080/stream", producer.bootstrap());
    assertEquals(256 * 1024, producer.batchSize());
    assertEquals(Acks.ALL, producer.acks());
    assertEquals(Duration.ofMillis(5), producer.linger());
    assertTrue(producer.idempotence(), "idempotence is on by default, as in kafka-clients 3.0 and later");
    assertEquals(1024 * 1024, consumer.maxFrameBytes());
    assertEquals(4, consumer.creditWindow());
    assertEquals(Duration.ofMinutes(2), consumer.group().retryTimeout());
  }

  @Test
  void when_transactionalSettingsAreRead_then_theDefaultsAreThoseOfPekkoConnectorsAndKafka() {
    TransactionalSettings transactional = TransactionalSettings.create(ConfigFactory.load());
    assertEquals(Duration.ofMillis(100), transactional.eosCommitInterval(), "Pekko Connectors' eos-commit-interval");
    assertEquals(Duration.ofSeconds(60), transactional.transactionTimeout(), "Kafka's transaction.timeout.ms");
    assertEquals(10_000, transactional.maxMessagesPerTransaction());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> transactional.withEosCommitInterval(Duration.ZERO));
    assertTrue(zero.getMessage().contains("runnel.client.transactional.eos-commit-interval"), zero.getMessage());
  }

  @Test
  void when_bootstrapNamesSeveralBrokers_then_eachGetsTheStreamPathInTheirOrder() {
    ProducerSettings producer = ProducerSettings.create(ConfigFactory.load())
        .withBootstrap("ws://a:8080, ws://b:9000/custom ,ws://c:8081");
    assertEquals("ws://a:8080/stream,ws://b:9000/custom,ws://c:8081/stream", producer.bootstrap());
    assertEquals(List.of("ws://a:8080/stream", "ws://b:9000/custom", "ws://c:8081/stream"),
        producer.bootstrapUris());
    assertEquals(List.of("ws://a:8080/stream"), ConsumerSettings.create(ConfigFactory.load())
        .withBootstrap("ws://a:8080").bootstrapUris());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> ConsumerSettings.create(ConfigFactory.load()).withBootstrap(" , "));
    assertTrue(none.getMessage().contains("names no broker"), none.getMessage());
  }

  @Test
  void when_bootstrapHasNoPath_then_theStreamPathIsAdded() {
    ConsumerSettings consumer = ConsumerSettings.create(ConfigFactory.load()).withBootstrap("ws://broker:9000");
    assertEquals("ws://broker:9000/stream", consumer.bootstrap());
    assertEquals("ws://broker:9000/custom", consumer.withBootstrap("ws://broker:9000/custom").bootstrap());
  }

  @Test
  void when_settingIsInvalid_then_itsKeyIsNamed() {
    ProducerSettings producer = ProducerSettings.create(ConfigFactory.load());
    IllegalArgumentException codec = assertThrows(IllegalArgumentException.class,
        () -> producer.withCompression("brotli"));
    assertTrue(codec.getMessage().contains("runnel.client.producer.compression"), codec.getMessage());
    IllegalArgumentException scheme = assertThrows(IllegalArgumentException.class,
        () -> producer.withBootstrap("http://broker:8080"));
    assertTrue(scheme.getMessage().contains("runnel.client.bootstrap"), scheme.getMessage());
    IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
        () -> ConsumerSettings.create(ConfigFactory.load()).withCreditWindow(0));
    assertTrue(window.getMessage().contains("credit-window"), window.getMessage());
    for (String codecName : new String[] {"none", "gzip", "snappy", "lz4", "zstd"}) {
      assertEquals(codecName, producer.withCompression(codecName).codec().type().name);
    }
  }

  @Test
  void when_groupAndCommitterDefaultsAreRead_then_theyAreKafkasUsualOnes() {
    ConsumerSettings.Group group = ConsumerSettings.create(ConfigFactory.load()).group();
    assertEquals(Duration.ofSeconds(10), group.sessionTimeout());
    assertEquals(Duration.ofSeconds(1), group.heartbeatInterval());
    assertEquals("cooperative-sticky", group.strategy());
    assertEquals(ConsumerSettings.AutoOffsetReset.LATEST, group.autoOffsetReset());
    CommitterSettings committer = CommitterSettings.create(ConfigFactory.load());
    assertEquals(1000, committer.maxBatch());
    assertEquals(Duration.ofSeconds(1), committer.maxInterval());
  }

  @Test
  void when_groupSettingIsInvalid_then_itsKeyIsNamed() {
    IllegalArgumentException reset = assertThrows(IllegalArgumentException.class, () -> ConsumerSettings.create(
        ConfigFactory.parseString("runnel.client.consumer.group.auto-offset-reset = smallest")
            .withFallback(ConfigFactory.load())));
    assertTrue(reset.getMessage().contains("auto-offset-reset must be earliest, latest or none, not smallest"),
        reset.getMessage());
    IllegalArgumentException strategy = assertThrows(IllegalArgumentException.class, () -> new ConsumerSettings.Group(
        Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(30), "fair",
        ConsumerSettings.AutoOffsetReset.NONE, Duration.ofMinutes(2)));
    assertTrue(strategy.getMessage().contains("runnel.client.consumer.group.strategy"), strategy.getMessage());
    IllegalArgumentException heartbeat = assertThrows(IllegalArgumentException.class, () -> new ConsumerSettings.Group(
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30), "range",
        ConsumerSettings.AutoOffsetReset.NONE, Duration.ofMinutes(2)));
    assertTrue(heartbeat.getMessage().contains("heartbeat-interval"), heartbeat.getMessage());
    IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
        () -> CommitterSettings.create(ConfigFactory.load()).withMaxBatch(0));
    assertTrue(batch.getMessage().contains("runnel.client.committer.max-batch"), batch.getMessage());
  }
}
