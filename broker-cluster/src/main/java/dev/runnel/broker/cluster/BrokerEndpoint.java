package dev.runnel.broker.cluster;

import dev.runnel.broker.CborSerializable;

/**
 * How clients reach one node: its stable Kafka node id ({@code runnel.broker.kafka.node-id}, Kafka's
 * {@code node.id}) with the Kafka and HTTP addresses it advertises. Every node publishes its own in Distributed
 * Data, so every node can name every live broker in Metadata; that replicated value crosses nodes as Jackson CBOR.
 */
public record BrokerEndpoint(int nodeId, String kafkaHost, int kafkaPort, String httpHost, int httpPort)
    implements CborSerializable {}
