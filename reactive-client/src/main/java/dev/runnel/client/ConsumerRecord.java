package dev.runnel.client;

import java.util.List;

/** A record read from a partition, with its offset and the create timestamp its producer gave it. */
public record ConsumerRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
    List<Header> headers) {}
