package dev.runnel.client.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * The messages of Runnel's native streaming protocol and their binary form: one message per binary WebSocket
 * frame, a type byte then the fields in big-endian order; a string is a 2-byte length and UTF-8 bytes; record
 * batches take the rest of the frame. The protocol is described in full in {@code package-info.java} and in the
 * README. Encoding and decoding are pure functions; this class is thread-safe.
 */
public final class Protocol {

  /** Subscribe's start offset for the partition's first record (Kafka's ListOffsets EARLIEST). */
  public static final long EARLIEST = -2L;
  /** Subscribe's start offset for the partition's end: only records produced from now on (Kafka's LATEST). */
  public static final long LATEST = -1L;
  /** Error's {@code ref} when the error concerns the connection, not one request or subscription. */
  public static final int NO_REF = -1;

  static final byte METADATA = 1;
  static final byte METADATA_RESULT = 2;
  static final byte PRODUCE = 3;
  static final byte PRODUCE_ACK = 4;
  static final byte SUBSCRIBE = 5;

  /** Subscribe's isolation levels, Kafka's ids. */
  public static final byte READ_UNCOMMITTED = 0;
  public static final byte READ_COMMITTED = 1;
  static final byte SUBSCRIBED = 6;
  static final byte CREDIT = 7;
  static final byte RECORDS = 8;
  static final byte CANCEL = 9;
  static final byte ERROR = 10;
  static final byte INIT_PRODUCER_ID = 11;
  static final byte PRODUCER_ID_RESULT = 12;
  static final byte JOIN_GROUP = 13;
  static final byte JOIN_RESULT = 14;
  static final byte HEARTBEAT = 15;
  static final byte LEAVE_GROUP = 16;
  static final byte OFFSET_COMMIT = 17;
  static final byte OFFSET_FETCH = 18;
  static final byte OFFSET_FETCH_RESULT = 19;
  static final byte GROUP_RESULT = 20;
  static final byte CONDITIONAL_PRODUCE = 21;
  static final byte CONDITIONAL_ACK = 22;
  static final byte READ_KEY = 23;
  static final byte KEY_RECORDS = 24;
  static final byte INIT_TRANSACTIONS = 25;
  static final byte ADD_PARTITIONS_TO_TXN = 26;
  static final byte TXN_OFFSET_COMMIT = 27;
  static final byte END_TXN = 28;
  static final byte TXN_RESULT = 29;

  /** A part of a {@link ConditionalProduce}'s condition that is left out. */
  public static final long ANY = -2L;
  /** An expected or current key offset meaning "the key has no record". */
  public static final long NO_RECORD = -1L;
  /** {@link ConditionalAck}'s error code when the condition did not hold (Runnel's, outside Kafka's range). */
  public static final short CONDITION_NOT_MET = 1000;

  private static final ByteOrder ORDER = ByteOrder.BIG_ENDIAN;
  /**
   * More than the header of any frame that ends in record batches (fixed fields and one string of at most 32,767
   * bytes): only that much of such a frame is made contiguous to be parsed; its batches stay where they arrived.
   */
  private static final int BATCHES_HEADER_BYTES = 64 * 1024;

  private Protocol() {}

  /** A protocol message. */
  public sealed interface Message
      permits Metadata, MetadataResult, Produce, ProduceAck, Subscribe, Subscribed, Credit, Records, Cancel, Error,
          InitProducerId, ProducerIdResult, JoinGroup, JoinResult, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
          OffsetFetchResult, GroupResult, ConditionalProduce, ConditionalAck, ReadKey, KeyRecords, InitTransactions,
          AddPartitionsToTxn, TxnOffsetCommit, EndTxn, TxnResult {}

  /** Client → broker: how many partitions has {@code topic} (created with the broker's defaults if missing). */
  public record Metadata(int correlationId, String topic) implements Message {}

  /** Broker → client: the answer to {@link Metadata}; {@code partitions} is 0 when {@code errorCode} is not 0. */
  public record MetadataResult(int correlationId, short errorCode, int partitions, String message)
      implements Message {}

  /** Client → broker: append Kafka v2 record batches to one partition; acks is 0, 1 or -1 (all). */
  public record Produce(int correlationId, String topic, int partition, short acks, ByteString batches)
      implements Message {}

  /** Broker → client: the answer to {@link Produce}; record {@code i} of the request got offset baseOffset + i. */
  public record ProduceAck(int correlationId, short errorCode, long baseOffset, String message) implements Message {}

