package dev.runnel.persistence.segment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open file channels of one store's segments, at most {@code max-open-files} of them: a segment's channel is
 * opened when it is used and the least recently used ones that no one is using are closed beyond the limit. With one
 * active segment per persistence id, a node of 10,000 partitions would otherwise hold 10,000 descriptors, and more
 * than the process may have.
 *
 * <p>A channel is used through {@link #with}, which holds it open for the length of the call: a write, a force or a
 * read never sees its channel closed under it. When every open channel is in use the limit is exceeded rather than
 * wait. A reopened channel sees everything written through the one closed before it (the OS keeps the file's pages,
 * and {@code fsync} forces a file's data whatever descriptor wrote it).
 *
 * <p>Thread-safe.
 */
final class OpenFiles {

  private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);

  /** Work on an open channel. */
  @FunctionalInterface
  interface ChannelWork<T> {
    T apply(FileChannel channel) throws IOException;
  }

  private static final class Handle {
    final FileChannel channel;
    int users;

    Handle(FileChannel channel) {
      this.channel = channel;
    }
  }

  private final int max;
  /** In access order: the eldest is the least recently used. */
  private final LinkedHashMap<Path, Handle> open = new LinkedHashMap<>(64, 0.75f, true);
  private long opened;

  OpenFiles(int max) {
    if (max <= 0) {
      throw new IllegalArgumentException("runnel.segment-journal.max-open-files must be positive, not " + max);
    }
    this.max = max;
  }

  /**
   * Runs {@code work} on the channel of {@code file}, opening it (read and write) if it is not open, and keeps it
   * open until {@code work} returns.
   */
  <T> T with(Path file, ChannelWork<T> work) throws IOException {
    Handle handle = acquire(file, null);
    try {
      return work.apply(handle.channel);
    } finally {
      release(handle);
    }
  }

  /** Registers the channel of a file just created or opened, as most recently used. */
  void add(Path file, FileChannel channel) throws IOException {
    release(acquire(file, channel));
  }

  /** Closes the channel of {@code file} (its segment was deleted or the store closes); the next use reopens it. */
  void close(Path file) throws IOException {
    Handle handle;
    synchronized (this) {
      handle = open.remove(file);
    }
    if (handle != null) {
      // A user still inside with() sees ClosedChannelException, as it would for a deleted file.
      handle.channel.close();
    }
  }

  /** How many channels are open. */
  synchronized int size() {
    return open.size();
  }

  /** How many times a channel was opened: more than the files means channels were closed and opened again. */
  synchronized long opened() {
    return opened;
  }

  private Handle acquire(Path file, FileChannel given) throws IOException {
    List<FileChannel> evicted;
    Handle handle;
    synchronized (this) {
      handle = open.get(file);
      if (handle == null) {
        FileChannel channel = given != null ? given
            : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        handle = new Handle(channel);
        open.put(file, handle);
        opened++;
      } else if (given != null && given != handle.channel) {
        given.close();
      }
      handle.users++;
      evicted = evict();
    }
    for (FileChannel channel : evicted) {
      try {
        channel.close();
      } catch (IOException e) {
        log.warn("Cannot close a segment file beyond max-open-files", e);
      }
    }
    return handle;
  }

  private synchronized void release(Handle handle) {
    handle.users--;
  }

  /** Under the lock: takes the least recently used unused channels beyond the limit out, to be closed. */
  private List<FileChannel> evict() {
    List<FileChannel> evicted = new ArrayList<>();
    Iterator<Map.Entry<Path, Handle>> eldest = open.entrySet().iterator();
    while (open.size() > max && eldest.hasNext()) {
      Handle handle = eldest.next().getValue();
      if (handle.users == 0) {
        eldest.remove();
        evicted.add(handle.channel);
      }
    }
    return evicted;
  }
}
