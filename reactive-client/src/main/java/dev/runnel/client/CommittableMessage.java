package dev.runnel.client;

/** A record of a consumer group's partition and the offset to commit once it is processed. */
public record CommittableMessage(ConsumerRecord record, CommittableOffset committableOffset) {}