  /**
   * Client → broker: stream a partition from {@code offset} ({@link #EARLIEST}, {@link #LATEST} or an offset).
   * Each {@link Records} frame holds at most {@code maxFrameBytes} of batches (but at least one whole batch); a
   * broker read that finds nothing waits up to {@code maxWaitMs} for new records. {@code isolationLevel} is Kafka's
   * id: {@link #READ_COMMITTED} (the default) streams only below the partition's last stable offset and leaves out
   * aborted transactions, {@link #READ_UNCOMMITTED} streams up to the high watermark; transaction markers are never
   * sent.
   */
  public record Subscribe(int subscriptionId, String topic, int partition, long offset, int maxFrameBytes,
      int maxWaitMs, byte isolationLevel) implements Message {

    public Subscribe(int subscriptionId, String topic, int partition, long offset, int maxFrameBytes, int maxWaitMs) {
      this(subscriptionId, topic, partition, offset, maxFrameBytes, maxWaitMs, READ_COMMITTED);
    }
  }

  /** Broker → client: the subscription is live and starts at {@code offset}; nothing is sent before credit. */
  public record Subscribed(int subscriptionId, long offset) implements Message {}

  /** Client → broker: the broker may send {@code frames} more {@link Records} frames for the subscription. */
  public record Credit(int subscriptionId, int frames) implements Message {}

  /**
   * Broker → client: whole record batches of a subscription, in offset order; the first batch may start before
   * the offset asked for (as in Kafka), and the client skips the records it already has. Costs one credit.
   */
  public record Records(int subscriptionId, long highWatermark, ByteString batches) implements Message {}

  /** Client → broker: end a subscription. */
  public record Cancel(int subscriptionId) implements Message {}

  /**
   * Either direction: a Kafka error code ({@code org.apache.kafka.common.protocol.Errors}) about the request or
   * subscription {@code ref}, or about the connection when ref is {@link #NO_REF}. A subscription that gets an
   * error has ended.
   */
  public record Error(int ref, short errorCode, String message) implements Message {}

  /** Client → broker: a producer id for an idempotent producer, never handed out before. */
  public record InitProducerId(int correlationId) implements Message {}

  /**
   * Broker → client: the answer to {@link InitProducerId}: the id with epoch 0, or, when {@code errorCode} is not 0,
   * producer id -1 and epoch -1 (Kafka's NO_PRODUCER_ID, NO_PRODUCER_EPOCH).
   */
  public record ProducerIdResult(int correlationId, short errorCode, long producerId, short epoch)
      implements Message {}

  /** One partition of a topic, as group messages name it. */
  public record TopicPartition(String topic, int partition) {}

  /** A partition's offset: one to commit, or one committed ({@code -1} when the group has none). */
  public record PartitionOffset(String topic, int partition, long offset) {}

  /**
   * Client → broker: join (or rejoin) a group whose coordinator assigns partitions itself with {@code strategy}
   * ({@code range}, {@code roundrobin}, {@code sticky} or {@code cooperative-sticky}); one request does what
   * Kafka's JoinGroup and SyncGroup do. A first join has an empty {@code memberId} and generation -1; a rejoin
   * lists the partitions the member still owns, which is how a cooperative member confirms a revocation.
   */
  public record JoinGroup(int correlationId, String groupId, String memberId, int sessionTimeoutMs,
      int rebalanceTimeoutMs, String strategy, List<String> topics, List<TopicPartition> owned, int generationId)
      implements Message {

    public JoinGroup {
      topics = List.copyOf(topics);
      owned = List.copyOf(owned);
    }
  }

  /** Broker → client: the answer to {@link JoinGroup}: the member's id, generation and assigned partitions. */
  public record JoinResult(int correlationId, short errorCode, int generationId, String memberId,
      List<TopicPartition> assignment, String message) implements Message {

    public JoinResult {
      assignment = List.copyOf(assignment);
    }
  }

  /** Client → broker: the member is alive; answered by {@link GroupResult}, REBALANCE_IN_PROGRESS asks a rejoin. */
  public record Heartbeat(int correlationId, String groupId, String memberId, int generationId) implements Message {}

  /** Client → broker: the member leaves the group; answered by {@link GroupResult}. */
  public record LeaveGroup(int correlationId, String groupId, String memberId) implements Message {}

