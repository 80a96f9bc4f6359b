package dev.runnel.persistence.segment;

import java.nio.ByteBuffer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Turns persistent events into {@link Entry}s and back with Pekko Serialization: the payload's serializer id,
 * manifest and bytes, as other journals store them. Tags ({@link Tagged}) are not stored: this journal has no
 * events-by-tag query.
 *
 * <p>Thread-safe.
 */
final class EventCodec {

  private final Serialization serialization;

  EventCodec(ExtendedActorSystem system) {
    this.serialization = SerializationExtension.get(system);
  }

  Entry encode(PersistentRepr repr, boolean endsAtomicWrite) {
    Object payload = repr.payload() instanceof Tagged tagged ? tagged.payload() : repr.payload();
    Serializer serializer = serialization.findSerializerFor(payload);
    String manifest = Serializers.manifestFor(serializer, payload);
    // serialize, not toBinary: an event may hold actor refs, whose serialization needs the system's address.
    byte[] bytes = serialization.serialize(payload).get();
    long timestamp = repr.timestamp() > 0 ? repr.timestamp() : System.currentTimeMillis();
    return new Entry(repr.sequenceNr(), endsAtomicWrite, timestamp, serializer.identifier(), manifest,
        repr.manifest(), repr.writerUuid(), ByteBuffer.wrap(bytes));
  }

  Object payload(Entry entry) {
    ByteBuffer slice = entry.payload().duplicate();
    byte[] bytes = new byte[slice.remaining()];
    slice.get(bytes);
    return serialization.deserialize(bytes, entry.serializerId(), entry.serializerManifest()).get();
  }

  PersistentRepr decode(String persistenceId, Entry entry) {
    return PersistentRepr.apply(payload(entry), entry.sequenceNr(), persistenceId, entry.adapterManifest(), false,
            ActorRef.noSender(), entry.writerUuid())
        .withTimestamp(entry.timestamp());
  }
}
