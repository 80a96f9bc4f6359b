package dev.runnel.persistence.segment;

import java.nio.file.Path;

/**
 * An entry inside a segment file failed its checks (length out of bounds, CRC32C mismatch, sequence numbers out of
 * order). Only a torn tail of the newest segment is repaired on recovery; anything else is reported with this
 * exception, naming the file and the entry's position, and never skipped.
 */
public final class CorruptLogException extends RuntimeException {

  private final Path file;
  private final long position;

  public CorruptLogException(Path file, long position, String problem) {
    super("corrupt segment " + file + " at position " + position + ": " + problem);
    this.file = file;
    this.position = position;
  }

  public Path file() {
    return file;
  }

  public long position() {
    return position;
  }
}
