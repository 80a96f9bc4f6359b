package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import dev.runnel.persistence.PartitionReads;
import dev.runnel.persistence.StoredEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * {@link PartitionReads} of the segment journal: positional reads of the segment files from the sparse index's
 * entry at or before the first sequence number, on the journal's read dispatcher. Each file region is read once
 * into one heap buffer; the events' payloads are read-only slices of it.
 */
public final class SegmentPartitionReads implements PartitionReads {

  private final SegmentStore store;
  private final Executor executor;
  private final Serialization serialization;

  public SegmentPartitionReads(SegmentStore store, Executor executor, Serialization serialization) {
    this.store = store;
    this.executor = executor;
    this.serialization = serialization;
  }

  /** The reads of the segment journal configured by {@code journalConfig} (e.g. {@code runnel.segment-journal}). */
  public static SegmentPartitionReads create(ActorSystem<?> system, Config journalConfig) {
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    return new SegmentPartitionReads(SegmentStores.get(classic).store(journalConfig),
        classic.dispatchers().lookup(journalConfig.getString("read-dispatcher")),
        SerializationExtension.get(classic));
  }

  @Override
  public CompletionStage<List<StoredEvent>> read(String persistenceId, long fromSequenceNr, long toSequenceNr,
      int maxBytes) {
    return CompletableFuture.supplyAsync(() -> {
      List<Entry> entries = entries(persistenceId, fromSequenceNr, toSequenceNr, maxBytes);
      List<StoredEvent> events = new ArrayList<>(entries.size());
      for (Entry entry : entries) {
        events.add(new StoredEvent(entry.sequenceNr(), entry.serializerId(), entry.serializerManifest(),
            entry.payload().asReadOnlyBuffer()));
      }
      return events;
    }, executor);
  }

  @Override
  public CompletionStage<List<Object>> readEvents(String persistenceId, long fromSequenceNr, long toSequenceNr) {
    return CompletableFuture.supplyAsync(() -> {
      List<Object> events = new ArrayList<>();
      long next = fromSequenceNr;
      while (next <= toSequenceNr) {
        List<Entry> entries = entries(persistenceId, next, toSequenceNr, 4 << 20);
        if (entries.isEmpty()) {
          break;
        }
        for (Entry entry : entries) {
          events.add(new StoredEvent(entry.sequenceNr(), entry.serializerId(), entry.serializerManifest(),
              entry.payload()).event(serialization));
        }
        next = entries.get(entries.size() - 1).sequenceNr() + 1;
      }
      return events;
    }, executor);
  }

  private List<Entry> entries(String persistenceId, long from, long to, long maxBytes) {
    try {
      return store.read(persistenceId, from, to, maxBytes, Long.MAX_VALUE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the events of " + persistenceId, e);
    }
  }
}
