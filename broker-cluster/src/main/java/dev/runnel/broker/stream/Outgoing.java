package dev.runnel.broker.stream;

import org.apache.pekko.util.ByteString;

/** An encoded frame on its way to the client, and whose frame it is (null for answers to requests). */
record Outgoing(ByteString bytes, SubscriptionStats records) {

  static Outgoing answer(ByteString bytes) {
    return new Outgoing(bytes, null);
  }
}
