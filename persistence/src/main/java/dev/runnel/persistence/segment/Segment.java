package dev.runnel.persistence.segment;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment file of a persistence id's log: whole {@link Entry} frames back to back, named after the sequence
 * number of its first entry ({@code 00000000000000000001.log}), with a sparse index in memory.
 *
 * <p>Only the journal's writer thread appends; any thread reads, by positional reads of the committed part
 * ({@link #size()}), which grows only after a batch is written (and forced, if the policy says so). The file's
 * channel is the store's {@link OpenFiles}' to open and close: every use goes through {@link #with}.
 */
final class Segment implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Segment.class);
  static final String SUFFIX = ".log";
  private static final int MIN_READ_BYTES = 64 * 1024;
  private static final int MAX_READ_BYTES = 16 * 1024 * 1024;

  private final Path file;
  private final long baseSequenceNr;
  private final OpenFiles files;
  private final SparseIndex index = new SparseIndex();
  private final int maxEntryBytes;
  /** Bytes of whole, committed entries: what readers may read. */
  private volatile long size;
  /** Sequence number of the last committed entry, {@code baseSequenceNr - 1} while there is none. */
  private volatile long lastSequenceNr;
  /** Where a check failed when the segment was opened (a closed segment is never repaired), else -1. */
  private volatile long corruptFrom = -1;
  private volatile String corruption;
  /** Writer thread only: position of the last index entry. */
  private long lastIndexedPosition = Long.MIN_VALUE;

  private Segment(Path file, long baseSequenceNr, OpenFiles files, int maxEntryBytes) {
    this.file = file;
    this.baseSequenceNr = baseSequenceNr;
    this.files = files;
    this.maxEntryBytes = maxEntryBytes;
    this.lastSequenceNr = baseSequenceNr - 1;
  }

  static String fileName(long baseSequenceNr) {
    return String.format("%020d%s", baseSequenceNr, SUFFIX);
  }

  /** The base sequence number a segment file name stands for, or -1 for another file. */
  static long baseOf(Path file) {
    String name = file.getFileName().toString();
    if (!name.endsWith(SUFFIX) || name.length() != 20 + SUFFIX.length()) {
      return -1;
    }
    try {
      return Long.parseLong(name.substring(0, 20));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Creates an empty segment file. */
  static Segment create(Path dir, long baseSequenceNr, OpenFiles files, int maxEntryBytes) throws IOException {
    Path file = dir.resolve(fileName(baseSequenceNr));
    files.add(file, FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE));
    return new Segment(file, baseSequenceNr, files, maxEntryBytes);
  }

  /**
   * Opens an existing segment and rebuilds its index by scanning its frames. The newest segment ({@code tail}) has
   * every CRC checked, and a torn tail (a frame cut short or failing its checks, or an atomic write not finished)
   * is cut back to the end of the last whole atomic write. An older segment is never changed: where its frames
   * stop making sense, reads fail with {@link CorruptLogException}.
   */
  static Segment open(Path file, boolean tail, OpenFiles files, int indexIntervalBytes, int maxEntryBytes)
      throws IOException {
    Segment segment = new Segment(file, baseOf(file), files, maxEntryBytes);
    try {
      segment.with(channel -> {
        segment.recover(channel, tail, indexIntervalBytes);
        return null;
      });
    } catch (IOException | RuntimeException e) {
      segment.close();
      throw e;
    }
    return segment;
  }

  private void recover(FileChannel channel, boolean tail, int indexIntervalBytes) throws IOException {
    long fileSize = channel.size();
    List<long[]> indexEntries = new ArrayList<>();
    long position = 0;
    long wholeEnd = 0;
    long wholeLastSequenceNr = baseSequenceNr - 1;
    long previousSequenceNr = baseSequenceNr - 1;
    long lastIndexed = Long.MIN_VALUE;
    ByteBuffer buffer = ByteBuffer.allocate(0);
    long bufferStart = 0;
    String problem = null;
    while (position < fileSize) {
      if (position + Entry.HEADER_BYTES > fileSize) {
        problem = "a frame header cut short";
        break;
      }
      if (position + Entry.HEADER_BYTES > bufferStart + buffer.limit()) {
        buffer = read(channel, position, (int) Math.min(fileSize - position, MAX_READ_BYTES));
        bufferStart = position;
      }
      int at = (int) (position - bufferStart);
      int bodyLength = buffer.getInt(at);
      int crc = buffer.getInt(at + 4);
      if (bodyLength < Entry.MIN_BODY_BYTES || bodyLength > maxEntryBytes) {
        problem = "a frame length of " + bodyLength;
        break;
      }
      long frameEnd = position + Entry.HEADER_BYTES + bodyLength;
      if (frameEnd > fileSize) {
        problem = "a frame of " + bodyLength + " bytes cut short";
        break;
      }
      if (frameEnd > bufferStart + buffer.limit()) {
        buffer = read(channel, position,
            (int) Math.max(frameEnd - position, Math.min(fileSize - position, MAX_READ_BYTES)));
        bufferStart = position;
        at = 0;
      }
      int bodyStart = at + Entry.HEADER_BYTES;
      if (tail && !Entry.crcMatches(buffer, bodyStart, bodyLength, crc)) {
        problem = "a CRC32C mismatch";
        break;
      }
      long sequenceNr = Entry.sequenceNrAt(buffer, bodyStart);
      if (sequenceNr <= previousSequenceNr) {
        problem = "sequence number " + sequenceNr + " after " + previousSequenceNr;
        break;
      }
      if (lastIndexed == Long.MIN_VALUE || position - lastIndexed >= indexIntervalBytes) {
        indexEntries.add(new long[] {sequenceNr, position});
        lastIndexed = position;
      }
      previousSequenceNr = sequenceNr;
      position = frameEnd;
      if (!tail || Entry.endsAtomicWriteAt(buffer, bodyStart)) {
        wholeEnd = position;
        wholeLastSequenceNr = sequenceNr;
      }
    }
    if (tail) {
      if (wholeEnd < fileSize) {
        log.warn("Torn tail of segment {}: cutting {} bytes at position {} ({})", file, fileSize - wholeEnd, wholeEnd,
            problem == null ? "an atomic write not finished" : problem + " at position " + position);
        channel.truncate(wholeEnd);
        channel.force(true);
      }
    } else if (problem != null) {
      log.error("Corrupt segment {} at position {}: {}; reads from there will fail", file, position, problem);
      corruptFrom = position;
      corruption = problem;
    }
    for (long[] entry : indexEntries) {
      if (entry[1] < wholeEnd) {
        index.add(entry[0], entry[1]);
        lastIndexedPosition = entry[1];
      }
    }
    size = wholeEnd;
    lastSequenceNr = wholeLastSequenceNr;
  }

  Path file() {
    return file;
  }

  long baseSequenceNr() {
    return baseSequenceNr;
  }

  long size() {
    return size;
  }

  long lastSequenceNr() {
    return lastSequenceNr;
  }

  boolean isEmpty() {
    return lastSequenceNr < baseSequenceNr;
  }

  /** Runs {@code work} on the segment's channel, held open meanwhile (see {@link OpenFiles}). */
  <T> T with(OpenFiles.ChannelWork<T> work) throws IOException {
    return files.with(file, work);
  }

  /** Writer thread: whether an entry at {@code position} should be indexed, recording it if so. */
  boolean shouldIndex(long position, int indexIntervalBytes) {
    if (lastIndexedPosition == Long.MIN_VALUE || position - lastIndexedPosition >= indexIntervalBytes) {
      lastIndexedPosition = position;
      return true;
    }
    return false;
  }

  /** Writer thread: forgets index decisions beyond {@code size} after a failed write. */
  void resetIndexCursor(long position) {
    if (lastIndexedPosition >= position) {
      lastIndexedPosition = Long.MIN_VALUE;
    }
  }

  void addIndexEntry(long sequenceNr, long position) {
    index.add(sequenceNr, position);
  }

  /** Writer thread: makes entries up to {@code newSize} visible to readers (index entries first). */
  void commit(long newSize, long newLastSequenceNr) {
    lastSequenceNr = newLastSequenceNr;
    size = newSize;
  }

  /**
   * Reads the committed entries with sequence numbers {@code from} to {@code to} into {@code cursor}, by positional
   * reads from the index entry at or before {@code from}. Each region is read once into a heap buffer; the entries'
   * payloads are slices of it.
   */
  void read(long from, long to, ReadCursor cursor) throws IOException {
    with(channel -> {
      read(channel, from, to, cursor);
      return null;
    });
  }

  private void read(FileChannel channel, long from, long to, ReadCursor cursor) throws IOException {
    long end = size;
    long position = index.floorPosition(from);
    ByteBuffer buffer = ByteBuffer.allocate(0);
    long bufferStart = position;
    while (position < end && !cursor.full()) {
      if (corruptFrom >= 0 && position >= corruptFrom) {
        throw new CorruptLogException(file, corruptFrom, corruption);
      }
      if (position + Entry.HEADER_BYTES > bufferStart + buffer.limit()) {
        buffer = read(channel, position, chunk(end - position, cursor));
        bufferStart = position;
      }
      int at = (int) (position - bufferStart);
      int bodyLength = buffer.getInt(at);
      int crc = buffer.getInt(at + 4);
      if (bodyLength < Entry.MIN_BODY_BYTES || bodyLength > maxEntryBytes
          || position + Entry.HEADER_BYTES + bodyLength > end) {
        throw new CorruptLogException(file, position, "a frame length of " + bodyLength);
      }
      int frameBytes = Entry.HEADER_BYTES + bodyLength;
      if (at + frameBytes > buffer.limit()) {
        buffer = read(channel, position, (int) Math.max(frameBytes, chunk(end - position, cursor)));
        bufferStart = position;
        at = 0;
      }
      int bodyStart = at + Entry.HEADER_BYTES;
      long sequenceNr = Entry.sequenceNrAt(buffer, bodyStart);
      if (sequenceNr > to) {
        cursor.reachedEnd();
        return;
      }
      if (sequenceNr >= from) {
        if (!Entry.crcMatches(buffer, bodyStart, bodyLength, crc)) {
          throw new CorruptLogException(file, position, "a CRC32C mismatch");
        }
        Entry entry;
        try {
          entry = Entry.decode(buffer, bodyStart, bodyLength);
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
          throw new CorruptLogException(file, position, e.getMessage());
        }
        if (!cursor.fits(entry.payload().remaining())) {
          return;
        }
        cursor.add(entry, entry.payload().remaining());
      }
      position += frameBytes;
    }
    if (corruptFrom >= 0 && position >= corruptFrom && !cursor.full()) {
      // The entries after the bad frame cannot be found: the read must not pass over them in silence.
      throw new CorruptLogException(file, corruptFrom, corruption);
    }
  }

  private static int chunk(long available, ReadCursor cursor) {
    long wanted = Math.max(MIN_READ_BYTES, Math.min(cursor.remainingBytes(), MAX_READ_BYTES));
    return (int) Math.max(Entry.HEADER_BYTES, Math.min(available, wanted));
  }

  private ByteBuffer read(FileChannel channel, long position, int bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(bytes);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new EOFException(file + " ends at " + (position + buffer.position()) + ", before " + (position + bytes));
      }
    }
    return buffer.flip();
  }

  @Override
  public void close() throws IOException {
    files.close(file);
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
