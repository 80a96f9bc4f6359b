package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.stream.javadsl.Source;
import scala.concurrent.ExecutionContextExecutor;

/**
 * The segment journal's read journal, Java API: {@code PersistenceQuery.get(system)
 * .getReadJournalFor(SegmentReadJournal.class, SegmentReadJournal.IDENTIFIER)}. Queries read the journal's files
 * directly (positional reads on the journal's read dispatcher), in chunks of {@code max-buffer-bytes}; a live query
 * polls every {@code refresh-interval} once it has caught up. Event adapters are not applied.
 *
 * <p>Thread-safe.
 */
public final class SegmentReadJournal implements ReadJournal, EventsByPersistenceIdQuery,
    CurrentEventsByPersistenceIdQuery, CurrentPersistenceIdsQuery {

  /** The plugin id of the read journal in {@code reference.conf}. */
  public static final String IDENTIFIER = "runnel.segment-read-journal";

  private final ExtendedActorSystem system;
  private final SegmentStore store;
  private final EventCodec codec;
  private final ExecutionContextExecutor reads;
  private final Duration refreshInterval;
  private final long maxBufferBytes;

  SegmentReadJournal(ExtendedActorSystem system, Config config) {
    Config journalConfig = system.settings().config().getConfig(config.getString("journal"));
    this.system = system;
    this.store = SegmentStores.get(system).store(journalConfig);
    this.codec = new EventCodec(system);
    this.reads = system.dispatchers().lookup(journalConfig.getString("read-dispatcher"));
    this.refreshInterval = config.getDuration("refresh-interval");
    this.maxBufferBytes = config.getBytes("max-buffer-bytes");
  }

  @Override
  public Source<EventEnvelope, NotUsed> eventsByPersistenceId(String persistenceId, long fromSequenceNr,
      long toSequenceNr) {
    return events(persistenceId, fromSequenceNr, toSequenceNr, true);
  }

  /** The events that exist when the query starts (up to the highest sequence number then), then completes. */
  @Override
  public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(String persistenceId, long fromSequenceNr,
      long toSequenceNr) {
    return events(persistenceId, fromSequenceNr, toSequenceNr, false);
  }

  @Override
  public Source<String, NotUsed> currentPersistenceIds() {
    return Source.completionStageSource(CompletableFuture.supplyAsync(() -> {
      try {
        return Source.from(store.persistenceIds());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, (Executor) reads)).mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private Source<EventEnvelope, NotUsed> events(String persistenceId, long fromSequenceNr, long toSequenceNr,
      boolean live) {
    return Source.lazySource(() -> {
          long to = live ? toSequenceNr : Math.min(toSequenceNr, store.highestSequenceNr(persistenceId));
          return Source.unfoldAsync(fromSequenceNr, next -> step(persistenceId, next, to, live));
        })
        .mapConcat(envelopes -> envelopes)
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private CompletionStage<Optional<Pair<Long, List<EventEnvelope>>>> step(String persistenceId, long next, long to,
      boolean live) {
    if (next > to) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return CompletableFuture.supplyAsync(() -> read(persistenceId, next, to), (Executor) reads)
        .thenCompose(envelopes -> {
          if (!envelopes.isEmpty()) {
            long last = envelopes.get(envelopes.size() - 1).sequenceNr();
            return CompletableFuture.completedFuture(Optional.of(Pair.create(last + 1, envelopes)));
          }
          if (!live) {
            return CompletableFuture.completedFuture(Optional.empty());
          }
          return Patterns.after(refreshInterval, system.scheduler(), reads,
              () -> CompletableFuture.completedFuture(Optional.of(Pair.create(next, List.<EventEnvelope>of()))));
        });
  }

  private List<EventEnvelope> read(String persistenceId, long from, long to) {
    try {
      List<EventEnvelope> envelopes = new ArrayList<>();
      for (Entry entry : store.read(persistenceId, from, to, maxBufferBytes, Long.MAX_VALUE)) {
        envelopes.add(EventEnvelope.apply(Offset.sequence(entry.sequenceNr()), persistenceId, entry.sequenceNr(),
            codec.payload(entry), entry.timestamp()));
      }
      return envelopes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the events of " + persistenceId, e);
    }
  }
}
