package dev.runnel.persistence;

import dev.runnel.persistence.PartitionEvent.RecordsAppended;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
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
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Reads and trims a partition's journal from outside the entity: the read side serves fetches of data no longer
 * in the entity's tail cache, and deletion removes events the log no longer needs (a deleted topic; later
 * retention). Works on whichever journal profile is configured.
 *
 * <p>Thread-safe; all methods are asynchronous.
 */
public final class PartitionJournal {

  private static final String READ_JOURNAL = "jdbc-read-journal";

  private final ActorSystem<?> system;
  private final CurrentEventsByPersistenceIdQuery readJournal;
  private final Duration timeout;

  public PartitionJournal(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.readJournal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, READ_JOURNAL);
    this.timeout = timeout;
  }

  /** The events with sequence numbers {@code from} to {@code to}, inclusive, in order. */
  public CompletionStage<List<RecordsAppended>> read(String persistenceId, long from, long to) {
    return readJournal.currentEventsByPersistenceId(persistenceId, from, to)
        .filter(envelope -> envelope.event() instanceof RecordsAppended)
        .map(envelope -> (RecordsAppended) envelope.event())
        .runWith(Sink.seq(), system);
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
