package dev.runnel.broker.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The consume-transform-produce processor of {@link KafkaExactlyOnceCrashTest}, run in a JVM of its own so the test
 * can SIGKILL it: reads {@code input} read_committed as static member {@code processor} of group {@code group},
 * writes each record upper-cased to {@code output} under the same key, and commits the consumed offsets inside
 * each producing transaction ({@code sendOffsetsToTransaction}). Its transactional id is fixed, so each restart
 * fences the killed instance and aborts its open transaction. It pauses inside each transaction, after its sends
 * and before its commit, so that most kills land in an open transaction.
 *
 * <p>{@code java ExactlyOnceProcessor BOOTSTRAP INPUT OUTPUT GROUP PAUSE_MS}; runs until killed.
 */
public final class ExactlyOnceProcessor {

  private ExactlyOnceProcessor() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String input = args[1];
    String output = args[2];
    String group = args[3];
    long pauseMs = Long.parseLong(args[4]);

    Properties consumerConfig = new Properties();
    consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    // KIP-345: the restarted instance takes the killed one's place at once, without waiting out its session.
    consumerConfig.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "processor");
    consumerConfig.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
    consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10);

    Properties producerConfig = new Properties();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "-processor");
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);

    try (KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
        KafkaProducer<String, String> producer =
            new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      consumer.subscribe(List.of(input));
      System.out.println("processor started");
      while (true) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
          producer.send(new ProducerRecord<>(output, record.key(), record.value().toUpperCase()));
          offsets.put(new TopicPartition(record.topic(), record.partition()),
              new OffsetAndMetadata(record.offset() + 1));
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.flush();
        Thread.sleep(pauseMs);
        producer.commitTransaction();
      }
    }
  }
}
