package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.actor.ExtendedActorSystem;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The segment journal as a Pekko Persistence journal plugin ({@code pekko.persistence.journal.plugin =
 * "runnel.segment-journal"}). Events are serialized and framed here, on the plugin's pinned dispatcher, and handed
 * to the {@link SegmentStore}'s writer thread, which group-commits the writes of all persistent actors; replays and
 * highest-sequence-number reads run on the plugin's {@code read-dispatcher}.
 *
 * <p>An atomic write whose events cannot be serialized (or are larger than {@code max-entry-bytes}) is rejected
 * alone; the others of the same call are written.
 */
public final class SegmentJournal extends AsyncWriteJournal {

  /** Bytes of entries a replay reads per positional read. */
  private static final long REPLAY_CHUNK_BYTES = 4L << 20;

  private final SegmentStore store;
  private final EventCodec codec;
  private final ExecutionContext readDispatcher;

  public SegmentJournal(Config config) {
    this.store = SegmentStores.get(context().system()).store(config);
    this.codec = new EventCodec((ExtendedActorSystem) context().system());
    this.readDispatcher = context().system().dispatchers().lookup(config.getString("read-dispatcher"));
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    Map<String, List<EncodedWrite>> writes = new LinkedHashMap<>();
    for (AtomicWrite write : messages) {
      try {
        List<PersistentRepr> reprs = CollectionConverters.asJava(write.payload());
        List<Entry> entries = new ArrayList<>(reprs.size());
        for (int i = 0; i < reprs.size(); i++) {
          Entry entry = codec.encode(reprs.get(i), i == reprs.size() - 1);
          if (entry.frameBytes() > store.settings().maxEntryBytes()) {
            throw new IllegalArgumentException("event " + entry.sequenceNr() + " of " + write.persistenceId()
                + " takes " + entry.frameBytes() + " bytes, more than max-entry-bytes "
                + store.settings().maxEntryBytes());
          }
          entries.add(entry);
        }
        writes.computeIfAbsent(write.persistenceId(), id -> new ArrayList<>()).add(EncodedWrite.of(entries));
        results.add(Optional.empty());
      } catch (Exception e) {
        results.add(Optional.of(e));
      }
    }
    CompletableFuture<?>[] appends = writes.entrySet().stream()
        .map(entry -> store.append(entry.getKey(), entry.getValue()))
        .toArray(CompletableFuture<?>[]::new);
    return FutureConverters.asScala(CompletableFuture.allOf(appends).thenApply(done -> results));
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(store.deleteTo(persistenceId, toSequenceNr));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr,
      long max, Consumer<PersistentRepr> replayCallback) {
    return Futures.future(() -> {
      long next = fromSequenceNr;
      long replayed = 0;
      while (replayed < max && next <= toSequenceNr) {
        List<Entry> entries = store.read(persistenceId, next, toSequenceNr, REPLAY_CHUNK_BYTES, max - replayed);
        if (entries.isEmpty()) {
          break;
        }
        for (Entry entry : entries) {
          replayCallback.accept(codec.decode(persistenceId, entry));
        }
        replayed += entries.size();
        next = entries.get(entries.size() - 1).sequenceNr() + 1;
      }
      return null;
    }, readDispatcher);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return Futures.future(() -> store.highestSequenceNr(persistenceId), readDispatcher);
  }
}
