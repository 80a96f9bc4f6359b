package dev.runnel.client.internal;

import org.apache.pekko.util.ByteString;

/** Test bytes as a socket's reads bring them: one ByteString of many pieces, none sharing an array. */
final class Pieces {

  private Pieces() {}

  /** The bytes of {@code whole}, in pieces of {@code size} bytes (the last one shorter). */
  static ByteString of(ByteString whole, int size) {
    ByteString pieces = ByteString.emptyByteString();
    for (int from = 0; from < whole.size(); from += size) {
      pieces = pieces.concat(ByteString.fromArray(whole.slice(from, Math.min(whole.size(), from + size)).toArray()));
    }
    return pieces;
  }
}
