package dev.runnel.client.internal;

import dev.runnel.client.CommittableOffset;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A record's offset in a group source, with the member id and generation the source had when it emitted the record
 * (what a transactional commit of the offset is checked against, KIP-447), and the source that commits it.
 */
public record GroupOffset(String groupId, String memberId, int generationId, String topic, int partition,
    long offset, Committer committer) implements CommittableOffset {

  /** The group source an offset came from: it commits through its member id, generation and connection. */
  public interface Committer {
    /** Commits each offset + 1; offsets name distinct partitions. */
    CompletionStage<Done> commit(List<GroupOffset> offsets);
  }

  @Override
  public CompletionStage<Done> commit() {
    return committer.commit(List.of(this));
  }
}
