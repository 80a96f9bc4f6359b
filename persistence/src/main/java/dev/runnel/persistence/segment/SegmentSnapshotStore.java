package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;

/**
 * Snapshot store of the segment journal ({@code pekko.persistence.snapshot-store.plugin =
 * "runnel.segment-snapshot-store"}): one file per snapshot, {@code <dir>/<persistence id>/<seq>-<timestamp>.snapshot},
 * written to a temporary file, forced (when {@code fsync} is on) and renamed into place, so a snapshot is either
 * whole or absent. A file is a CRC32C of the rest, the serializer id, the manifest and the serialized snapshot;
 * one that fails its CRC fails the load, naming the file, rather than being skipped.
 *
 * <p>File I/O runs on the {@code io-dispatcher}.
 */
public final class SegmentSnapshotStore extends SnapshotStore {

  private static final String SUFFIX = ".snapshot";

  private final Path dir;
  private final boolean fsync;
  private final Serialization serialization;
  private final ExecutionContext io;

  private record SnapshotFile(Path file, long sequenceNr, long timestamp) {}

  public SegmentSnapshotStore(Config config) {
    this.dir = Path.of(config.getString("dir")).toAbsolutePath().normalize();
    this.fsync = config.getBoolean("fsync");
    this.serialization = SerializationExtension.get(context().system());
    this.io = context().system().dispatchers().lookup(config.getString("io-dispatcher"));
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(() -> {
      List<SnapshotFile> matching = matching(persistenceId, criteria);
      if (matching.isEmpty()) {
        return Optional.empty();
      }
      SnapshotFile newest = matching.get(matching.size() - 1);
      Object snapshot = read(newest.file());
      return Optional.of(SelectedSnapshot.create(
          new SnapshotMetadata(persistenceId, newest.sequenceNr(), newest.timestamp()), snapshot));
    }, io);
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    return Futures.future(() -> {
      Serializer serializer = serialization.findSerializerFor(snapshot);
      byte[] manifest = Serializers.manifestFor(serializer, snapshot).getBytes(StandardCharsets.UTF_8);
      byte[] bytes = serialization.serialize(snapshot).get();
      ByteBuffer content = ByteBuffer.allocate(4 + 4 + 4 + manifest.length + bytes.length);
      content.position(4);
      content.putInt(serializer.identifier()).putInt(manifest.length).put(manifest).put(bytes);
      CRC32C crc = new CRC32C();
      crc.update(content.array(), 4, content.capacity() - 4);
      content.putInt(0, (int) crc.getValue()).flip();
      Path pidDir = dir.resolve(SegmentStore.directoryName(metadata.persistenceId()));
      boolean newDir = !Files.isDirectory(pidDir);
      SegmentStore.createDirectory(pidDir, metadata.persistenceId());
      Path tmp = pidDir.resolve(UUID.randomUUID() + ".tmp");
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        while (content.hasRemaining()) {
          channel.write(content);
        }
        if (fsync) {
          channel.force(true);
        }
      }
      Files.move(tmp, pidDir.resolve(fileName(metadata.sequenceNr(), metadata.timestamp())),
          StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (fsync) {
        SegmentLog.forceDirectory(pidDir);
        if (newDir) {
          // The first snapshot of a persistence id also needs its directory to be an entry of the store's.
          SegmentLog.forceDirectory(dir);
        }
      }
      return null;
    }, io);
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    return Futures.future(() -> {
      for (SnapshotFile file : files(metadata.persistenceId())) {
        // A timestamp of 0 means any: Pekko deletes by sequence number then.
        if (file.sequenceNr() == metadata.sequenceNr()
            && (metadata.timestamp() == 0 || file.timestamp() == metadata.timestamp())) {
          Files.deleteIfExists(file.file());
        }
      }
      return null;
    }, io);
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return Futures.future(() -> {
      for (SnapshotFile file : matching(persistenceId, criteria)) {
        Files.deleteIfExists(file.file());
      }
      return null;
    }, io);
  }

  private static String fileName(long sequenceNr, long timestamp) {
    return String.format("%020d-%020d%s", sequenceNr, timestamp, SUFFIX);
  }

  /** The snapshots of {@code persistenceId} that {@code criteria} select, oldest first. */
  private List<SnapshotFile> matching(String persistenceId, SnapshotSelectionCriteria criteria) throws IOException {
    List<SnapshotFile> matching = new ArrayList<>();
    for (SnapshotFile file : files(persistenceId)) {
      if (file.sequenceNr() <= criteria.maxSequenceNr() && file.timestamp() <= criteria.maxTimestamp()
          && file.sequenceNr() >= criteria.minSequenceNr() && file.timestamp() >= criteria.minTimestamp()) {
        matching.add(file);
      }
    }
    return matching;
  }

  private List<SnapshotFile> files(String persistenceId) throws IOException {
    Path pidDir = dir.resolve(SegmentStore.directoryName(persistenceId));
    if (!Files.isDirectory(pidDir)) {
      return List.of();
    }
    List<SnapshotFile> files = new ArrayList<>();
    try (Stream<Path> listing = Files.list(pidDir)) {
      for (Path file : (Iterable<Path>) listing::iterator) {
        String name = file.getFileName().toString();
        if (name.endsWith(SUFFIX) && name.length() == 20 + 1 + 20 + SUFFIX.length()) {
          files.add(new SnapshotFile(file, Long.parseLong(name.substring(0, 20)), Long.parseLong(name.substring(21, 41))));
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    }
    files.sort(Comparator.comparingLong(SnapshotFile::sequenceNr).thenComparingLong(SnapshotFile::timestamp));
    return files;
  }

  private Object read(Path file) throws IOException {
    ByteBuffer content = ByteBuffer.wrap(Files.readAllBytes(file));
    CRC32C crc = new CRC32C();
    if (content.limit() >= 12) {
      crc.update(content.array(), 4, content.limit() - 4);
    }
    if (content.limit() < 12 || content.getInt(0) != (int) crc.getValue()) {
      throw new CorruptLogException(file, 0, "a snapshot failing its CRC32C");
    }
    int serializerId = content.getInt(4);
    int manifestLength = content.getInt(8);
    if (manifestLength < 0 || 12 + manifestLength > content.limit()) {
      throw new CorruptLogException(file, 8, "a manifest length of " + manifestLength);
    }
    String manifest = new String(content.array(), 12, manifestLength, StandardCharsets.UTF_8);
    byte[] bytes = new byte[content.limit() - 12 - manifestLength];
    content.get(12 + manifestLength, bytes);
    return serialization.deserialize(bytes, serializerId, manifest).get();
  }
}
