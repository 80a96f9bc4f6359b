package dev.runnel.persistence.segment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * One event as stored in a segment file, and its framing. A frame is
 *
 * <pre>
 *   int    body length (bytes after the CRC)
 *   int    CRC32C of the body
 *   body:
 *     long   sequence number
 *     byte   flags (bit 0: the last event of its atomic write)
 *     long   timestamp (ms)
 *     int    serializer id of the payload
 *     short  length + UTF-8 of the serializer manifest
 *     short  length + UTF-8 of the event adapter manifest ({@code PersistentRepr.manifest})
 *     short  length + UTF-8 of the writer UUID
 *     bytes  payload (the rest of the body)
 * </pre>
 *
 * Big-endian throughout. The flag lets recovery cut a torn tail back to a whole atomic write, never into one.
 *
 * @param payload the serialized event; when read back, a slice of the buffer the segment was read into
 */
public record Entry(
    long sequenceNr,
    boolean endsAtomicWrite,
    long timestamp,
    int serializerId,
    String serializerManifest,
    String adapterManifest,
    String writerUuid,
    ByteBuffer payload) {

  /** Bytes of the frame header: length and CRC. */
  public static final int HEADER_BYTES = 8;
  /** Bytes of a body without strings and payload. */
  static final int MIN_BODY_BYTES = 8 + 1 + 8 + 4 + 2 + 2 + 2;
  private static final byte ENDS_ATOMIC_WRITE = 1;

  /** Bytes of this entry's frame. */
  public int frameBytes() {
    return HEADER_BYTES + MIN_BODY_BYTES + utf8(serializerManifest).length + utf8(adapterManifest).length
        + utf8(writerUuid).length + payload.remaining();
  }

  /** Writes this entry's frame at {@code out}'s position. */
  public void writeTo(ByteBuffer out) {
    byte[] serializerManifestBytes = utf8(serializerManifest);
    byte[] adapterManifestBytes = utf8(adapterManifest);
    byte[] writerUuidBytes = utf8(writerUuid);
    int start = out.position();
    out.position(start + HEADER_BYTES);
    int bodyStart = out.position();
    out.putLong(sequenceNr);
    out.put(endsAtomicWrite ? ENDS_ATOMIC_WRITE : 0);
    out.putLong(timestamp);
    out.putInt(serializerId);
    putString(out, serializerManifestBytes);
    putString(out, adapterManifestBytes);
    putString(out, writerUuidBytes);
    out.put(payload.duplicate());
    int bodyLength = out.position() - bodyStart;
    CRC32C crc = new CRC32C();
    crc.update(out.duplicate().position(bodyStart).limit(bodyStart + bodyLength));
    out.putInt(start, bodyLength);
    out.putInt(start + 4, (int) crc.getValue());
  }

  /** The sequence number of the body starting at {@code bodyStart}, without checking the frame. */
  static long sequenceNrAt(ByteBuffer buffer, int bodyStart) {
    return buffer.getLong(bodyStart);
  }

  /** Whether the body at {@code bodyStart} ends its atomic write. */
  static boolean endsAtomicWriteAt(ByteBuffer buffer, int bodyStart) {
    return (buffer.get(bodyStart + 8) & ENDS_ATOMIC_WRITE) != 0;
  }

  /** Whether the body of {@code bodyLength} bytes at {@code bodyStart} matches {@code expectedCrc}. */
  static boolean crcMatches(ByteBuffer buffer, int bodyStart, int bodyLength, int expectedCrc) {
    CRC32C crc = new CRC32C();
    crc.update(buffer.duplicate().limit(bodyStart + bodyLength).position(bodyStart));
    return (int) crc.getValue() == expectedCrc;
  }

  /**
   * Decodes the body of {@code bodyLength} bytes at {@code bodyStart}; the payload is a slice of {@code buffer}.
   *
   * @throws IllegalArgumentException when the body's string lengths do not fit it
   */
  static Entry decode(ByteBuffer buffer, int bodyStart, int bodyLength) {
    ByteBuffer body = buffer.duplicate().limit(bodyStart + bodyLength).position(bodyStart).slice();
    long sequenceNr = body.getLong();
    boolean ends = (body.get() & ENDS_ATOMIC_WRITE) != 0;
    long timestamp = body.getLong();
    int serializerId = body.getInt();
    String serializerManifest = getString(body);
    String adapterManifest = getString(body);
    String writerUuid = getString(body);
    return new Entry(sequenceNr, ends, timestamp, serializerId, serializerManifest, adapterManifest, writerUuid,
        body.slice());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void putString(ByteBuffer out, byte[] bytes) {
    if (bytes.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException("a manifest or writer UUID longer than " + Short.MAX_VALUE + " bytes");
    }
    out.putShort((short) bytes.length);
    out.put(bytes);
  }

  private static String getString(ByteBuffer in) {
    int length = in.getShort();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("string length " + length + " beyond the entry");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
