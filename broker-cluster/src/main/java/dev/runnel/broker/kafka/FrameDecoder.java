package dev.runnel.broker.kafka;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * Splits the bytes of one connection into Kafka request frames (a 4-byte big-endian length, then that many bytes).
 * A length that is negative or over {@code max-request-bytes} ends the decoding with a {@link Frame.TooLarge}, after
 * the frames before it, and nothing read afterwards becomes a frame: the connection closes once those are
 * answered, as Kafka's {@code socket.request.max.bytes} check does.
 *
 * <p>This class is not thread-safe: one per connection.
 */
final class FrameDecoder {

  sealed interface Frame {
    /** A request frame without its length prefix. */
    record Request(ByteString bytes) implements Frame {}

    record TooLarge(String reason) implements Frame {}
  }

  private final int maxRequestBytes;
  private ByteString buffer = ByteString.emptyByteString();
  private boolean stopped;

  FrameDecoder(int maxRequestBytes) {
    this.maxRequestBytes = maxRequestBytes;
  }

  /** The frames that {@code chunk} completes, in order. */
  List<Frame> decode(ByteString chunk) {
    if (stopped) {
      return List.of();
    }
    buffer = buffer.concat(chunk);
    List<Frame> frames = new ArrayList<>();
    while (buffer.length() >= 4) {
      int size = (buffer.apply(0) & 0xff) << 24 | (buffer.apply(1) & 0xff) << 16
          | (buffer.apply(2) & 0xff) << 8 | (buffer.apply(3) & 0xff);
      if (size < 0 || size > maxRequestBytes) {
        frames.add(new Frame.TooLarge(size < 0 ? "request frame length " + size + " is negative"
            : "request frame of " + size + " bytes, more than max-request-bytes (" + maxRequestBytes + ")"));
        stopped = true;
        buffer = ByteString.emptyByteString();
        break;
      }
      if (buffer.length() < 4 + size) {
        break;
      }
      frames.add(new Frame.Request(buffer.slice(4, 4 + size).compact()));
      buffer = buffer.drop(4 + size);
    }
    return frames;
  }
}
