package dev.runnel.persistence.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class SegmentStoreTest {

  private static final String PID = "partition|topic-0";

  @TempDir
  Path dir;

  private SegmentJournalSettings settings(long segmentBytes, FsyncPolicy fsync) {
    return settings(segmentBytes, fsync, 2048);
  }

  private SegmentJournalSettings settings(long segmentBytes, FsyncPolicy fsync, int maxOpenFiles) {
    return new SegmentJournalSettings(dir, segmentBytes, 256, fsync, Duration.ofMillis(50), 1 << 20, 64, 1 << 20, 4,
        maxOpenFiles);
  }

  private static EncodedWrite single(long sequenceNr, int payloadBytes) {
    return EncodedWrite.of(List.of(entry(sequenceNr, true, payloadBytes)));
  }

  private static Entry entry(long sequenceNr, boolean ends, int payloadBytes) {
    byte[] payload = new byte[payloadBytes];
    java.util.Arrays.fill(payload, (byte) sequenceNr);
    return new Entry(sequenceNr, ends, sequenceNr, 1, "", "", "w", ByteBuffer.wrap(payload));
  }

  private static void append(SegmentStore store, String pid, long from, long to, int payloadBytes) throws Exception {
    for (long seq = from; seq <= to; seq++) {
      store.append(pid, List.of(single(seq, payloadBytes))).get(10, TimeUnit.SECONDS);
    }
  }

  private static List<Long> sequenceNrs(List<Entry> entries) {
    return entries.stream().map(Entry::sequenceNr).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> range = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      range.add(i);
    }
    return range;
  }

  private Path logDir(String pid) {
    return dir.resolve(SegmentStore.directoryName(pid));
  }

  private List<Path> segmentFiles(String pid) throws IOException {
    try (Stream<Path> files = Files.list(logDir(pid))) {
      return files.filter(f -> f.toString().endsWith(".log")).sorted().toList();
    }
  }

  @ParameterizedTest
  @EnumSource(FsyncPolicy.class)
  void when_eventsAreAppended_then_theyReadBackInOrderWithTheirPayloads_underEveryFsyncPolicy(FsyncPolicy fsync)
      throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, fsync))) {
      append(store, PID, 1, 50, 100);
      assertEquals(50, store.highestSequenceNr(PID));
      List<Entry> entries = store.read(PID, 1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
      assertEquals(range(1, 50), sequenceNrs(entries));
      for (Entry entry : entries) {
        assertEquals(100, entry.payload().remaining());
        assertEquals((byte) entry.sequenceNr(), entry.payload().get(entry.payload().position()));
      }
      assertEquals(range(10, 20), sequenceNrs(store.read(PID, 10, 20, Long.MAX_VALUE, Long.MAX_VALUE)));
      assertEquals(range(10, 14), sequenceNrs(store.read(PID, 10, 20, Long.MAX_VALUE, 5)));
    }
  }

  @Test
  void when_aReadHasAByteBudget_then_itStopsBeforePassingItButAlwaysReturnsOneEntry() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 10, 100);
      assertEquals(range(1, 3), sequenceNrs(store.read(PID, 1, 10, 350, Long.MAX_VALUE)), "100 payload bytes each");
      assertEquals(List.of(1L), sequenceNrs(store.read(PID, 1, 10, 1, Long.MAX_VALUE)));
    }
  }

  @Test
  void when_aSegmentReachesTheSegmentSize_then_aNewOneStartsNamedAfterItsFirstSequenceNumber() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 100, 100);
      List<Path> files = segmentFiles(PID);
      assertTrue(files.size() >= 10, "100 entries of ~150 bytes in 1 KiB segments make at least 10, not "
          + files.size());
      long previousBase = 0;
      for (Path file : files) {
        long base = Segment.baseOf(file);
        assertTrue(base > previousBase);
        List<Entry> first = store.read(PID, base, base, Long.MAX_VALUE, 1);
        assertEquals(List.of(base), sequenceNrs(first), "a segment's name is its first sequence number");
        assertTrue(Files.size(file) < 1024 + entry(1, true, 100).frameBytes(), "a segment passes its size by at "
            + "most one atomic write");
        previousBase = base;
      }
      assertEquals(range(1, 100), sequenceNrs(store.read(PID, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
      assertEquals(range(37, 64), sequenceNrs(store.read(PID, 37, 64, Long.MAX_VALUE, Long.MAX_VALUE)));
    }
  }

  @Test
  void when_aSegmentIsWrittenOrReopened_then_itsSparseIndexHasAnEntryPerIndexInterval() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 200, 100);
      SegmentLog log = SegmentLog.open(PID, logDir(PID), settings(1 << 20, FsyncPolicy.NEVER),
          new OpenFiles(16));
      long bytes = Files.size(segmentFiles(PID).get(0));
      int expected = (int) Math.ceil(bytes / (double) (256 + entry(1, true, 100).frameBytes() - 1));
      int reopened = indexSize(log);
      log.close();
      assertTrue(reopened >= expected && reopened <= bytes / 256 + 1, "an index entry about every 256 bytes of "
          + bytes + ", not " + reopened);
    }
  }

  private static int indexSize(SegmentLog log) throws Exception {
    java.lang.reflect.Field field = Segment.class.getDeclaredField("index");
    field.setAccessible(true);
    return ((SparseIndex) field.get(log.segments().get(0))).size();
  }

  @Test
  void when_eventsAreDeleted_then_wholeSegmentsBehindGoTheRestIsHiddenAndBothSurviveAReopen() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.ALWAYS))) {
      append(store, PID, 1, 100, 100);
      int before = segmentFiles(PID).size();
      store.deleteTo(PID, 50).get(10, TimeUnit.SECONDS);
      List<Path> after = segmentFiles(PID);
      assertTrue(after.size() < before, "segments holding only deleted events are removed");
      assertTrue(Segment.baseOf(after.get(0)) <= 51, "the segment holding event 51 stays");
      assertEquals(range(51, 100), sequenceNrs(store.read(PID, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
    }
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.ALWAYS))) {
      assertEquals(range(51, 100), sequenceNrs(store.read(PID, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)),
          "the deletion marker hides the rest of the deleted prefix after a restart");
      assertEquals(100, store.highestSequenceNr(PID));
      store.deleteTo(PID, Long.MAX_VALUE).get(10, TimeUnit.SECONDS);
      assertEquals(List.of(), store.read(PID, 1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE));
      assertEquals(List.of(), segmentFiles(PID), "with every event deleted the active segment goes too");
    }
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.ALWAYS))) {
      assertEquals(100, store.highestSequenceNr(PID), "deleting everything never lowers the highest sequence nr");
      append(store, PID, 101, 101, 10);
      assertEquals(List.of(101L), sequenceNrs(store.read(PID, 1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE)));
      assertEquals(101, Segment.baseOf(segmentFiles(PID).get(0)), "the next write starts a new segment");
    }
  }

  @Test
  void when_aWriteDoesNotGoAboveTheHighestSequenceNumber_then_itFailsAndTheLogIsUnchanged() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 5, 10);
      CompletableFuture<Void> duplicate = store.append(PID, List.of(single(5, 10)));
      ExecutionException failure = assertThrows(ExecutionException.class, () -> duplicate.get(10, TimeUnit.SECONDS));
      assertTrue(failure.getCause().getMessage().contains("not above the highest written, 5"));
      append(store, PID, 6, 6, 10);
      assertEquals(range(1, 6), sequenceNrs(store.read(PID, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
    }
  }

  @Test
  void when_theTailIsCutMidEntry_then_recoveryCutsBackToTheLastWholeEntryAndWritesGoOn() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 10, 100);
    }
    Path file = segmentFiles(PID).get(0);
    long size = Files.size(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(size - 7);
    }
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      assertEquals(9, store.highestSequenceNr(PID));
      assertEquals(size - entry(10, true, 100).frameBytes(), Files.size(file), "cut to the end of entry 9");
      append(store, PID, 10, 12, 100);
      assertEquals(range(1, 12), sequenceNrs(store.read(PID, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
    }
  }

  @Test
  void when_theTailHasGarbageOrZeros_then_recoveryCutsItOff() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 3, 100);
    }
    Path file = segmentFiles(PID).get(0);
    long size = Files.size(file);
    Files.write(file, new byte[4096], StandardOpenOption.APPEND);
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      assertEquals(3, store.highestSequenceNr(PID));
      assertEquals(size, Files.size(file));
    }
    ByteBuffer forged = ByteBuffer.allocate(200);
    forged.putInt(150).putInt(12345).put(new byte[150]).flip();
    Files.write(file, forged.array(), StandardOpenOption.APPEND);
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      assertEquals(3, store.highestSequenceNr(PID), "an entry failing its CRC at the tail is torn, not data");
      assertEquals(size, Files.size(file));
    }
  }

  @Test
  void when_theTailEndsInsideAnAtomicWrite_then_recoveryDropsTheWholeAtomicWrite() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 2, 100);
      store.append(PID, List.of(EncodedWrite.of(List.of(entry(3, false, 100), entry(4, false, 100),
          entry(5, true, 100))))).get(10, TimeUnit.SECONDS);
    }
    Path file = segmentFiles(PID).get(0);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 20);
    }
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      assertEquals(2, store.highestSequenceNr(PID), "events 3 and 4 are whole but their atomic write is not");
      assertEquals(range(1, 2), sequenceNrs(store.read(PID, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
    }
  }

  @Test
  void when_aByteFlipsInAClosedSegment_then_readingItFailsNamingFileAndPositionWhileOtherReadsWork()
      throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 40, 100);
    }
    Path first = segmentFiles(PID).get(0);
    int frame = entry(1, true, 100).frameBytes();
    long position = 2L * frame;
    flip(first, position + frame - 5);
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.NEVER))) {
      assertEquals(40, store.highestSequenceNr(PID));
      assertEquals(range(1, 2), sequenceNrs(store.read(PID, 1, 2, Long.MAX_VALUE, Long.MAX_VALUE)));
      CorruptLogException corrupt = assertThrows(CorruptLogException.class,
          () -> store.read(PID, 1, 40, Long.MAX_VALUE, Long.MAX_VALUE));
      assertEquals(first, corrupt.file());
      assertEquals(position, corrupt.position(), "the position of entry 3");
      assertTrue(corrupt.getMessage().contains(first.toString()) && corrupt.getMessage().contains("CRC32C"));
      assertEquals(range(20, 40), sequenceNrs(store.read(PID, 20, 40, Long.MAX_VALUE, Long.MAX_VALUE)),
          "later segments read on");
    }
  }

  @Test
  void when_aLengthFieldBreaksInAClosedSegment_then_theSegmentIsNotRepairedButReadsFailThere() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.NEVER))) {
      append(store, PID, 1, 40, 100);
    }
    Path first = segmentFiles(PID).get(0);
    long sizeBefore = Files.size(first);
    int frame = entry(1, true, 100).frameBytes();
    flip(first, 3L * frame);
    try (SegmentStore store = SegmentStore.open(settings(1024, FsyncPolicy.NEVER))) {
      assertEquals(sizeBefore, Files.size(first), "a closed segment is never cut");
      CorruptLogException corrupt = assertThrows(CorruptLogException.class,
          () -> store.read(PID, 4, 10, Long.MAX_VALUE, Long.MAX_VALUE));
      assertEquals(3L * frame, corrupt.position());
    }
  }

  static void flip(Path file, long position) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
      channel.write(one, position);
    }
  }

  @Test
  void when_manyWritersAppendAtOnce_then_everyWriteCompletesAndEachLogKeepsItsOrder() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(64 * 1024, FsyncPolicy.ALWAYS))) {
      int writers = 20;
      int perWriter = 50;
      List<CompletableFuture<Void>> all = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String pid = "p-" + w;
        Thread thread = new Thread(() -> {
          for (long seq = 1; seq <= perWriter; seq++) {
            CompletableFuture<Void> done = store.append(pid, List.of(single(seq, 200)));
            synchronized (all) {
              all.add(done);
            }
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      for (int w = 0; w < writers; w++) {
        assertEquals(range(1, perWriter), sequenceNrs(store.read("p-" + w, 1, Long.MAX_VALUE, Long.MAX_VALUE,
            Long.MAX_VALUE)));
      }
      assertTrue(store.batchesWritten() < (long) writers * perWriter, "group commit: "
          + store.batchesWritten() + " batches for " + writers * perWriter + " queued appends");
      assertEquals(List.of("p-0", "p-1", "p-10"), store.persistenceIds().subList(0, 3));
    }
  }

  @Test
  void when_theWriteQueueIsFull_then_appendsReturnAtOnceAndAreWrittenInTheOrderTheyCame() throws Exception {
    SegmentJournalSettings one = settings(1 << 20, FsyncPolicy.ALWAYS);
    one = new SegmentJournalSettings(dir, one.segmentBytes(), one.indexIntervalBytes(), one.fsync(),
        one.fsyncInterval(), one.maxBatchBytes(), 1, one.maxEntryBytes(), one.fsyncThreads(), one.maxOpenFiles());
    try (SegmentStore store = SegmentStore.open(one)) {
      int perLog = 200;
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (long seq = 1; seq <= perLog; seq++) {
        for (int log = 0; log < 3; log++) {
          all.add(store.append("p-" + log, List.of(single(seq, 32 * 1024))));
        }
        if (seq == perLog / 2) {
          all.add(store.deleteTo("p-0", seq));
        }
      }
      // With a queue of one, a caller that waited for room would find at most two ops unfinished here (one
      // queued, one being written); these calls only handed theirs over.
      long unfinished = all.stream().filter(done -> !done.isDone()).count();
      assertTrue(unfinished > 2, unfinished + " of " + all.size() + " ops unfinished when the last was handed over");
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertEquals(range(perLog / 2 + 1, perLog), sequenceNrs(store.read("p-0", 1, Long.MAX_VALUE, Long.MAX_VALUE,
          Long.MAX_VALUE)));
      for (int log = 1; log < 3; log++) {
        assertEquals(range(1, perLog), sequenceNrs(store.read("p-" + log, 1, Long.MAX_VALUE, Long.MAX_VALUE,
            Long.MAX_VALUE)));
      }
    }
  }

  @Test
  void when_aPersistenceIdHasOddCharacters_then_itsDirectoryNameIsSafeAndDecodesBack() throws Exception {
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      for (String pid : List.of("..", "a/b", "x y+z", "*", "Ünï|cødé")) {
        append(store, pid, 1, 1, 1);
        assertTrue(Files.isDirectory(dir.resolve(SegmentStore.directoryName(pid))));
        assertEquals(dir, dir.resolve(SegmentStore.directoryName(pid)).getParent());
      }
      assertEquals(List.of("*", "..", "a/b", "x y+z", "Ünï|cødé").stream().sorted().toList(),
          store.persistenceIds());
    }
  }

  @Test
  void when_aPersistenceIdIsTooLongForAFileName_then_itsLogLivesUnderAHashedNameAndIsListedByItsId()
      throws Exception {
    String group = "group|" + "t".repeat(300);
    String other = "group|" + "t".repeat(299) + "u";
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      append(store, group, 1, 3, 10);
      append(store, other, 1, 1, 10);
      assertTrue(SegmentStore.directoryName(group).length() <= 255);
      assertTrue(!SegmentStore.directoryName(group).equals(SegmentStore.directoryName(other)),
          "ids sharing a long prefix get names of their own");
      assertEquals(List.of(group, other).stream().sorted().toList(), store.persistenceIds());
    }
    try (SegmentStore store = SegmentStore.open(settings(1 << 20, FsyncPolicy.NEVER))) {
      assertEquals(range(1, 3), sequenceNrs(store.read(group, 1, 10, Long.MAX_VALUE, Long.MAX_VALUE)),
          "found again after a reopen");
    }
  }

  @ParameterizedTest
  @EnumSource(FsyncPolicy.class)
  void when_moreLogsAreUsedThanMaxOpenFiles_then_atMostThatManyStayOpenAndEveryLogReadsAndWritesOn(FsyncPolicy fsync)
      throws Exception {
    int logs = 40;
    int maxOpen = 5;
    try (SegmentStore store = SegmentStore.open(settings(4096, fsync, maxOpen))) {
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < logs; i++) {
          // 3 entries of 2,000 bytes per round: every log rolls a segment now and then, opening new files.
          append(store, "log-" + i, round * 3L + 1, round * 3L + 3, 2000);
          assertTrue(store.openFiles() <= maxOpen, "open segment files: " + store.openFiles() + " of at most "
              + maxOpen);
        }
      }
      for (int i = 0; i < logs; i++) {
        List<Entry> entries = store.read("log-" + i, 1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
        assertEquals(range(1, 9), sequenceNrs(entries), "log-" + i + " after its files were closed and reopened");
        assertEquals((byte) 9, entries.get(8).payload().get(0), "the last payload of log-" + i);
      }
      assertTrue(store.openFiles() <= maxOpen, "open after reading every log: " + store.openFiles());
      store.deleteTo("log-0", 9).get(10, TimeUnit.SECONDS);
      append(store, "log-0", 10, 10, 100);
      assertEquals(List.of(10L), sequenceNrs(store.read("log-0", 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
    }
    try (SegmentStore reopened = SegmentStore.open(settings(4096, fsync, maxOpen))) {
      for (int i = 1; i < logs; i++) {
        assertEquals(range(1, 9), sequenceNrs(reopened.read("log-" + i, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
      }
      assertTrue(reopened.openFiles() <= maxOpen, "open after recovering every log: " + reopened.openFiles());
    }
  }

  @Test
  void when_readsRunWhileWritesForceOtherFilesOpenAndClosed_then_everyReadSeesWholeEntries() throws Exception {
    int logs = 12;
    try (SegmentStore store = SegmentStore.open(settings(8192, FsyncPolicy.INTERVAL, 3))) {
      for (int i = 0; i < logs; i++) {
        append(store, "log-" + i, 1, 1, 500);
      }
      CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
        try {
          for (int pass = 0; pass < 200; pass++) {
            String pid = "log-" + pass % logs;
            List<Entry> entries = store.read(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
            assertEquals(range(1, entries.size()), sequenceNrs(entries), pid + " reads as a gapless prefix");
          }
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      for (long seq = 2; seq <= 30; seq++) {
        for (int i = 0; i < logs; i++) {
          store.append("log-" + i, List.of(single(seq, 500)));
        }
      }
      append(store, "log-0", 31, 31, 500);
      reader.get(30, TimeUnit.SECONDS);
      for (int i = 1; i < logs; i++) {
        assertEquals(range(1, 30), sequenceNrs(store.read("log-" + i, 1, 100, Long.MAX_VALUE, Long.MAX_VALUE)));
      }
    }
  }
}
