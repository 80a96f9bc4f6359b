package dev.runnel.broker.group;

/** Kafka's Heartbeat. */
public record HeartbeatRequest(String memberId, String groupInstanceId, int generationId) {}
