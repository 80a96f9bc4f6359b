package dev.runnel.broker.group;

import java.util.Arrays;

/**
 * One protocol a member supports (for Kafka consumers an assignor: {@code range}, {@code cooperative-sticky}...),
 * with the member's metadata for it (for consumers the encoded subscription). The bytes are never copied or
 * changed; callers must not change them either.
 */
public record Protocol(String name, byte[] metadata) {

  public Protocol {
    metadata = metadata == null ? new byte[0] : metadata;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Protocol that && name.equals(that.name) && Arrays.equals(metadata, that.metadata);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(metadata);
  }

  @Override
  public String toString() {
    return "Protocol[" + name + ", " + metadata.length + " bytes]";
  }
}
