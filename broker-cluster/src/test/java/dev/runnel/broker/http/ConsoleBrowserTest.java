package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The web console end to end: a node serves it, headless Chromium (Debian's {@code chromium}, driven by Playwright
 * from npm) uses it as a person would — {@code console/e2e/console-e2e.mjs} creates a topic, sees a bad name refused
 * with the broker's error, changes a config, watches the live tail while records are produced over HTTP, pauses
 * it (the count stays while records keep coming), resumes it (every record, no offset missed), watches a group's
 * lag chart rise and fall, sees a live member's assignment, and tails from the beginning a topic of Kafka-producer
 * batches compressed with gzip (shown record by record) and lz4 (counted). Screenshots are left in
 * {@code target/console-e2e/}. The page is the one the Maven build put into the broker's classes.
 */
@Timeout(180)
class ConsoleBrowserTest {

  private static final String GROUP = "console-readers";
  private static final String COMPRESSED = "console-compressed";

  @Test
  void when_personUsesConsoleInChromium_then_everyCheckOfTheScriptPasses() throws Exception {
    assertTrue(ConsoleBrowserTest.class.getClassLoader().getResource("console/index.html") != null,
        "the console is not in the broker's classes: build without -Dconsole.skip");
    Path screenshots = Path.of("target", "console-e2e").toAbsolutePath();
    Files.createDirectories(screenshots);
    try (RunnelNode node = TestNodes.start(TestNodes.newDataDir(),
        Map.of("runnel.broker.group.initial-rebalance-delay", "0 s"))) {
      HttpTestClient http = new HttpTestClient(node.httpPort());
      assertEquals(201, http.post("/topics", "{\"name\": \"console-members\", \"partitions\": 1}").status());
      produceCompressed(node, "gzip", 5);
      produceCompressed(node, "lz4", 3);
      AtomicBoolean stop = new AtomicBoolean();
      Thread member = new Thread(() -> consume(node, stop), "console-member");
      member.start();
      try {
        awaitAssigned(http);
        List<String> output = runScript(node, screenshots);
        String all = String.join("\n", output);
        assertTrue(output.stream().anyMatch(line -> line.matches("console-e2e: all \\d+ checks passed")), all);
        assertTrue(all.contains("ok: paused, the tail stays at"), all);
        assertTrue(all.contains("ok: the lag chart rises from"), all);
        assertTrue(Files.exists(screenshots.resolve("tail-paused.png")), "no screenshot in " + screenshots);
      } finally {
        stop.set(true);
        member.join(TimeUnit.SECONDS.toMillis(30));
      }
    }
  }

  /**
   * Records "CODEC-i" in one batch compressed with {@code codec}, by Kafka's producer: the tail reads gzip batches
   * record by record and counts the records of the codecs a browser cannot decompress.
   */
  private static void produceCompressed(RunnelNode node, String codec, int records) throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
        ProducerConfig.LINGER_MS_CONFIG, 1000,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        sent.add(producer.send(new ProducerRecord<>(COMPRESSED, 0, "k" + i, codec + "-" + i)));
      }
      producer.flush();
      for (Future<RecordMetadata> ack : sent) {
        ack.get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** A Kafka consumer in {@link #GROUP}: the live member whose assignment the group page must show. */
  private static void consume(RunnelNode node, AtomicBoolean stop) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + node.kafkaPort(),
        ConsumerConfig.GROUP_ID_CONFIG, GROUP,
        ConsumerConfig.CLIENT_ID_CONFIG, "console-reader",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      consumer.subscribe(List.of("console-members"));
      while (!stop.get()) {
        consumer.poll(Duration.ofMillis(200));
      }
    }
  }

  private static void awaitAssigned(HttpTestClient http) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      HttpTestClient.Answer answer = http.get("/groups/" + GROUP);
      if (answer.status() == 200) {
        JsonNode members = answer.json().path("members");
        if (members.size() == 1 && members.get(0).path("assignment").size() == 1) {
          return;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the member of " + GROUP + " was not assigned its partition within 60 s");
  }

  /** Runs the Playwright script on the node's URL and returns its output, each line also printed here. */
  private static List<String> runScript(RunnelNode node, Path screenshots) throws IOException, InterruptedException {
    ProcessBuilder command = new ProcessBuilder("node", "e2e/console-e2e.mjs",
        "http://127.0.0.1:" + node.httpPort(), screenshots.toString())
        .directory(Path.of("console").toFile())
        .redirectErrorStream(true);
    command.environment().put("RUNNEL_E2E_GROUP", GROUP);
    command.environment().put("RUNNEL_E2E_COMPRESSED_TOPIC", COMPRESSED);
    Process script = command.start();
    script.getOutputStream().close();
    List<String> output;
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
      output = lines.lines().peek(line -> System.out.println("console-e2e | " + line)).toList();
    }
    if (!script.waitFor(150, TimeUnit.SECONDS)) {
      script.destroyForcibly();
      throw new AssertionError("the console script did not end within 150 s: " + output);
    }
    assertEquals(0, script.exitValue(), String.join("\n", output));
    return output;
  }
}
