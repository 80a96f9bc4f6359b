package dev.runnel.client;

/** Where a produced record was stored: its partition, its offset and the timestamp it carries. */
public record RecordMetadata(String topic, int partition, long offset, long timestamp) {}
