package dev.runnel.persistence.segment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment logs of all persistence ids under one directory, and the one writer thread that changes them.
 *
 * <p>Group commit across persistence ids: callers queue framed writes; the writer takes what is queued (up to
 * {@code max-batch-bytes}), hands each touched segment file its part in one gathered {@code write}, forces each
 * touched file once when the fsync policy is {@code always}, and only then makes the entries visible and completes
 * the callers' futures. So a completed future means the bytes are in the OS (and on the disk under {@code always}).
 * The queue is bounded: when it is full, {@link #append} waits for room (call it from a thread meant for that,
 * such as the journal's pinned dispatcher).
 *
 * <p>Forcing never holds the writer back more than the policy asks: under {@code always} a batch's files and the
 * directories that gained a segment are forced together, on {@code fsync-threads} threads; under {@code interval}
 * the writer hands what it wrote since the last flush to a flusher thread, which forces it (the same way) while the
 * writer goes on writing. A store of 10,000 logs written once a second would otherwise spend the writer's time in
 * 10,000 fsyncs a second. At most {@code max-open-files} segment files are open at once ({@link OpenFiles}).
 *
 * <p>Reads run on the caller's thread, by positional reads of committed entries, and never wait for the writer.
 *
 * <p>Thread-safe.
 */
public final class SegmentStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SegmentStore.class);
  private static final int MAX_FILE_NAME_BYTES = 255;
  private static final String HASHED_PREFIX = "~";
  private static final int HASHED_READABLE_CHARS = 100;
  static final String ID_FILE = "persistence-id";
  private static final long FLUSH_BUSY_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final SegmentJournalSettings settings;
  private final OpenFiles openFiles;
  private final ConcurrentHashMap<String, SegmentLog> logs = new ConcurrentHashMap<>();
  private final BlockingQueue<Op> queue;
  private final Thread writer;
  /** Threads that force many files at once (fsync = always or interval, fsync-threads above 1), or null. */
  private final ExecutorService forcers;
  /** The thread that forces what the writer wrote in each interval (fsync = interval), or null. */
  private final ExecutorService flusher;
  /**
   * The thread that waits for room in the full queue on behalf of the callers, so that the journal actor, which
   * runs on Pekko's default dispatcher, never blocks; ops it holds are queued in the order they came.
   */
  private final ExecutorService admission;
  /** Ops handed to {@link #admission} and not in the queue yet: while any are, later ops go the same way. */
  private final AtomicInteger admitting = new AtomicInteger();
  /** Writer thread only: segments written, and directories that gained entries, since the last flush (interval). */
  private Set<Segment> dirty = new LinkedHashSet<>();
  private Set<Path> dirtyDirs = new LinkedHashSet<>();
  /** Writer thread only: the flush under way (interval), so that one flush runs at a time. */
  private CompletableFuture<Void> flushing = CompletableFuture.completedFuture(null);
  private volatile boolean closed;
  private volatile long batchesWritten;

  private sealed interface Op {
    CompletableFuture<Void> done();

    default int bytes() {
      return 0;
    }
  }

  private record Append(String persistenceId, List<EncodedWrite> writes, CompletableFuture<Void> done)
      implements Op {
    @Override
    public int bytes() {
      int bytes = 0;
      for (EncodedWrite write : writes) {
        bytes += write.bytes();
      }
      return bytes;
    }
  }

  private record Delete(String persistenceId, long toSequenceNr, CompletableFuture<Void> done) implements Op {}

  private record Stop(CompletableFuture<Void> done) implements Op {}

  private SegmentStore(SegmentJournalSettings settings) {
    this.settings = settings;
    this.openFiles = new OpenFiles(settings.maxOpenFiles());
    this.queue = new ArrayBlockingQueue<>(settings.maxQueuedWrites());
    this.writer = new Thread(this::run, "runnel-segment-writer-" + settings.dir().getFileName());
    this.writer.setDaemon(true);
    this.forcers = settings.fsync() != FsyncPolicy.NEVER && settings.fsyncThreads() > 1
        ? daemonThreads(settings.fsyncThreads(), "runnel-segment-fsync-") : null;
    this.flusher = settings.fsync() == FsyncPolicy.INTERVAL ? daemonThreads(1, "runnel-segment-flush-") : null;
    this.admission = daemonThreads(1, "runnel-segment-admission-");
  }

  private static ExecutorService daemonThreads(int threads, String name) {
    AtomicInteger count = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, task -> {
      Thread thread = new Thread(task, name + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Opens the store in {@code settings.dir()}, creating the directory, and starts its writer thread. */
  public static SegmentStore open(SegmentJournalSettings settings) throws IOException {
    Files.createDirectories(settings.dir());
    SegmentStore store = new SegmentStore(settings);
    store.writer.start();
    return store;
  }

  public SegmentJournalSettings settings() {
    return settings;
  }

  /** How many batches of appends the writer has written: fewer than the appends when group commit gathers them. */
  public long batchesWritten() {
    return batchesWritten;
  }

  /**
   * Queues the atomic writes of one persistence id, in order, without blocking: while the queue is full they wait
   * for room on the store's admission thread. The future completes when all of them are written (or fails, with
   * none of them visible), so a full queue makes callers wait longer, not their threads.
   */
  public CompletableFuture<Void> append(String persistenceId, List<EncodedWrite> writes) {
    if (writes.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return enqueue(new Append(persistenceId, List.copyOf(writes), new CompletableFuture<>()));
  }

  /** Queues the deletion of {@code persistenceId}'s events up to {@code toSequenceNr}, after the writes before it. */
  public CompletableFuture<Void> deleteTo(String persistenceId, long toSequenceNr) {
    return enqueue(new Delete(persistenceId, toSequenceNr, new CompletableFuture<>()));
  }

  private synchronized CompletableFuture<Void> enqueue(Op op) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("the segment store " + settings.dir()
          + " is closed"));
    }
    // Once an op waits for room, every later one waits behind it, so one persistence id's ops keep their order.
    if (admitting.get() == 0 && queue.offer(op)) {
      return op.done();
    }
    admitting.incrementAndGet();
    admission.execute(() -> {
      try {
        queue.put(op);
      } catch (InterruptedException e) {
        op.done().completeExceptionally(e);
      } finally {
        admitting.decrementAndGet();
      }
    });
    return op.done();
  }

  /** How many segment files are open now: at most about {@code max-open-files}. */
  public int openFiles() {
    return openFiles.size();
  }

  /** The highest sequence number ever written for {@code persistenceId}, deleted or not; 0 if none. */
  public long highestSequenceNr(String persistenceId) {
    return log(persistenceId).highestSequenceNr();
  }

  /**
   * The entries of {@code persistenceId} from {@code fromSequenceNr} to {@code toSequenceNr}, inclusive, that are
   * not deleted, in order, up to about {@code maxBytes} of payloads (always at least one entry) and
   * {@code maxEntries} entries. Payloads are slices of the buffers the files were read into.
   *
   * @throws CorruptLogException when an entry in the range fails its checks
   */
  public List<Entry> read(String persistenceId, long fromSequenceNr, long toSequenceNr, long maxBytes,
      long maxEntries) throws IOException {
    return log(persistenceId).read(fromSequenceNr, toSequenceNr, maxBytes, maxEntries);
  }

  /** The persistence ids that have a log in this store's directory. */
  public List<String> persistenceIds() throws IOException {
    List<String> ids = new ArrayList<>();
    try (Stream<Path> listing = Files.list(settings.dir())) {
      for (Path dir : (Iterable<Path>) listing.filter(Files::isDirectory)::iterator) {
        String name = dir.getFileName().toString();
        if (!name.startsWith(HASHED_PREFIX)) {
          ids.add(URLDecoder.decode(name, StandardCharsets.UTF_8));
        } else if (Files.exists(dir.resolve(ID_FILE))) {
          // A directory made but killed before its id was written holds no entry yet: it names no log.
          ids.add(Files.readString(dir.resolve(ID_FILE), StandardCharsets.UTF_8));
        }
      }
    }
    ids.sort(null);
    return ids;
  }

  /**
   * The directory name of a persistence id's log (and of its snapshots): URL-encoded, with dots and stars encoded
   * too. An id too long for a file name (a 300-character Kafka group id, a topic name near Kafka's 249 characters
   * inside a partition's id) gets {@link #HASHED_PREFIX}, a readable start of the encoding and the SHA-256 of the
   * whole id; its directory then keeps the id in {@link #ID_FILE} (see {@link #createDirectory}). URL encoding
   * never yields {@code ~}, so the two kinds of name cannot collide.
   */
  static String directoryName(String persistenceId) {
    if (persistenceId.isEmpty()) {
      throw new IllegalArgumentException("the segment journal needs a non-empty persistence id");
    }
    String name = URLEncoder.encode(persistenceId, StandardCharsets.UTF_8).replace(".", "%2E").replace("*", "%2A");
    if (name.length() <= MAX_FILE_NAME_BYTES) {
      return name;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(persistenceId.getBytes(StandardCharsets.UTF_8));
      return HASHED_PREFIX + name.substring(0, HASHED_READABLE_CHARS) + "-" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * Creates the directory of a persistence id named by {@link #directoryName}; for a hashed name the id is written
   * into it first (atomically), so {@link #persistenceIds} can name it.
   */
  static void createDirectory(Path dir, String persistenceId) throws IOException {
    Files.createDirectories(dir);
    Path idFile = dir.resolve(ID_FILE);
    if (dir.getFileName().toString().startsWith(HASHED_PREFIX) && !Files.exists(idFile)) {
      Path tmp = dir.resolve(ID_FILE + ".tmp");
      Files.writeString(tmp, persistenceId, StandardCharsets.UTF_8);
      Files.move(tmp, idFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private SegmentLog log(String persistenceId) {
    return logs.computeIfAbsent(persistenceId, id -> {
      try {
        return SegmentLog.open(id, settings.dir().resolve(directoryName(id)), settings, openFiles);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the segment log of " + id, e);
      }
    });
  }

  // ---- the writer thread ----

  private void run() {
    List<Op> batch = new ArrayList<>();
    long intervalNanos = settings.fsyncInterval().toNanos();
    long nextForce = 0;
    try {
      while (true) {
        Op first;
        if (nextForce == 0) {
          first = queue.take();
        } else {
          long wait = Math.max(0, nextForce - System.nanoTime());
          // Due, but the last flush still runs: look again shortly rather than spin.
          first = queue.poll(wait == 0 && !flushing.isDone() ? FLUSH_BUSY_NANOS : wait, TimeUnit.NANOSECONDS);
        }
        boolean stop = false;
        if (first != null) {
          batch.add(first);
          int bytes = first.bytes();
          Op next;
          while (bytes < settings.maxBatchBytes() && (next = queue.poll()) != null) {
            batch.add(next);
            bytes += next.bytes();
          }
          stop = process(batch);
          batch.clear();
        }
        if (settings.fsync() == FsyncPolicy.INTERVAL && !(dirty.isEmpty() && dirtyDirs.isEmpty())) {
          if (nextForce == 0) {
            nextForce = System.nanoTime() + intervalNanos;
          } else if (System.nanoTime() - nextForce >= 0 && flushing.isDone()) {
            flushing = flushDirty();
            nextForce = 0;
          }
        }
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      log.warn("Segment writer of {} interrupted; queued writes fail", settings.dir());
      for (Op op : batch) {
        op.done().completeExceptionally(e);
      }
      Op op;
      while ((op = queue.poll()) != null) {
        op.done().completeExceptionally(e);
      }
    }
  }

  /** Runs a batch in order: appends between deletions are written together. Returns whether it held a stop. */
  private boolean process(List<Op> batch) {
    List<Append> group = new ArrayList<>();
    for (Op op : batch) {
      if (op instanceof Append append) {
        group.add(append);
        continue;
      }
      writeGroup(group);
      group.clear();
      if (op instanceof Delete delete) {
        delete(delete);
      } else if (op instanceof Stop stop) {
        stop(stop);
        return true;
      }
    }
    writeGroup(group);
    return false;
  }

  /** The part of one batch that goes to one segment file. */
  private static final class Pending {
    final Segment segment;
    final List<ByteBuffer> buffers = new ArrayList<>();
    final List<long[]> indexEntries = new ArrayList<>();
    long end;
    long lastSequenceNr;

    Pending(Segment segment) {
      this.segment = segment;
      this.end = segment.size();
      this.lastSequenceNr = segment.lastSequenceNr();
    }

    void add(EncodedWrite write, int indexIntervalBytes) {
      long[] sequenceNrs = write.sequenceNrs();
      int[] offsets = write.offsets();
      for (int i = 0; i < sequenceNrs.length; i++) {
        long position = end + offsets[i];
        if (segment.shouldIndex(position, indexIntervalBytes)) {
          indexEntries.add(new long[] {sequenceNrs[i], position});
        }
      }
      buffers.add(write.frames().duplicate());
      end += write.bytes();
      lastSequenceNr = write.lastSequenceNr();
    }

    void write() throws IOException {
      ByteBuffer[] sources = buffers.toArray(ByteBuffer[]::new);
      segment.with(channel -> {
        channel.position(segment.size());
        int first = 0;
        while (first < sources.length) {
          channel.write(sources, first, sources.length - first);
          while (first < sources.length && !sources[first].hasRemaining()) {
            first++;
          }
        }
        return null;
      });
    }

    void commit() {
      for (long[] entry : indexEntries) {
        segment.addIndexEntry(entry[0], entry[1]);
      }
      segment.commit(end, lastSequenceNr);
    }

    void rollBack() {
      try {
        segment.with(channel -> channel.truncate(segment.size()));
      } catch (IOException e) {
        log.error("Cannot cut {} back to {} after a failed write", segment.file(), segment.size(), e);
      }
      segment.resetIndexCursor(segment.size());
    }
  }

  private void writeGroup(List<Append> group) {
    if (group.isEmpty()) {
      return;
    }
    Map<Segment, Pending> pendings = new LinkedHashMap<>();
    Map<SegmentLog, Long> before = new HashMap<>();
    Set<SegmentLog> grown = new HashSet<>();
    List<Append> accepted = new ArrayList<>();
    try {
      for (Append append : group) {
        SegmentLog segmentLog;
        try {
          segmentLog = log(append.persistenceId());
        } catch (RuntimeException e) {
          append.done().completeExceptionally(e);
          continue;
        }
        long first = append.writes().get(0).firstSequenceNr();
        if (first <= segmentLog.writtenSequenceNr()) {
          append.done().completeExceptionally(new IllegalStateException("sequence number " + first + " of "
              + append.persistenceId() + " is not above the highest written, " + segmentLog.writtenSequenceNr()));
          continue;
        }
        before.putIfAbsent(segmentLog, segmentLog.writtenSequenceNr());
        for (EncodedWrite write : append.writes()) {
          List<Segment> segments = segmentLog.segments();
          Segment active = segments.isEmpty() ? null : segments.get(segments.size() - 1);
          Pending activePending = active == null ? null : pendings.get(active);
          long pendingEnd = activePending != null ? activePending.end : active != null ? active.size() : 0;
          boolean[] created = {false};
          Segment segment = segmentLog.segmentFor(write.firstSequenceNr(), pendingEnd, created);
          if (created[0]) {
            grown.add(segmentLog);
          }
          pendings.computeIfAbsent(segment, Pending::new).add(write, settings.indexIntervalBytes());
          segmentLog.written(write.lastSequenceNr());
        }
        accepted.add(append);
      }
      for (Pending pending : pendings.values()) {
        pending.write();
      }
      // A new segment file must survive a power loss as an entry of its directory, and a new log's directory as an
      // entry of the store's.
      Set<Path> grownDirs = new LinkedHashSet<>();
      for (SegmentLog segmentLog : grown) {
        grownDirs.add(segmentLog.dir());
        grownDirs.add(settings.dir());
      }
      if (settings.fsync() == FsyncPolicy.ALWAYS) {
        force(pendings.values().stream().map(pending -> pending.segment).toList(), grownDirs);
      } else if (settings.fsync() == FsyncPolicy.INTERVAL) {
        dirtyDirs.addAll(grownDirs);
      }
    } catch (IOException | RuntimeException e) {
      log.error("Segment write of {} appends failed", accepted.size(), e);
      for (Pending pending : pendings.values()) {
        pending.rollBack();
      }
      before.forEach(SegmentLog::rollBackTo);
      for (Append append : accepted) {
        append.done().completeExceptionally(e);
      }
      return;
    }
    for (Pending pending : pendings.values()) {
      pending.commit();
      if (settings.fsync() == FsyncPolicy.INTERVAL) {
        dirty.add(pending.segment);
      }
    }
    for (SegmentLog segmentLog : before.keySet()) {
      segmentLog.publish(segmentLog.writtenSequenceNr());
    }
    batchesWritten++;
    for (Append append : accepted) {
      append.done().complete(null);
    }
  }

  /**
   * Forces files and directories. Each persistence id has its own files, so a batch (or an interval) across many
   * ids touches many; forced one after another they would cost one disk flush each, forced at once the file system
   * can commit them together.
   */
  private void force(Collection<Segment> segments, Collection<Path> dirs) throws IOException {
    List<Callable<Void>> tasks = new ArrayList<>(segments.size() + dirs.size());
    for (Segment segment : segments) {
      tasks.add(() -> segment.with(channel -> {
        channel.force(false);
        return null;
      }));
    }
    for (Path dir : dirs) {
      tasks.add(() -> {
        SegmentLog.forceDirectory(dir);
        return null;
      });
    }
    if (tasks.size() == 1 || forcers == null) {
      for (Callable<Void> task : tasks) {
        try {
          task.call();
        } catch (IOException | RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IOException(e);
        }
      }
      return;
    }
    List<Future<Void>> forced = new ArrayList<>(tasks.size());
    for (Callable<Void> task : tasks) {
      forced.add(forcers.submit(task));
    }
    IOException failure = null;
    for (Future<Void> future : forced) {
      try {
        future.get();
      } catch (ExecutionException e) {
        failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new IOException("interrupted while forcing a batch to disk", e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void delete(Delete delete) {
    try {
      List<Segment> removed = log(delete.persistenceId())
          .deleteTo(delete.toSequenceNr(), settings.fsync() != FsyncPolicy.NEVER);
      removed.forEach(dirty::remove);
      delete.done().complete(null);
    } catch (IOException | RuntimeException e) {
      delete.done().completeExceptionally(e);
    }
  }

  /** Writer thread: hands what was written since the last flush to the flusher, and starts afresh. */
  private CompletableFuture<Void> flushDirty() {
    Set<Segment> segments = dirty;
    Set<Path> dirs = dirtyDirs;
    dirty = new LinkedHashSet<>();
    dirtyDirs = new LinkedHashSet<>();
    return CompletableFuture.runAsync(() -> forceWritten(segments, dirs), flusher);
  }

  /** Forces what an interval wrote; its writes were acknowledged already, so a failure can only be reported. */
  private void forceWritten(Set<Segment> segments, Set<Path> dirs) {
    try {
      force(segments, dirs);
    } catch (ClosedChannelException | NoSuchFileException e) {
      // A segment deleted since it was written: nothing of it needs to reach the disk. Force the rest one by one.
      for (Segment segment : segments) {
        try {
          force(List.of(segment), List.of());
        } catch (ClosedChannelException | NoSuchFileException deleted) {
          log.debug("Segment {} was deleted before its flush", segment.file());
        } catch (IOException failed) {
          log.error("Cannot force {} to disk", segment.file(), failed);
        }
      }
    } catch (IOException e) {
      log.error("Cannot force {} segment files and {} directories of {} to disk", segments.size(), dirs.size(),
          settings.dir(), e);
    }
  }

  private void stop(Stop stop) {
    if (settings.fsync() == FsyncPolicy.INTERVAL) {
      flushing.join();
      flushDirty().join();
      flusher.shutdown();
    }
    for (SegmentLog segmentLog : logs.values()) {
      try {
        segmentLog.close();
      } catch (IOException e) {
        log.warn("Cannot close the segment log of {}", segmentLog.persistenceId(), e);
      }
    }
    if (forcers != null) {
      forcers.shutdown();
    }
    Op late;
    while ((late = queue.poll()) != null) {
      late.done().completeExceptionally(new IllegalStateException("the segment store " + settings.dir()
          + " is closed"));
    }
    stop.done().complete(null);
  }

  /** Writes what is queued, forces it unless the policy is {@code never}, and closes every file. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    try {
      // The writer is still taking ops, so the ops waiting for room get in ahead of the Stop.
      admission.shutdown();
      admission.awaitTermination(30, TimeUnit.SECONDS);
      queue.put(new Stop(stopped));
      stopped.get(30, TimeUnit.SECONDS);
      writer.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      log.error("Segment store {} did not close cleanly", settings.dir(), e);
    }
  }
}
