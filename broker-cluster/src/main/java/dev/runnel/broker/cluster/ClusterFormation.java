package dev.runnel.broker.cluster;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Optional;

/**
 * How a node finds the other members of its cluster ({@code runnel.cluster.join}), and whether it runs Pekko
 * Management's HTTP endpoint, read once from the configuration. {@link #refusal(boolean, String)} decides, as a pure
 * function, whether a node may start at all with these settings; the Guardian acts on it.
 *
 * <ul>
 *   <li>{@link Join#SEED_NODES}: joins {@code pekko.cluster.seed-nodes}; with none, it forms a one-node cluster by
 *       itself.
 *   <li>{@link Join#BOOTSTRAP}: Pekko Management Cluster Bootstrap finds the other nodes' management endpoints with
 *       Pekko Discovery (config or kubernetes-api), and the lowest-addressed of them forms the cluster once the
 *       required number answered, or every node joins the cluster they already form. Needs the management
 *       endpoint (its contact point), so it runs whatever {@code runnel.cluster.management.enabled} says.
 * </ul>
 */
public record ClusterFormation(Join join, boolean management, List<String> seedNodes) {

  /** The ways a node can find its cluster. */
  public enum Join {
    SEED_NODES("seed-nodes"),
    BOOTSTRAP("bootstrap");

    private final String configName;

    Join(String configName) {
      this.configName = configName;
    }

    static Join parse(String value) {
      for (Join join : values()) {
        if (join.configName.equals(value)) {
          return join;
        }
      }
      throw new IllegalArgumentException("runnel.cluster.join must be seed-nodes or bootstrap, not \"" + value + "\"");
    }
  }

  public ClusterFormation {
    seedNodes = List.copyOf(seedNodes);
  }

  public static ClusterFormation create(Config config) {
    Join join = Join.parse(config.getString("runnel.cluster.join"));
    boolean management = join == Join.BOOTSTRAP || config.getBoolean("runnel.cluster.management.enabled");
    return new ClusterFormation(join, management, config.getStringList("pekko.cluster.seed-nodes"));
  }

  /** Whether this node forms a one-node cluster by joining itself. */
  public boolean formsAlone() {
    return join == Join.SEED_NODES && seedNodes.isEmpty();
  }

  /**
   * Why a node with these settings must not start, if it must not.
   *
   * @param embedded whether the node runs a local journal profile (embedded, h2), a file no other node can read
   * @param profile the journal profile's name, for the message
   */
  public Optional<String> refusal(boolean embedded, String profile) {
    if (join == Join.BOOTSTRAP && !seedNodes.isEmpty()) {
      // Cluster Bootstrap gives up by itself when seed nodes are set; saying so at start beats a node that joins
      // something other than what its operator chose.
      return Optional.of("runnel.cluster.join = bootstrap, but pekko.cluster.seed-nodes is set too: choose one way"
          + " to find the cluster (leave the seed nodes empty for Cluster Bootstrap).");
    }
    if (embedded && !formsAlone()) {
      String how = join == Join.BOOTSTRAP ? "runnel.cluster.join = bootstrap" : "pekko.cluster.seed-nodes is set";
      return Optional.of(how + ", but this node runs the " + profile + " journal profile, whose journal is a file of"
          + " its own that no other node can read: partitions moving to another node would lose their data. Run every"
          + " node of a cluster with runnel.persistence.profile = postgres (RUNNEL_JOURNAL_PROFILE=postgres).");
    }
    return Optional.empty();
  }
}
