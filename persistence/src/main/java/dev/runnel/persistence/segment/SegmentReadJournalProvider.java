package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.ReadJournalProvider;

/** Makes the segment journal's read journal ({@code runnel.segment-read-journal}) for Pekko Persistence Query. */
public final class SegmentReadJournalProvider implements ReadJournalProvider {

  private final SegmentReadJournal javadsl;
  private final ScalaSegmentReadJournal scaladsl;

  public SegmentReadJournalProvider(ExtendedActorSystem system, Config config) {
    this.javadsl = new SegmentReadJournal(system, config);
    this.scaladsl = new ScalaSegmentReadJournal(javadsl);
  }

  @Override
  public ScalaSegmentReadJournal scaladslReadJournal() {
    return scaladsl;
  }

  @Override
  public SegmentReadJournal javadslReadJournal() {
    return javadsl;
  }
}
