package dev.runnel.persistence;

import java.nio.ByteBuffer;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;

/**
 * One journal event as stored: its sequence number and its Pekko-serialized payload.
 *
 * @param payload the serialized event; from the segment journal a read-only slice of the one buffer the file region
 *     was read into (the only copy the read made)
 */
public record StoredEvent(long sequenceNr, int serializerId, String manifest, ByteBuffer payload) {

  /**
   * The event, deserialized: straight from the payload buffer when its serializer reads buffers (Pekko's
   * {@link ByteBufferSerializer}, as {@link PartitionSerializer} does), else from a copy of it.
   */
  public Object event(Serialization serialization) {
    Serializer serializer = serialization.serializerByIdentity().get(serializerId).getOrElse(() -> null);
    if (serializer instanceof ByteBufferSerializer buffers) {
      try {
        return buffers.fromBinary(payload.duplicate(), manifest);
      } catch (java.io.NotSerializableException e) {
        throw new IllegalStateException("cannot deserialize event " + sequenceNr + " (" + manifest + ")", e);
      }
    }
    ByteBuffer bytes = payload.duplicate();
    byte[] copy = new byte[bytes.remaining()];
    bytes.get(copy);
    return serialization.deserialize(copy, serializerId, manifest).get();
  }
}
