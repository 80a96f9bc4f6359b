package dev.runnel.broker;

/**
 * Marks a message that may cross nodes and is serialized with Jackson CBOR ({@code jackson-cbor} in the module's
 * {@code reference.conf}): the commands and replies of the group coordinators, the topic registry and the producer
 * id allocator. Small control messages, whose fields Jackson reads and writes as they are; Kafka's {@code Errors}
 * and {@code TopicPartition} through {@link KafkaJacksonModule}, typed {@code ActorRef}s through Pekko's own module.
 * Record batches never go this way: the partition protocol has its binary serializer.
 */
public interface CborSerializable {}
