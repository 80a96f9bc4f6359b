package dev.runnel.broker.partition;

import dev.runnel.persistence.AbortedTxn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Binary serializer of the partition protocol: the public {@link Partition.Command}s and their replies, as they
 * cross nodes to and from a partition's entity. Appended and fetched record batches are bulk and already in
 * Kafka's binary format, so they are written as they are, after a few fixed fields: never re-encoded, and through
 * {@link ByteBufferSerializer} copied straight into (and out of) Artery's buffers. Reply-to refs go as
 * {@link ActorRefResolver} strings; errors as Kafka error codes. Each manifest names one type and its format
 * version. Numbers are little-endian, Pekko's order for {@link ByteBufferSerializer}s: a payload written as bytes
 * may be read back through a buffer (Pekko's wrapped payloads, e.g. in a sharding envelope, are) and the other
 * way round.
 *
 * <p>Thread-safe.
 */
public final class PartitionProtocolSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {

  private static final String APPEND = "A1";
  /** An append with an {@link AppendCondition}; a plain append stays A1, so older nodes read it. */
  private static final String CONDITIONAL_APPEND = "A2";
  private static final String READ_KEY = "K1";
  private static final String KEY_READ_RESULT = "k1";
  /** An append refused by its condition, with what it found; other answers stay a1. */
  private static final String APPEND_CONFLICT = "a2";
  /** Fetch and ListOffsets before isolation levels, FetchResult before the last stable offset: read only. */
  private static final String FETCH_V1 = "F1";
  private static final String LIST_OFFSETS_V1 = "L1";
  private static final String FETCH_RESULT_V1 = "f1";
  private static final String FETCH = "F2";
  private static final String LIST_OFFSETS = "L2";
  private static final String GET_STATUS = "S1";
  private static final String DELETE = "D1";
  private static final String DELETE_RECORDS = "R1";
  private static final String WAKE = "W1";
  private static final String WRITE_TXN_MARKER = "T1";
  private static final String APPEND_RESULT = "a1";
  private static final String FETCH_RESULT = "f2";
  private static final String OFFSET_LOOKUP = "o1";
  private static final String PARTITION_STATUS = "s1";
  private static final String DELETE_RECORDS_RESULT = "r1";
  private static final String TXN_MARKER_RESULT = "t1";

  private final ActorRefResolver refs;

  public PartitionProtocolSerializer(ExtendedActorSystem system) {
    this.refs = ActorRefResolver.get(Adapter.toTyped(system));
  }

  @Override
  public int identifier() {
    return 7305;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Partition.Append append) {
      return append.condition() == null ? APPEND : CONDITIONAL_APPEND;
    } else if (o instanceof Partition.ReadKey) {
      return READ_KEY;
    } else if (o instanceof KeyReadResult) {
      return KEY_READ_RESULT;
    } else if (o instanceof AppendResult result && result.isConflict()) {
      return APPEND_CONFLICT;
    } else if (o instanceof Partition.Fetch) {
      return FETCH;
    } else if (o instanceof Partition.ListOffsets) {
      return LIST_OFFSETS;
    } else if (o instanceof Partition.GetStatus) {
      return GET_STATUS;
    } else if (o instanceof Partition.Delete) {
      return DELETE;
    } else if (o instanceof Partition.DeleteRecords) {
      return DELETE_RECORDS;
    } else if (o instanceof Partition.Wake) {
      return WAKE;
    } else if (o instanceof Partition.WriteTxnMarker) {
      return WRITE_TXN_MARKER;
    } else if (o instanceof AppendResult) {
      return APPEND_RESULT;
    } else if (o instanceof FetchResult) {
      return FETCH_RESULT;
    } else if (o instanceof OffsetLookup) {
      return OFFSET_LOOKUP;
    } else if (o instanceof PartitionStatus) {
      return PARTITION_STATUS;
    } else if (o instanceof DeleteRecordsResult) {
      return DELETE_RECORDS_RESULT;
    } else if (o instanceof TxnMarkerResult) {
      return TXN_MARKER_RESULT;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    ByteBuffer out = ByteBuffer.allocate(size(o)).order(ByteOrder.LITTLE_ENDIAN);
    write(o, out);
    return out.array();
  }

  @Override
  public void toBinary(Object o, ByteBuffer out) {
    ByteOrder order = out.order();
    try {
      write(o, out.order(ByteOrder.LITTLE_ENDIAN));
    } finally {
      out.order(order);
    }
  }

  private void write(Object o, ByteBuffer out) {
    if (o instanceof Partition.Append append) {
      putRef(out, append.replyTo());
      if (append.condition() != null) {
        AppendCondition condition = append.condition();
        out.putLong(condition.expectedEndOffset()).putLong(condition.expectedKeyOffset())
            .putLong(condition.expectedVersion());
        putNullableBytes(out, condition.key());
      }
      out.put(append.records().duplicate());
    } else if (o instanceof Partition.ReadKey read) {
      out.putLong(read.fromOffset());
      putNullableBytes(out, read.key());
      putRef(out, read.replyTo());
    } else if (o instanceof KeyReadResult result) {
      out.putShort(result.error().code()).putLong(result.nextOffset()).put((byte) (result.endOfKey() ? 1 : 0))
          .putLong(result.version()).putInt(result.eventsRead());
      putNullableString(out, result.message());
      out.put(result.records().duplicate());
    } else if (o instanceof AppendResult result && result.isConflict()) {
      AppendCondition.Conflict conflict = result.conflict();
      out.putLong(conflict.currentEndOffset()).putLong(conflict.currentKeyOffset())
          .putLong(conflict.currentVersion());
      putNullableString(out, conflict.message());
    } else if (o instanceof Partition.Fetch fetch) {
      out.putLong(fetch.offset()).putInt(fetch.maxBytes()).putLong(fetch.maxWait().toNanos())
          .put(fetch.isolation().id());
      putRef(out, fetch.replyTo());
    } else if (o instanceof Partition.ListOffsets list) {
      out.putLong(list.timestamp()).put(list.isolation().id());
      putRef(out, list.replyTo());
    } else if (o instanceof Partition.GetStatus get) {
      putRef(out, get.replyTo());
    } else if (o instanceof Partition.Delete delete) {
      putRef(out, delete.replyTo());
    } else if (o instanceof Partition.DeleteRecords delete) {
      out.putLong(delete.offset());
      putRef(out, delete.replyTo());
    } else if (o instanceof Partition.Wake wake) {
      putRef(out, wake.replyTo());
    } else if (o instanceof Partition.WriteTxnMarker marker) {
      out.putLong(marker.producerId()).putShort(marker.producerEpoch()).putInt(marker.coordinatorEpoch())
          .put((byte) (marker.commit() ? 1 : 0));
      putRef(out, marker.replyTo());
    } else if (o instanceof AppendResult result) {
      out.putShort(result.error().code()).putLong(result.baseOffset()).putLong(result.logStartOffset())
          .putLong(result.logAppendTime());
      putNullableString(out, result.errorMessage());
    } else if (o instanceof FetchResult result) {
      out.putShort(result.error().code()).putLong(result.highWatermark()).putLong(result.lastStableOffset())
          .putLong(result.logStartOffset()).putInt(result.abortedTransactions().size());
      for (AbortedTxn txn : result.abortedTransactions()) {
        out.putLong(txn.producerId()).putLong(txn.firstOffset()).putLong(txn.lastOffset());
      }
      out.put(result.records());
    } else if (o instanceof OffsetLookup lookup) {
      out.putShort(lookup.error().code()).putLong(lookup.offset()).putLong(lookup.timestamp());
    } else if (o instanceof PartitionStatus status) {
      out.putLong(status.logStartOffset()).putLong(status.logEndOffset()).putLong(status.sizeInBytes())
          .putLong(status.journalWrites());
    } else if (o instanceof DeleteRecordsResult result) {
      out.putShort(result.error().code()).putLong(result.lowWatermark());
    } else if (o instanceof TxnMarkerResult result) {
      out.putShort(result.error().code());
    } else {
      throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }
  }

  /** From a byte array this serializer owns: record batches are a view of it, not a copy. */
  @Override
  public Object fromBinary(byte[] bytes, String manifest) {
    return read(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), manifest, false);
  }

  /** From a transport buffer that is reused once this returns: record batches are copied out of it. */
  @Override
  public Object fromBinary(ByteBuffer in, String manifest) {
    ByteOrder order = in.order();
    try {
      return read(in.order(ByteOrder.LITTLE_ENDIAN), manifest, true);
    } finally {
      in.order(order);
    }
  }

  private Object read(ByteBuffer in, String manifest, boolean copy) {
    switch (manifest) {
      case APPEND: {
        ActorRef<AppendResult> replyTo = getRef(in);
        return new Partition.Append(rest(in, copy), replyTo);
      }
      case CONDITIONAL_APPEND: {
        ActorRef<AppendResult> replyTo = getRef(in);
        long endOffset = in.getLong();
        long keyOffset = in.getLong();
        long version = in.getLong();
        AppendCondition condition = new AppendCondition(endOffset, getNullableBytes(in), keyOffset, version);
        return new Partition.Append(rest(in, copy), condition, replyTo);
      }
      case READ_KEY: {
        long fromOffset = in.getLong();
        byte[] key = getNullableBytes(in);
        return new Partition.ReadKey(key, fromOffset, getRef(in));
      }
      case KEY_READ_RESULT: {
        Errors error = Errors.forCode(in.getShort());
        long nextOffset = in.getLong();
        boolean endOfKey = in.get() != 0;
        long version = in.getLong();
        int eventsRead = in.getInt();
        String message = getNullableString(in);
        return new KeyReadResult(error, message, rest(in, copy).asReadOnlyBuffer(), nextOffset, endOfKey, version,
            eventsRead);
      }
      case APPEND_CONFLICT: {
        long endOffset = in.getLong();
        long keyOffset = in.getLong();
        long version = in.getLong();
        return AppendResult.conflicted(new AppendCondition.Conflict(endOffset, keyOffset, version,
            getNullableString(in)));
      }
      case FETCH_V1:
      case FETCH: {
        long offset = in.getLong();
        int maxBytes = in.getInt();
        Duration maxWait = Duration.ofNanos(in.getLong());
        IsolationLevel isolation = manifest.equals(FETCH) ? IsolationLevel.forId(in.get())
            : IsolationLevel.READ_UNCOMMITTED;
        return new Partition.Fetch(offset, maxBytes, maxWait, isolation, getRef(in));
      }
      case LIST_OFFSETS_V1:
      case LIST_OFFSETS: {
        long timestamp = in.getLong();
        IsolationLevel isolation = manifest.equals(LIST_OFFSETS) ? IsolationLevel.forId(in.get())
            : IsolationLevel.READ_UNCOMMITTED;
        return new Partition.ListOffsets(timestamp, isolation, getRef(in));
      }
      case GET_STATUS:
        return new Partition.GetStatus(getRef(in));
      case DELETE:
        return new Partition.Delete(getRef(in));
      case DELETE_RECORDS: {
        long offset = in.getLong();
        return new Partition.DeleteRecords(offset, getRef(in));
      }
      case WAKE:
        return new Partition.Wake(getRef(in));
      case WRITE_TXN_MARKER: {
        long producerId = in.getLong();
        short producerEpoch = in.getShort();
        int coordinatorEpoch = in.getInt();
        boolean commit = in.get() != 0;
        return new Partition.WriteTxnMarker(producerId, producerEpoch, coordinatorEpoch, commit, getRef(in));
      }
      case APPEND_RESULT: {
        Errors error = Errors.forCode(in.getShort());
        long baseOffset = in.getLong();
        long logStartOffset = in.getLong();
        long logAppendTime = in.getLong();
        return new AppendResult(error, getNullableString(in), baseOffset, logStartOffset, logAppendTime);
      }
      case FETCH_RESULT_V1: {
        Errors error = Errors.forCode(in.getShort());
        long highWatermark = in.getLong();
        long logStartOffset = in.getLong();
        return new FetchResult(error, highWatermark, highWatermark, logStartOffset, List.of(),
            rest(in, copy));
      }
      case FETCH_RESULT: {
        Errors error = Errors.forCode(in.getShort());
        long highWatermark = in.getLong();
        long lastStableOffset = in.getLong();
        long logStartOffset = in.getLong();
        int count = in.getInt();
        List<AbortedTxn> aborted = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          aborted.add(new AbortedTxn(in.getLong(), in.getLong(), in.getLong()));
        }
        return new FetchResult(error, highWatermark, lastStableOffset, logStartOffset, aborted,
            rest(in, copy));
      }
      case OFFSET_LOOKUP:
        return new OffsetLookup(Errors.forCode(in.getShort()), in.getLong(), in.getLong());
      case PARTITION_STATUS:
        return new PartitionStatus(in.getLong(), in.getLong(), in.getLong(), in.getLong());
      case DELETE_RECORDS_RESULT:
        return new DeleteRecordsResult(Errors.forCode(in.getShort()), in.getLong());
      case TXN_MARKER_RESULT:
        return new TxnMarkerResult(Errors.forCode(in.getShort()));
      default:
        throw new IllegalArgumentException("unknown partition protocol manifest " + manifest);
    }
  }

  /** The bytes {@link #toBinary(Object, ByteBuffer)} writes for {@code o}. */
  private int size(Object o) {
    if (o instanceof Partition.Append append) {
      int condition = append.condition() == null ? 0 : 24 + bytesSize(append.condition().key());
      return refSize(append.replyTo()) + condition + append.records().remaining();
    } else if (o instanceof Partition.ReadKey read) {
      return 8 + bytesSize(read.key()) + refSize(read.replyTo());
    } else if (o instanceof KeyReadResult result) {
      return 23 + 4 + (result.message() == null ? 0 : utf8(result.message()).length) + result.records().remaining();
    } else if (o instanceof AppendResult result && result.isConflict()) {
      return 24 + 4 + (result.conflict().message() == null ? 0 : utf8(result.conflict().message()).length);
    } else if (o instanceof Partition.Fetch fetch) {
      return 21 + refSize(fetch.replyTo());
    } else if (o instanceof Partition.ListOffsets list) {
      return 9 + refSize(list.replyTo());
    } else if (o instanceof Partition.GetStatus get) {
      return refSize(get.replyTo());
    } else if (o instanceof Partition.Delete delete) {
      return refSize(delete.replyTo());
    } else if (o instanceof Partition.DeleteRecords delete) {
      return 8 + refSize(delete.replyTo());
    } else if (o instanceof Partition.Wake wake) {
      return refSize(wake.replyTo());
    } else if (o instanceof Partition.WriteTxnMarker marker) {
      return 15 + refSize(marker.replyTo());
    } else if (o instanceof AppendResult result) {
      return 26 + 4 + (result.errorMessage() == null ? 0 : utf8(result.errorMessage()).length);
    } else if (o instanceof FetchResult result) {
      return 30 + 24 * result.abortedTransactions().size() + result.records().remaining();
    } else if (o instanceof OffsetLookup) {
      return 18;
    } else if (o instanceof PartitionStatus) {
      return 32;
    } else if (o instanceof DeleteRecordsResult) {
      return 10;
    } else if (o instanceof TxnMarkerResult) {
      return 2;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  private int refSize(ActorRef<?> ref) {
    return 4 + utf8(refs.toSerializationFormat(ref)).length;
  }

  private void putRef(ByteBuffer out, ActorRef<?> ref) {
    byte[] path = utf8(refs.toSerializationFormat(ref));
    out.putInt(path.length).put(path);
  }

  private <T> ActorRef<T> getRef(ByteBuffer in) {
    byte[] path = new byte[in.getInt()];
    in.get(path);
    return refs.resolveActorRef(new String(path, StandardCharsets.UTF_8));
  }

  private static int bytesSize(byte[] value) {
    return 4 + (value == null ? 0 : value.length);
  }

  private static void putNullableBytes(ByteBuffer out, byte[] value) {
    if (value == null) {
      out.putInt(-1);
    } else {
      out.putInt(value.length).put(value);
    }
  }

  private static byte[] getNullableBytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return bytes;
  }

  private static void putNullableString(ByteBuffer out, String value) {
    if (value == null) {
      out.putInt(-1);
    } else {
      byte[] bytes = utf8(value);
      out.putInt(bytes.length).put(bytes);
    }
  }

  private static String getNullableString(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** The remaining bytes of {@code in}: a copy when {@code in} is reused, else a view; {@code in} is consumed. */
  private static ByteBuffer rest(ByteBuffer in, boolean copy) {
    ByteBuffer rest;
    if (copy) {
      rest = ByteBuffer.allocate(in.remaining());
      rest.put(in).flip();
    } else {
      rest = in.slice();
      in.position(in.limit());
    }
    return rest;
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}
