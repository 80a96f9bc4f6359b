package dev.runnel.client;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The position of one record of a group's partition, to commit once the record is processed: committing it
 * commits {@code offset() + 1}, the next offset the group will read. Commit through {@link Committer}, which
 * batches; {@link #commit()} commits this one offset at once. Thread-safe.
 */
public interface CommittableOffset {

  String groupId();

  String topic();

  int partition();

  /** The record's offset. */
  long offset();

  /**
   * Commits this offset alone. Fails with {@link RunnelException} when the coordinator refuses it (the member
   * left the group, or was removed from it) or the source's connection is gone.
   */
  CompletionStage<Done> commit();
}
