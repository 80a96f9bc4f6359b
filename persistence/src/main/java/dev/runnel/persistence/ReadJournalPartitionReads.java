package dev.runnel.persistence;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * {@link PartitionReads} through a read journal's {@code currentEventsByPersistenceId}, for the JDBC profiles: one
 * short query per read. The journal hands back deserialized events, so {@link #read} serializes them again to give
 * their bytes; {@link #readEvents} does not.
 */
public final class ReadJournalPartitionReads implements PartitionReads {

  private final ActorSystem<?> system;
  private final CurrentEventsByPersistenceIdQuery readJournal;
  private final Serialization serialization;

  public ReadJournalPartitionReads(ActorSystem<?> system, String readJournalPluginId) {
    this.system = system;
    this.readJournal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalPluginId);
    this.serialization = SerializationExtension.get(Adapter.toClassic(system));
  }

  @Override
  public CompletionStage<List<StoredEvent>> read(String persistenceId, long fromSequenceNr, long toSequenceNr,
      int maxBytes) {
    long[] bytes = {0};
    return readJournal.currentEventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr)
        .map(this::stored)
        .takeWhile(event -> {
          boolean first = bytes[0] == 0;
          bytes[0] += event.payload().remaining();
          return first || bytes[0] <= maxBytes;
        })
        .runWith(Sink.seq(), system);
  }

  @Override
  public CompletionStage<List<Object>> readEvents(String persistenceId, long fromSequenceNr, long toSequenceNr) {
    return readJournal.currentEventsByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr)
        .map(EventEnvelope::event)
        .runWith(Sink.seq(), system);
  }

  private StoredEvent stored(EventEnvelope envelope) {
    Object event = envelope.event();
    Serializer serializer = serialization.findSerializerFor(event);
    return new StoredEvent(envelope.sequenceNr(), serializer.identifier(), Serializers.manifestFor(serializer, event),
        ByteBuffer.wrap(serialization.serialize(event).get()));
  }
}
