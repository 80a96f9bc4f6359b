package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import org.apache.kafka.common.protocol.Errors;

/** Kafka's SyncGroup response: the member's assignment in the current generation. */
public record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment)
    implements CborSerializable {

  public SyncResult {
    assignment = assignment == null ? new byte[0] : assignment;
  }

  static SyncResult error(Errors error) {
    return new SyncResult(error, null, null, null);
  }
}
