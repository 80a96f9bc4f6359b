package dev.runnel.persistence;

import java.nio.ByteBuffer;
import org.apache.pekko.serialization.Serialization;

/**
 * One journal event as stored: its sequence number and its Pekko-serialized payload.
 *
 * @param payload the serialized event; from the segment journal a read-only slice of the one buffer the file region
 *     was read into (the only copy the read made)
 */
public record StoredEvent(long sequenceNr, int serializerId, String manifest, ByteBuffer payload) {

  /** The event, deserialized. */
  public Object event(Serialization serialization) {
    ByteBuffer bytes = payload.duplicate();
    byte[] copy = new byte[bytes.remaining()];
    bytes.get(copy);
    return serialization.deserialize(copy, serializerId, manifest).get();
  }
}
