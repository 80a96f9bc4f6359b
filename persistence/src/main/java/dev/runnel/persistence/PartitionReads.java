package dev.runnel.persistence;

import com.typesafe.config.Config;
import dev.runnel.persistence.segment.SegmentJournal;
import dev.runnel.persistence.segment.SegmentPartitionReads;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Direct reads of a persistence id's events by sequence number, each profile by the fastest means it has: the
 * segment journal by positional reads of its files ({@link SegmentPartitionReads}), the JDBC profiles through their
 * read journal ({@link ReadJournalPartitionReads}). No stream is kept open between reads.
 *
 * <p>Implementations are thread-safe; all methods are asynchronous.
 */
public interface PartitionReads {

  /**
   * The stored events from {@code fromSequenceNr} to {@code toSequenceNr}, inclusive, that are not deleted, in
   * order, up to about {@code maxBytes} bytes (the first event is always returned, however large).
   */
  CompletionStage<List<StoredEvent>> read(String persistenceId, long fromSequenceNr, long toSequenceNr, int maxBytes);

  /** The deserialized events from {@code fromSequenceNr} to {@code toSequenceNr}, inclusive, in order. */
  CompletionStage<List<Object>> readEvents(String persistenceId, long fromSequenceNr, long toSequenceNr);

  /** The reads of the journal {@code system} is configured with ({@code pekko.persistence.journal.plugin}). */
  static PartitionReads create(ActorSystem<?> system) {
    Config config = system.settings().config();
    String plugin = config.getString("pekko.persistence.journal.plugin");
    if (!plugin.isEmpty() && config.hasPath(plugin + ".class")
        && config.getString(plugin + ".class").equals(SegmentJournal.class.getName())) {
      return SegmentPartitionReads.create(system, config.getConfig(plugin));
    }
    return new ReadJournalPartitionReads(system, config.getString(JournalProfile.READ_JOURNAL_KEY));
  }
}
