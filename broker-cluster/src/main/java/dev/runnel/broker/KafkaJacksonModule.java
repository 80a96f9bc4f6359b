package dev.runnel.broker;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Jackson (de)serializers for the Kafka types that {@link CborSerializable} messages carry, registered with Pekko's
 * object mappers through {@code pekko.serialization.jackson.jackson-modules}.
 *
 * <ul>
 *   <li>{@link Errors} as its numeric code, the protocol's own name for it: codes never change, while enum
 *       constant names are Kafka's Java detail.
 *   <li>{@link TopicPartition}, which has no creator Jackson can use, as {@code {"topic", "partition"}}; as a map
 *       key as {@code topic-partition}, its {@code toString}, split at the last {@code -} (a topic name may contain
 *       {@code -}, a partition number cannot).
 * </ul>
 */
public final class KafkaJacksonModule extends SimpleModule {

  public KafkaJacksonModule() {
    super("runnel-kafka-types");
    addSerializer(Errors.class, new JsonSerializer<>() {
      @Override
      public void serialize(Errors error, JsonGenerator out, SerializerProvider provider) throws IOException {
        out.writeNumber(error.code());
      }
    });
    addDeserializer(Errors.class, new JsonDeserializer<>() {
      @Override
      public Errors deserialize(JsonParser in, DeserializationContext context) throws IOException {
        return Errors.forCode(in.getShortValue());
      }
    });
    addSerializer(TopicPartition.class, new JsonSerializer<>() {
      @Override
      public void serialize(TopicPartition partition, JsonGenerator out, SerializerProvider provider)
          throws IOException {
        out.writeStartObject();
        out.writeStringField("topic", partition.topic());
        out.writeNumberField("partition", partition.partition());
        out.writeEndObject();
      }
    });
    addDeserializer(TopicPartition.class, new JsonDeserializer<>() {
      @Override
      public TopicPartition deserialize(JsonParser in, DeserializationContext context) throws IOException {
        JsonNode node = in.readValueAsTree();
        return new TopicPartition(node.get("topic").asText(), node.get("partition").asInt());
      }
    });
    addKeySerializer(TopicPartition.class, new JsonSerializer<>() {
      @Override
      public void serialize(TopicPartition partition, JsonGenerator out, SerializerProvider provider)
          throws IOException {
        out.writeFieldName(partition.toString());
      }
    });
    addKeyDeserializer(TopicPartition.class, new KeyDeserializer() {
      @Override
      public TopicPartition deserializeKey(String key, DeserializationContext context) throws IOException {
        int dash = key.lastIndexOf('-');
        if (dash < 0) {
          return (TopicPartition) context.handleWeirdKey(TopicPartition.class, key, "not topic-partition");
        }
        return new TopicPartition(key.substring(0, dash), Integer.parseInt(key.substring(dash + 1)));
      }
    });
  }
}
