package dev.runnel.broker.group;

import dev.runnel.broker.CborSerializable;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;

/** Kafka's LeaveGroup response: an error for the group and one per member. */
public record LeaveResult(Errors error, List<Left> members) implements CborSerializable {

  public LeaveResult {
    members = List.copyOf(members);
  }

  public record Left(String memberId, String groupInstanceId, Errors error) {}
}
