package dev.runnel.persistence.segment;

import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.scaladsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.persistence.query.scaladsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.scaladsl.ReadJournal;
import org.apache.pekko.stream.scaladsl.Source;

/** The segment journal's read journal, Scala API: the same queries as {@link SegmentReadJournal}. */
public final class ScalaSegmentReadJournal implements ReadJournal, EventsByPersistenceIdQuery,
    CurrentEventsByPersistenceIdQuery, CurrentPersistenceIdsQuery {

  private final SegmentReadJournal journal;

  ScalaSegmentReadJournal(SegmentReadJournal journal) {
    this.journal = journal;
  }

  @Override
  public Source<EventEnvelope, NotUsed> eventsByPersistenceId(String persistenceId, long fromSequenceNr,
      long toSequenceNr) {
    return journal.eventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr).asScala();
  }

  @Override
  public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(String persistenceId, long fromSequenceNr,
      long toSequenceNr) {
    return journal.currentEventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr).asScala();
  }

  @Override
  public Source<String, NotUsed> currentPersistenceIds() {
    return journal.currentPersistenceIds().asScala();
  }
}
