package dev.runnel.persistence.segment;

/**
 * When the segment journal forces written bytes from the OS page cache to the disk. Every policy hands a write to
 * the OS ({@code write(2)}) before its future completes, so an acknowledged write survives a killed process under
 * all three; they differ in what survives a power loss or kernel crash.
 */
public enum FsyncPolicy {
  /** {@code fdatasync} once per batch before its writes complete (group commit): nothing acknowledged is lost. */
  ALWAYS("always"),
  /** {@code fdatasync} of the files written since the last one, once per interval: up to one interval is lost. */
  INTERVAL("interval"),
  /** Flushing is left to the OS (Kafka's default): what the kernel had not written back yet is lost. */
  NEVER("never");

  private final String configName;

  FsyncPolicy(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  static FsyncPolicy of(String name, String key) {
    for (FsyncPolicy policy : values()) {
      if (policy.configName.equals(name)) {
        return policy;
      }
    }
    throw new IllegalArgumentException(key + " must be \"always\", \"interval\" or \"never\", not \"" + name + "\"");
  }
}
