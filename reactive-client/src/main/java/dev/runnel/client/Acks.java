package dev.runnel.client;

/** Kafka's producer acks, with their wire values. */
public enum Acks {
  NONE((short) 0),
  LEADER((short) 1),
  ALL((short) -1);

  private final short wire;

  Acks(short wire) {
    this.wire = wire;
  }

  public short wire() {
    return wire;
  }

  static Acks parse(String value) {
    switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "0":
        return NONE;
      case "1":
        return LEADER;
      case "all":
      case "-1":
        return ALL;
      default:
        throw new IllegalArgumentException("runnel.client.producer.acks must be all, -1, 1 or 0, not " + value);
    }
  }
}