  /** Client → broker: commit the offsets (each the next offset to read); answered by {@link GroupResult}. */
  public record OffsetCommit(int correlationId, String groupId, String memberId, int generationId,
      List<PartitionOffset> offsets) implements Message {

    public OffsetCommit {
      offsets = List.copyOf(offsets);
    }
  }

  /** Client → broker: the group's committed offsets of the partitions. */
  public record OffsetFetch(int correlationId, String groupId, List<TopicPartition> partitions) implements Message {

    public OffsetFetch {
      partitions = List.copyOf(partitions);
    }
  }

  /** Broker → client: the answer to {@link OffsetFetch}, one offset per partition asked, -1 where none. */
  public record OffsetFetchResult(int correlationId, short errorCode, List<PartitionOffset> offsets, String message)
      implements Message {

    public OffsetFetchResult {
      offsets = List.copyOf(offsets);
    }
  }

  /**
   * Broker → client: the answer to {@link Heartbeat}, {@link LeaveGroup} or {@link OffsetCommit}: the group's error,
   * or for a commit the first partition's error, 0 when all went well.
   */
  public record GroupResult(int correlationId, short errorCode, String message) implements Message {}

  /**
   * Client → broker: append Kafka v2 record batches to one partition (acks all) only if every part of the condition
   * that is not {@link #ANY} holds: the partition's end offset, and for {@code key} the offset of its newest record
   * ({@link #NO_RECORD}: none) and its version (its records in the partition; 0: none). Answered by
   * {@link ConditionalAck}. {@code key} is null when there is no keyed part.
   */
  public record ConditionalProduce(int correlationId, String topic, int partition, long expectedEndOffset,
      long expectedKeyOffset, long expectedVersion, ByteString key, ByteString batches) implements Message {}

  /**
   * Broker → client: the answer to {@link ConditionalProduce}: stored at {@code baseOffset} (error 0), refused with
   * {@link #CONDITION_NOT_MET} and what the partition found (the key's values {@link #ANY} when the condition had no
   * keyed part), or refused with a Kafka error code.
   */
  public record ConditionalAck(int correlationId, short errorCode, long baseOffset, long currentEndOffset,
      long currentKeyOffset, long currentVersion, String message) implements Message {}

  /** Client → broker: the records of one key from {@code fromOffset}, read through the partition's key index. */
  public record ReadKey(int correlationId, String topic, int partition, long fromOffset, ByteString key)
      implements Message {}

  /**
   * Broker → client: the answer to {@link ReadKey}: the key's records as record batches (with their offsets), where
   * to read on from, whether the key has no more records, and its version.
   */
  public record KeyRecords(int correlationId, short errorCode, long nextOffset, boolean endOfKey, long version,
      String message, ByteString batches) implements Message {}

  /**
   * Client → broker: Kafka's InitProducerId with a transactional id (the producer's {@code initTransactions}): the
   * id's coordinator hands out its producer id at a new epoch, which fences every producer of an older epoch, and
   * aborts the transaction an older one left open (answering CONCURRENT_TRANSACTIONS until that abort is complete).
   * Answered by {@link ProducerIdResult}.
   */
  public record InitTransactions(int correlationId, String transactionalId, int transactionTimeoutMs)
      implements Message {}

  /**
   * Client → broker: Kafka's AddPartitionsToTxn: the partitions join the producer's transaction (which opens if it
   * was not), so that its markers reach them; sent before the first transactional {@link Produce} to each. Answered
   * by {@link TxnResult} with the first partition's error.
   */
  public record AddPartitionsToTxn(int correlationId, String transactionalId, long producerId, short producerEpoch,
      List<TopicPartition> partitions) implements Message {

    public AddPartitionsToTxn {
      partitions = List.copyOf(partitions);
    }
  }

  /**
   * Client → broker: Kafka's AddOffsetsToTxn and TxnOffsetCommit in one: the group joins the producer's transaction
   * and the offsets (each the next offset to read) are committed for it when the transaction commits. The group
   * checks {@code memberId} and {@code generationId} as for an OffsetCommit (KIP-447), so a producer whose consumer
   * lost its partitions in a rebalance is refused. Answered by {@link TxnResult} with the first error.
   */
  public record TxnOffsetCommit(int correlationId, String transactionalId, long producerId, short producerEpoch,
      String groupId, String memberId, int generationId, List<PartitionOffset> offsets) implements Message {

    public TxnOffsetCommit {
      offsets = List.copyOf(offsets);
    }
  }

