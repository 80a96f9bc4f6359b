package dev.runnel.broker.kafka;

import dev.runnel.broker.memory.ReadLease;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * A parsed request as a handler sees it.
 *
 * @param header the request header (api key, version, correlation id, client id)
 * @param body the request, parsed by kafka-clients at the header's version
 * @param connection who sent it, for log lines
 * @param lease the read memory this request may hold (Fetch reserves in it); released once its response is written
 */
record KafkaRequest(RequestHeader header, AbstractRequest body, String connection, ReadLease lease) {

  short version() {
    return header.apiVersion();
  }
}
