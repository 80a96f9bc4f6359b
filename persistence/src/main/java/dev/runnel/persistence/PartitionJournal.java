package dev.runnel.persistence;

import dev.runnel.persistence.PartitionEvent.Records;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Reads and trims a partition's journal from outside the entity: the read side serves fetches of data no longer
 * in the entity's tail cache, and deletion removes events the log no longer needs (a deleted topic; later
 * retention). Works on whichever journal profile is configured.
 *
 * <p>Thread-safe; all methods are asynchronous.
 */
public final class PartitionJournal {

  private final ActorSystem<?> system;
  private final PartitionReads reads;
  private final Duration timeout;

  public PartitionJournal(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.reads = PartitionReads.create(system);
    this.timeout = timeout;
  }

  /**
   * The record-holding events with sequence numbers {@code from} to {@code to}, inclusive, in order: by positional
   * file reads on the segment journal, by a read-journal query on the JDBC profiles ({@link PartitionReads}).
   */
  public CompletionStage<List<Records>> read(String persistenceId, long from, long to) {
    return reads.readEvents(persistenceId, from, to).thenApply(events -> {
      List<Records> records = new ArrayList<>(events.size());
      for (Object event : events) {
        if (event instanceof Records r) {
          records.add(r);
        }
      }
      return records;
    });
  }

  /**
   * The record-holding events with these sequence numbers, in the order given. After compaction the events that
   * hold consecutive offsets need not have consecutive sequence numbers, so this reads each run of consecutive
   * numbers with one query. An event deleted meanwhile (retention) is left out.
   */
  public CompletionStage<List<Records>> read(String persistenceId, List<Long> sequenceNrs) {
    CompletionStage<List<Records>> result = CompletableFuture.completedFuture(new ArrayList<>());
    int start = 0;
    while (start < sequenceNrs.size()) {
      int end = start + 1;
      while (end < sequenceNrs.size() && sequenceNrs.get(end) == sequenceNrs.get(end - 1) + 1) {
        end++;
      }
      long from = sequenceNrs.get(start);
      long to = sequenceNrs.get(end - 1);
      result = result.thenCompose(events -> read(persistenceId, from, to).thenApply(run -> {
        events.addAll(run);
        return events;
      }));
      start = end;
    }
    return result;
  }

  /**
   * Deletes the events up to {@code toSequenceNr}, inclusive. pekko-persistence-jdbc keeps the row of the highest
   * sequence number (marked deleted) so sequence numbers never restart; delete up to an event that holds no data
   * when nothing may remain.
   */
  public CompletionStage<Long> deleteEventsTo(String persistenceId, long toSequenceNr) {
    ActorRef journal = Persistence.get(Adapter.toClassic(system)).journalFor("", ConfigFactory.empty());
    return Patterns.askWithReplyTo(
            journal, replyTo -> new JournalProtocol.DeleteMessagesTo(persistenceId, toSequenceNr, replyTo), timeout)
        .thenApply(reply -> {
          if (reply instanceof DeleteMessagesFailure failure) {
            throw new IllegalStateException("deleting events of " + persistenceId + " failed", failure.cause());
          }
          return toSequenceNr;
        });
  }

  /** Deletes the snapshots taken at or below {@code maxSequenceNr}. */
  public CompletionStage<Long> deleteSnapshotsTo(String persistenceId, long maxSequenceNr) {
    ActorRef store = Persistence.get(Adapter.toClassic(system)).snapshotStoreFor("", ConfigFactory.empty());
    SnapshotSelectionCriteria criteria = SnapshotSelectionCriteria.create(maxSequenceNr, Long.MAX_VALUE);
    // The snapshot store answers the sender, which for ask is the temporary reply actor.
    return Patterns.ask(store, new SnapshotProtocol.DeleteSnapshots(persistenceId, criteria), timeout)
        .thenApply(reply -> {
          if (reply instanceof DeleteSnapshotsFailure failure) {
            throw new IllegalStateException("deleting snapshots of " + persistenceId + " failed", failure.cause());
          }
          return maxSequenceNr;
        });
  }
}