  /** Client → broker: Kafka's EndTxn: commit or abort the producer's open transaction. Answered by {@link TxnResult}. */
  public record EndTxn(int correlationId, String transactionalId, long producerId, short producerEpoch,
      boolean commit) implements Message {}

  /** Broker → client: the answer to {@link AddPartitionsToTxn}, {@link TxnOffsetCommit} or {@link EndTxn}. */
  public record TxnResult(int correlationId, short errorCode, String message) implements Message {}

  /** A frame that is not a well-formed message. */
  public static final class MalformedFrameException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedFrameException(String message) {
      super(message);
    }
  }

  public static ByteString encode(Message message) {
    ByteStringBuilder out = ByteString.createBuilder();
    if (message instanceof Metadata m) {
      out.putByte(METADATA).putInt(m.correlationId(), ORDER);
      putString(out, m.topic());
    } else if (message instanceof MetadataResult m) {
      out.putByte(METADATA_RESULT).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER)
          .putInt(m.partitions(), ORDER);
      putString(out, m.message());
    } else if (message instanceof Produce m) {
      out.putByte(PRODUCE).putInt(m.correlationId(), ORDER);
      putString(out, m.topic());
      out.putInt(m.partition(), ORDER).putShort(m.acks(), ORDER);
      return out.result().concat(m.batches());
    } else if (message instanceof ProduceAck m) {
      out.putByte(PRODUCE_ACK).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER)
          .putLong(m.baseOffset(), ORDER);
      putString(out, m.message());
    } else if (message instanceof Subscribe m) {
      out.putByte(SUBSCRIBE).putInt(m.subscriptionId(), ORDER);
      putString(out, m.topic());
      out.putInt(m.partition(), ORDER).putLong(m.offset(), ORDER).putInt(m.maxFrameBytes(), ORDER)
          .putInt(m.maxWaitMs(), ORDER).putByte(m.isolationLevel());
    } else if (message instanceof Subscribed m) {
      out.putByte(SUBSCRIBED).putInt(m.subscriptionId(), ORDER).putLong(m.offset(), ORDER);
    } else if (message instanceof Credit m) {
      out.putByte(CREDIT).putInt(m.subscriptionId(), ORDER).putInt(m.frames(), ORDER);
    } else if (message instanceof Records m) {
      out.putByte(RECORDS).putInt(m.subscriptionId(), ORDER).putLong(m.highWatermark(), ORDER);
      return out.result().concat(m.batches());
    } else if (message instanceof Cancel m) {
      out.putByte(CANCEL).putInt(m.subscriptionId(), ORDER);
    } else if (message instanceof Error m) {
      out.putByte(ERROR).putInt(m.ref(), ORDER).putShort(m.errorCode(), ORDER);
      putString(out, m.message());
    } else if (message instanceof InitProducerId m) {
      out.putByte(INIT_PRODUCER_ID).putInt(m.correlationId(), ORDER);
    } else if (message instanceof ProducerIdResult m) {
      out.putByte(PRODUCER_ID_RESULT).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER)
          .putLong(m.producerId(), ORDER).putShort(m.epoch(), ORDER);
    } else if (message instanceof JoinGroup m) {
      out.putByte(JOIN_GROUP).putInt(m.correlationId(), ORDER);
      putString(out, m.groupId());
      putString(out, m.memberId());
      out.putInt(m.sessionTimeoutMs(), ORDER).putInt(m.rebalanceTimeoutMs(), ORDER);
      putString(out, m.strategy());
      out.putInt(m.topics().size(), ORDER);
      m.topics().forEach(topic -> putString(out, topic));
      putPartitions(out, m.owned());
      out.putInt(m.generationId(), ORDER);
    } else if (message instanceof JoinResult m) {
      out.putByte(JOIN_RESULT).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER)
          .putInt(m.generationId(), ORDER);
      putString(out, m.memberId());
      putPartitions(out, m.assignment());
      putString(out, m.message());
    } else if (message instanceof Heartbeat m) {
      out.putByte(HEARTBEAT).putInt(m.correlationId(), ORDER);
      putString(out, m.groupId());
      putString(out, m.memberId());
      out.putInt(m.generationId(), ORDER);
    } else if (message instanceof LeaveGroup m) {
      out.putByte(LEAVE_GROUP).putInt(m.correlationId(), ORDER);
      putString(out, m.groupId());
      putString(out, m.memberId());
    } else if (message instanceof OffsetCommit m) {
      out.putByte(OFFSET_COMMIT).putInt(m.correlationId(), ORDER);
      putString(out, m.groupId());
      putString(out, m.memberId());
      out.putInt(m.generationId(), ORDER);
      putOffsets(out, m.offsets());
    } else if (message instanceof OffsetFetch m) {
      out.putByte(OFFSET_FETCH).putInt(m.correlationId(), ORDER);
      putString(out, m.groupId());
      putPartitions(out, m.partitions());
    } else if (message instanceof OffsetFetchResult m) {
      out.putByte(OFFSET_FETCH_RESULT).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER);
      putOffsets(out, m.offsets());
      putString(out, m.message());
    } else if (message instanceof GroupResult m) {
      out.putByte(GROUP_RESULT).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER);
      putString(out, m.message());
    } else if (message instanceof ConditionalProduce m) {
      out.putByte(CONDITIONAL_PRODUCE).putInt(m.correlationId(), ORDER);
      putString(out, m.topic());
      out.putInt(m.partition(), ORDER).putLong(m.expectedEndOffset(), ORDER).putLong(m.expectedKeyOffset(), ORDER)
          .putLong(m.expectedVersion(), ORDER);
      putBytes(out, m.key());
      return out.result().concat(m.batches());
    } else if (message instanceof ConditionalAck m) {
      out.putByte(CONDITIONAL_ACK).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER)
          .putLong(m.baseOffset(), ORDER).putLong(m.currentEndOffset(), ORDER).putLong(m.currentKeyOffset(), ORDER)
          .putLong(m.currentVersion(), ORDER);
      putString(out, m.message());
    } else if (message instanceof ReadKey m) {
      out.putByte(READ_KEY).putInt(m.correlationId(), ORDER);
      putString(out, m.topic());
      out.putInt(m.partition(), ORDER).putLong(m.fromOffset(), ORDER);
      putBytes(out, m.key());
    } else if (message instanceof KeyRecords m) {
      out.putByte(KEY_RECORDS).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER)
          .putLong(m.nextOffset(), ORDER).putByte((byte) (m.endOfKey() ? 1 : 0)).putLong(m.version(), ORDER);
      putString(out, m.message());
      return out.result().concat(m.batches());
    } else if (message instanceof InitTransactions m) {
      out.putByte(INIT_TRANSACTIONS).putInt(m.correlationId(), ORDER);
      putString(out, m.transactionalId());
      out.putInt(m.transactionTimeoutMs(), ORDER);
    } else if (message instanceof AddPartitionsToTxn m) {
      out.putByte(ADD_PARTITIONS_TO_TXN).putInt(m.correlationId(), ORDER);
      putProducer(out, m.transactionalId(), m.producerId(), m.producerEpoch());
      putPartitions(out, m.partitions());
    } else if (message instanceof TxnOffsetCommit m) {
      out.putByte(TXN_OFFSET_COMMIT).putInt(m.correlationId(), ORDER);
      putProducer(out, m.transactionalId(), m.producerId(), m.producerEpoch());
      putString(out, m.groupId());
      putString(out, m.memberId());
      out.putInt(m.generationId(), ORDER);
      putOffsets(out, m.offsets());
    } else if (message instanceof EndTxn m) {
      out.putByte(END_TXN).putInt(m.correlationId(), ORDER);
      putProducer(out, m.transactionalId(), m.producerId(), m.producerEpoch());
      out.putByte((byte) (m.commit() ? 1 : 0));
    } else if (message instanceof TxnResult m) {
      out.putByte(TXN_RESULT).putInt(m.correlationId(), ORDER).putShort(m.errorCode(), ORDER);
      putString(out, m.message());
    } else {
      throw new IllegalArgumentException("not a protocol message: " + message);
    }
    return out.result();
  }

  /**
   * Reads one frame.
   *
   * @throws MalformedFrameException when the frame is empty, of an unknown type, truncated, or has bytes left over
   */
  public static Message decode(ByteString frame) {
    if (frame.isEmpty()) {
      throw new MalformedFrameException("empty frame");
    }
    byte type = frame.head();
    boolean endsInBatches = type == PRODUCE || type == RECORDS || type == KEY_RECORDS;
    ByteBuffer in = (endsInBatches ? frame.take(BATCHES_HEADER_BYTES) : frame).asByteBuffer().order(ORDER);
    try {
      in.get();
      Message message = switch (type) {
        case METADATA -> new Metadata(in.getInt(), getString(in));
        case METADATA_RESULT -> new MetadataResult(in.getInt(), in.getShort(), in.getInt(), getString(in));
        case PRODUCE -> {
          int correlationId = in.getInt();
          String topic = getString(in);
          int partition = in.getInt();
          short acks = in.getShort();
          yield new Produce(correlationId, topic, partition, acks, rest(frame, in));
        }
        case PRODUCE_ACK -> new ProduceAck(in.getInt(), in.getShort(), in.getLong(), getString(in));
        case SUBSCRIBE -> {
          int subscriptionId = in.getInt();
          String topic = getString(in);
          int partition = in.getInt();
          long offset = in.getLong();
          int maxFrameBytes = in.getInt();
          int maxWaitMs = in.getInt();
          byte isolation = in.get();
          if (isolation != READ_COMMITTED && isolation != READ_UNCOMMITTED) {
            throw new MalformedFrameException("isolation level " + isolation + " is neither 0 nor 1");
          }
          yield new Subscribe(subscriptionId, topic, partition, offset, maxFrameBytes, maxWaitMs, isolation);
        }
        case SUBSCRIBED -> new Subscribed(in.getInt(), in.getLong());
        case CREDIT -> new Credit(in.getInt(), in.getInt());
        case RECORDS -> {
          int subscriptionId = in.getInt();
          long highWatermark = in.getLong();
          yield new Records(subscriptionId, highWatermark, rest(frame, in));
        }
        case CANCEL -> new Cancel(in.getInt());
        case ERROR -> new Error(in.getInt(), in.getShort(), getString(in));
        case INIT_PRODUCER_ID -> new InitProducerId(in.getInt());
        case PRODUCER_ID_RESULT -> new ProducerIdResult(in.getInt(), in.getShort(), in.getLong(), in.getShort());
        case JOIN_GROUP -> new JoinGroup(in.getInt(), getString(in), getString(in), in.getInt(), in.getInt(),
            getString(in), getStrings(in), getPartitions(in), in.getInt());
        case JOIN_RESULT -> new JoinResult(in.getInt(), in.getShort(), in.getInt(), getString(in), getPartitions(in),
            getString(in));
        case HEARTBEAT -> new Heartbeat(in.getInt(), getString(in), getString(in), in.getInt());
        case LEAVE_GROUP -> new LeaveGroup(in.getInt(), getString(in), getString(in));
        case OFFSET_COMMIT -> new OffsetCommit(in.getInt(), getString(in), getString(in), in.getInt(),
            getOffsets(in));
        case OFFSET_FETCH -> new OffsetFetch(in.getInt(), getString(in), getPartitions(in));
        case OFFSET_FETCH_RESULT -> new OffsetFetchResult(in.getInt(), in.getShort(), getOffsets(in), getString(in));
        case GROUP_RESULT -> new GroupResult(in.getInt(), in.getShort(), getString(in));
        case CONDITIONAL_PRODUCE -> {
          int correlationId = in.getInt();
          String topic = getString(in);
          int partition = in.getInt();
          long endOffset = in.getLong();
          long keyOffset = in.getLong();
          long version = in.getLong();
          ByteString key = getBytes(in);
          yield new ConditionalProduce(correlationId, topic, partition, endOffset, keyOffset, version, key,
              rest(frame, in));
        }
        case CONDITIONAL_ACK -> new ConditionalAck(in.getInt(), in.getShort(), in.getLong(), in.getLong(),
            in.getLong(), in.getLong(), getString(in));
        case READ_KEY -> new ReadKey(in.getInt(), getString(in), in.getInt(), in.getLong(), getBytes(in));
        case KEY_RECORDS -> {
          int correlationId = in.getInt();
          short errorCode = in.getShort();
          long nextOffset = in.getLong();
          boolean endOfKey = in.get() != 0;
          long version = in.getLong();
          String text = getString(in);
          yield new KeyRecords(correlationId, errorCode, nextOffset, endOfKey, version, text, rest(frame, in));
        }
        case INIT_TRANSACTIONS -> new InitTransactions(in.getInt(), getString(in), in.getInt());
        case ADD_PARTITIONS_TO_TXN -> new AddPartitionsToTxn(in.getInt(), getString(in), in.getLong(),
            in.getShort(), getPartitions(in));
        case TXN_OFFSET_COMMIT -> new TxnOffsetCommit(in.getInt(), getString(in), in.getLong(), in.getShort(),
            getString(in), getString(in), in.getInt(), getOffsets(in));
        case END_TXN -> new EndTxn(in.getInt(), getString(in), in.getLong(), in.getShort(), getBoolean(in, "commit"));
        case TXN_RESULT -> new TxnResult(in.getInt(), in.getShort(), getString(in));
        default -> throw new MalformedFrameException("unknown message type " + type);
      };
      if (in.hasRemaining()) {
        throw new MalformedFrameException(in.remaining() + " bytes after a message of type " + type);
      }
      return message;
    } catch (BufferUnderflowException e) {
      throw new MalformedFrameException("truncated frame of " + frame.size() + " bytes");
    }
  }

  private static ByteString rest(ByteString frame, ByteBuffer in) {
    ByteString batches = frame.drop(in.position());
    in.position(in.limit());
    return batches;
  }

  /** A transactional producer as the transaction frames name it: transactional id, producer id and epoch. */
  private static void putProducer(ByteStringBuilder out, String transactionalId, long producerId, short epoch) {
    putString(out, transactionalId);
    out.putLong(producerId, ORDER).putShort(epoch, ORDER);
  }

  /** A flag byte, refused unless 0 or 1 so that a corrupted frame is not read as a decision. */
  private static boolean getBoolean(ByteBuffer in, String field) {
    byte value = in.get();
    if (value != 0 && value != 1) {
      throw new MalformedFrameException(field + " flag " + value + " is neither 0 nor 1");
    }
    return value == 1;
  }

  private static void putString(ByteStringBuilder out, String value) {
    byte[] bytes = (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
    if (bytes.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException("string longer than " + Short.MAX_VALUE + " bytes");
    }
    out.putShort(bytes.length, ORDER).putBytes(bytes);
  }

  /** Bytes as a 4-byte length, -1 for null, and the bytes. */
  private static void putBytes(ByteStringBuilder out, ByteString value) {
    if (value == null) {
      out.putInt(-1, ORDER);
    } else {
      out.putInt(value.size(), ORDER).append(value);
    }
  }

  private static ByteString getBytes(ByteBuffer in) {
    int length = in.getInt();
    if (length == -1) {
      return null;
    }
    if (length < 0 || length > in.remaining()) {
      throw new MalformedFrameException("byte string length " + length + " exceeds the frame");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return ByteString.fromArray(bytes);
  }

  private static void putPartitions(ByteStringBuilder out, List<TopicPartition> partitions) {
    out.putInt(partitions.size(), ORDER);
    for (TopicPartition partition : partitions) {
      putString(out, partition.topic());
      out.putInt(partition.partition(), ORDER);
    }
  }

  private static void putOffsets(ByteStringBuilder out, List<PartitionOffset> offsets) {
    out.putInt(offsets.size(), ORDER);
    for (PartitionOffset offset : offsets) {
      putString(out, offset.topic());
      out.putInt(offset.partition(), ORDER).putLong(offset.offset(), ORDER);
    }
  }

  /** A list's element count, refused when the frame cannot hold that many of at least {@code minBytes} each. */
  private static int count(ByteBuffer in, int minBytes) {
    int count = in.getInt();
    if (count < 0 || (long) count * minBytes > in.remaining()) {
      throw new MalformedFrameException("list of " + count + " elements exceeds the frame");
    }
    return count;
  }

  private static List<String> getStrings(ByteBuffer in) {
    int count = count(in, 2);
    List<String> strings = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      strings.add(getString(in));
    }
    return strings;
  }

  private static List<TopicPartition> getPartitions(ByteBuffer in) {
    int count = count(in, 6);
    List<TopicPartition> partitions = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      partitions.add(new TopicPartition(getString(in), in.getInt()));
    }
    return partitions;
  }

  private static List<PartitionOffset> getOffsets(ByteBuffer in) {
    int count = count(in, 14);
    List<PartitionOffset> offsets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      offsets.add(new PartitionOffset(getString(in), in.getInt(), in.getLong()));
    }
    return offsets;
  }

  private static String getString(ByteBuffer in) {
    int length = in.getShort();
    if (length < 0 || length > in.remaining()) {
      throw new MalformedFrameException("string length " + length + " exceeds the frame");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
