package dev.runnel.persistence.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The log of one persistence id: a directory of {@link Segment}s in sequence-number order, of which the last is
 * the active one, and a deletion marker ({@value #DELETED_TO}) holding the highest deleted sequence number.
 *
 * <p>Invariants: sequence numbers increase through the segments; entries at or below {@link #deletedTo()} are never
 * returned; {@link #highestSequenceNr()} never goes down, also when deletion removed every segment but the last.
 *
 * <p>The writer thread of the {@link SegmentStore} does every change; readers on any thread see a consistent
 * prefix: the highest sequence number is published after the segments that hold it.
 */
final class SegmentLog implements AutoCloseable {

  static final String DELETED_TO = "deleted-to";
  private static final int MAX_RETRIES = 3;

  private final String persistenceId;
  private final Path dir;
  private final SegmentJournalSettings settings;
  private final OpenFiles files;
  private volatile List<Segment> segments;
  private volatile long highestSequenceNr;
  private volatile long deletedTo;
  /** Writer thread only: the highest sequence number written, committed or not. */
  private long writtenSequenceNr;

  private SegmentLog(String persistenceId, Path dir, SegmentJournalSettings settings, OpenFiles files,
      List<Segment> segments, long deletedTo) {
    this.persistenceId = persistenceId;
    this.dir = dir;
    this.settings = settings;
    this.files = files;
    this.segments = List.copyOf(segments);
    this.deletedTo = deletedTo;
    long highest = deletedTo;
    for (Segment segment : segments) {
      highest = Math.max(highest, segment.lastSequenceNr());
    }
    this.highestSequenceNr = highest;
    this.writtenSequenceNr = highest;
  }

  /** Opens the log in {@code dir} (which need not exist yet), repairing a torn tail of its newest segment. */
  static SegmentLog open(String persistenceId, Path dir, SegmentJournalSettings settings, OpenFiles openFiles)
      throws IOException {
    if (!Files.isDirectory(dir)) {
      return new SegmentLog(persistenceId, dir, settings, openFiles, List.of(), 0);
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing.filter(file -> Segment.baseOf(file) >= 0)
          .sorted((a, b) -> Long.compare(Segment.baseOf(a), Segment.baseOf(b)))
          .toList();
    }
    List<Segment> segments = new ArrayList<>();
    try {
      for (int i = 0; i < files.size(); i++) {
        segments.add(Segment.open(files.get(i), i == files.size() - 1, openFiles, settings.indexIntervalBytes(),
            settings.maxEntryBytes()));
      }
    } catch (IOException | RuntimeException e) {
      for (Segment segment : segments) {
        segment.close();
      }
      throw e;
    }
    return new SegmentLog(persistenceId, dir, settings, openFiles, segments, readDeletedTo(dir));
  }

  String persistenceId() {
    return persistenceId;
  }

  Path dir() {
    return dir;
  }

  long highestSequenceNr() {
    return highestSequenceNr;
  }

  long deletedTo() {
    return deletedTo;
  }

  List<Segment> segments() {
    return segments;
  }

  /**
   * The entries from {@code from} to {@code to} (inclusive, both clamped to what exists and is not deleted), in
   * order, up to about {@code maxBytes} of payloads (at least one entry) and {@code maxEntries} entries.
   *
   * @throws CorruptLogException when an entry in the range fails its checks
   */
  List<Entry> read(long from, long to, long maxBytes, long maxEntries) throws IOException {
    for (int attempt = 1; ; attempt++) {
      long high = highestSequenceNr;
      long first = Math.max(from, deletedTo + 1);
      long last = Math.min(to, high);
      ReadCursor cursor = new ReadCursor(maxBytes, maxEntries);
      if (first > last || maxEntries <= 0) {
        return cursor.entries();
      }
      List<Segment> current = segments;
      try {
        for (int i = startIndex(current, first); i < current.size() && !cursor.full(); i++) {
          Segment segment = current.get(i);
          if (segment.baseSequenceNr() > last) {
            break;
          }
          segment.read(first, last, cursor);
        }
        return cursor.entries();
      } catch (ClosedChannelException | NoSuchFileException e) {
        // Deletion removed a segment under this read: read again from what is left.
        if (attempt == MAX_RETRIES) {
          throw e;
        }
      }
    }
  }

  private static int startIndex(List<Segment> segments, long sequenceNr) {
    int found = 0;
    for (int i = 0; i < segments.size(); i++) {
      if (segments.get(i).baseSequenceNr() <= sequenceNr) {
        found = i;
      } else {
        break;
      }
    }
    return found;
  }

  // ---- writer thread ----

  long writtenSequenceNr() {
    return writtenSequenceNr;
  }

  void written(long sequenceNr) {
    writtenSequenceNr = sequenceNr;
  }

  /** A failed batch: forget what it wrote. */
  void rollBackTo(long sequenceNr) {
    writtenSequenceNr = sequenceNr;
  }

  /**
   * The segment the next write of {@code bytes} bytes, starting at {@code firstSequenceNr}, goes to: the active one,
   * or a new one when the active one has reached the segment size ({@code pendingEnd} counts what this batch already
   * queued for it). An empty active segment left by a crash is replaced when its name does not fit.
   */
  Segment segmentFor(long firstSequenceNr, long pendingEnd, boolean[] created) throws IOException {
    List<Segment> current = segments;
    Segment active = current.isEmpty() ? null : current.get(current.size() - 1);
    if (active != null && pendingEnd == active.size() && active.isEmpty()
        && active.baseSequenceNr() != firstSequenceNr) {
      // Deleted before its channel is closed, so that no reader opens it again meanwhile.
      Files.delete(active.file());
      active.close();
      current = current.subList(0, current.size() - 1);
      active = null;
    }
    if (active != null && pendingEnd < settings.segmentBytes()) {
      return active;
    }
    SegmentStore.createDirectory(dir, persistenceId);
    Segment segment = Segment.create(dir, firstSequenceNr, files, settings.maxEntryBytes());
    List<Segment> next = new ArrayList<>(current);
    next.add(segment);
    segments = List.copyOf(next);
    created[0] = true;
    return segment;
  }

  /** Publishes the highest sequence number after the batch's segments were committed. */
  void publish(long sequenceNr) {
    highestSequenceNr = Math.max(highestSequenceNr, sequenceNr);
  }

  /**
   * Deletes the events up to {@code toSequenceNr} (clamped to the highest written): the marker first, durably, then
   * every segment that holds only deleted events: the closed ones, and the active one too once every event written
   * is deleted (so deleting a whole log takes its data off the disk; the marker keeps the highest sequence number,
   * and the next write starts a new segment). Returns the segments removed.
   */
  List<Segment> deleteTo(long toSequenceNr, boolean forceDirectory) throws IOException {
    long to = Math.min(toSequenceNr, writtenSequenceNr);
    if (to <= deletedTo) {
      return List.of();
    }
    writeDeletedTo(to, forceDirectory);
    deletedTo = to;
    List<Segment> current = segments;
    List<Segment> kept = new ArrayList<>();
    List<Segment> removed = new ArrayList<>();
    for (int i = 0; i < current.size(); i++) {
      Segment segment = current.get(i);
      boolean closed = i < current.size() - 1;
      boolean allDeleted = closed ? current.get(i + 1).baseSequenceNr() - 1 <= to : to >= writtenSequenceNr;
      if (allDeleted) {
        removed.add(segment);
      } else {
        kept.add(segment);
      }
    }
    segments = List.copyOf(kept);
    for (Segment segment : removed) {
      // Deleted before its channel is closed, so that no reader opens it again meanwhile.
      Files.deleteIfExists(segment.file());
      segment.close();
    }
    return removed;
  }

  private void writeDeletedTo(long to, boolean forceDirectory) throws IOException {
    SegmentStore.createDirectory(dir, persistenceId);
    ByteBuffer buffer = ByteBuffer.allocate(12).putLong(to);
    CRC32C crc = new CRC32C();
    crc.update(buffer.array(), 0, 8);
    buffer.putInt((int) crc.getValue()).flip();
    Path tmp = dir.resolve(DELETED_TO + ".tmp");
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      // The marker is what hides the deleted prefix that stays on disk: always forced, whatever the fsync policy.
      channel.force(true);
    }
    Files.move(tmp, dir.resolve(DELETED_TO), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    if (forceDirectory) {
      forceDirectory(dir);
    }
  }

  private static long readDeletedTo(Path dir) throws IOException {
    Path file = dir.resolve(DELETED_TO);
    if (!Files.exists(file)) {
      return 0;
    }
    ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file));
    CRC32C crc = new CRC32C();
    crc.update(buffer.array(), 0, Math.min(8, buffer.limit()));
    if (buffer.limit() != 12 || buffer.getInt(8) != (int) crc.getValue()) {
      throw new CorruptLogException(file, 0, "a deletion marker of " + buffer.limit() + " bytes failing its checks");
    }
    return buffer.getLong(0);
  }

  static void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  @Override
  public void close() throws IOException {
    for (Segment segment : segments) {
      segment.close();
    }
  }
}
