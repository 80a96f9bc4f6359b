package dev.runnel.broker.cluster;

import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.Address;

/**
 * One member of the cluster as this node sees it: address, Pekko membership status ({@code Joining}, {@code Up},
 * {@code Leaving}, ...), roles, whether this node's failure detector reaches it, and the Kafka and HTTP endpoint
 * it published (empty until its publication arrived).
 */
public record ClusterMember(
    Address address, String status, Set<String> roles, boolean reachable, Optional<BrokerEndpoint> endpoint) {

  /** Up and reachable: a member that leads partitions and coordinators and is named to clients. */
  public boolean live() {
    return status.equals("Up") && reachable;
  }
}
