package dev.runnel.broker.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ForgottenTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;

/**
 * The incremental fetch sessions (KIP-227) of one node, shared by all its Kafka connections, as a client may carry
 * a session over to a new connection. A full fetch at epoch 0 opens a session holding the request's partitions and
 * their fetch positions; each incremental fetch after it (epoch 1, 2, ...) names only the partitions whose position
 * or limits changed, or that it drops (forgotten topics), and its response holds only the partitions with
 * something new: records, an error, or a moved high watermark, last stable offset or log start offset. A full fetch
 * at epoch -1 closes the session and is served without one.
 *
 * <p>At most {@code slots} sessions are kept. When a new one does not fit, the least recently used is evicted if it
 * has been idle for at least {@code eviction} (Kafka's {@code min.incremental.fetch.session.eviction.ms}),
 * otherwise the new fetch is served without a session (session id 0), and its client goes on with full fetches.
 * A client whose session was evicted is answered FETCH_SESSION_ID_NOT_FOUND, one that sends an unexpected epoch
 * INVALID_FETCH_SESSION_EPOCH; both then open a new session with a full fetch.
 *
 * <p>Within a session, partitions that returned records move to the end of its order, so that under a small
 * max_bytes the others get their turn (as Kafka does).
 *
 * <p>This class is thread-safe: every access holds its lock, and does no more than bookkeeping under it.
 */
final class FetchSessions {

  /** A partition's cached high watermark before any response: differs from every real one. */
  private static final long UNKNOWN = -1;

  private final int slots;
  private final long evictionNanos;
  private final LongSupplier nanoClock;
  /** In access order, least recently used first. */
  private final LinkedHashMap<Integer, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);

  /**
   * @param slots sessions kept at most; 0 serves every fetch without a session
   * @param eviction how long a session must have been idle before a new one may evict it
   */
  FetchSessions(int slots, Duration eviction, LongSupplier nanoClock) {
    if (slots < 0) {
      throw new IllegalArgumentException("fetch session slots must not be negative");
    }
    this.slots = slots;
    this.evictionNanos = eviction.toNanos();
    this.nanoClock = nanoClock;
  }

  FetchSessions(KafkaSettings settings) {
    this(settings.fetchSessionCacheSlots(), settings.fetchSessionEviction(), System::nanoTime);
  }

  synchronized int size() {
    return sessions.size();
  }

  /**
   * What a fetch request reads, by its session id and epoch: an error, or the topics and partitions to read (for an
   * incremental fetch, all of its session's) and how to shape the response.
   */
  synchronized Context open(FetchRequestData request) {
    int id = request.sessionId();
    int epoch = request.sessionEpoch();
    if (epoch == FetchMetadata.INITIAL_EPOCH || epoch == FetchMetadata.FINAL_EPOCH) {
      if (id != FetchMetadata.INVALID_SESSION_ID) {
        sessions.remove(id);
      }
      Session session = epoch == FetchMetadata.INITIAL_EPOCH ? create(request.topics()) : null;
      return new Context(Errors.NONE, request.topics(), session, false);
    }
    Session session = sessions.get(id);
    if (session == null) {
      return new Context(Errors.FETCH_SESSION_ID_NOT_FOUND, List.of(), null, false);
    }
    if (session.epoch != epoch) {
      return new Context(Errors.INVALID_FETCH_SESSION_EPOCH, List.of(), null, false);
    }
    session.update(request.topics(), request.forgottenTopicsData());
    session.epoch = FetchMetadata.nextEpoch(epoch);
    session.lastUsed = nanoClock.getAsLong();
    return new Context(Errors.NONE, session.topics(), session, true);
  }

  private Session create(List<FetchTopic> topics) {
    if (slots == 0) {
      return null;
    }
    long now = nanoClock.getAsLong();
    if (sessions.size() >= slots) {
      Iterator<Session> leastRecentlyUsed = sessions.values().iterator();
      if (now - leastRecentlyUsed.next().lastUsed < evictionNanos) {
        return null;
      }
      leastRecentlyUsed.remove();
    }
    int id;
    do {
      id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
    } while (sessions.containsKey(id));
    Session session = new Session(id, now);
    session.update(topics, List.of());
    sessions.put(id, session);
    return session;
  }

  /**
   * One fetch's view of its session. {@link #topics()} is what to read; {@link #respond} turns the response for all
   * of them into the one to send.
   */
  final class Context {
    private final Errors error;
    private final List<FetchTopic> topics;
    private final Session session;
    private final boolean incremental;

    private Context(Errors error, List<FetchTopic> topics, Session session, boolean incremental) {
      this.error = error;
      this.topics = topics;
      this.session = session;
      this.incremental = incremental;
    }

    /** NONE, or the session error the whole fetch is answered with. */
    Errors error() {
      return error;
    }

    List<FetchTopic> topics() {
      return topics;
    }

    /**
     * Sets the response's session id and remembers what it told the client of each partition; an incremental
     * response loses the partitions with nothing new. A partition answered late (no records, no error, high
     * watermark -1) tells the client nothing and is left out of an incremental response.
     */
    FetchResponseData respond(FetchResponseData data) {
      if (session == null) {
        return data.setSessionId(FetchMetadata.INVALID_SESSION_ID);
      }
      synchronized (FetchSessions.this) {
        List<FetchableTopicResponse> kept = new ArrayList<>();
        for (FetchableTopicResponse topic : data.responses()) {
          topic.partitions().removeIf(partition -> !session.answered(topic, partition, incremental));
          if (!topic.partitions().isEmpty()) {
            kept.add(topic);
          }
        }
        data.setResponses(kept);
      }
      return data.setSessionId(session.id);
    }
  }

  private record Key(Uuid topicId, String topic, int partition) {}

  /** What the session holds of a partition: the client's last fetch position and limits, and what it was told. */
  private static final class Cached {
    private final FetchTopic topic;
    private FetchPartition fetch;
    private long highWatermark = UNKNOWN;
    private long lastStableOffset = UNKNOWN;
    private long logStartOffset = UNKNOWN;

    private Cached(FetchTopic topic, FetchPartition fetch) {
      this.topic = topic;
      this.fetch = fetch;
    }
  }

  /** One client's session. Guarded by the lock of its {@link FetchSessions}. */
  private static final class Session {
    private final int id;
    /** The epoch the next incremental fetch must carry. */
    private int epoch = 1;
    private long lastUsed;
    /** In the order the partitions are read and answered. */
    private final LinkedHashMap<Key, Cached> partitions = new LinkedHashMap<>();

    private Session(int id, long lastUsed) {
      this.id = id;
      this.lastUsed = lastUsed;
    }

    private void update(List<FetchTopic> topics, List<ForgottenTopic> forgotten) {
      for (FetchTopic topic : topics) {
        FetchTopic name = new FetchTopic().setTopic(topic.topic()).setTopicId(topic.topicId());
        for (FetchPartition partition : topic.partitions()) {
          Cached cached = partitions.get(key(topic.topicId(), topic.topic(), partition.partition()));
          if (cached == null) {
            partitions.put(key(topic.topicId(), topic.topic(), partition.partition()), new Cached(name, partition));
          } else {
            cached.fetch = partition;
          }
        }
      }
      for (ForgottenTopic topic : forgotten) {
        for (int partition : topic.partitions()) {
          partitions.remove(key(topic.topicId(), topic.topic(), partition));
        }
      }
    }

    /** The session's partitions, consecutive ones of a topic under one entry, each at its cached position. */
    private List<FetchTopic> topics() {
      List<FetchTopic> topics = new ArrayList<>();
      FetchTopic current = null;
      Cached previous = null;
      for (Cached cached : partitions.values()) {
        if (previous == null || previous.topic != cached.topic) {
          current = new FetchTopic().setTopic(cached.topic.topic()).setTopicId(cached.topic.topicId());
          topics.add(current);
        }
        current.partitions().add(cached.fetch);
        previous = cached;
      }
      return topics;
    }

    /** Records what the client is told of a partition; whether the partition goes into the response. */
    private boolean answered(FetchableTopicResponse topic, PartitionData partition, boolean incremental) {
      Key key = key(topic.topicId(), topic.topic(), partition.partitionIndex());
      Cached cached = partitions.get(key);
      if (cached == null) {
        return !incremental;
      }
      boolean hasRecords = partition.records() != null && partition.records().sizeInBytes() > 0;
      boolean late = !hasRecords && partition.errorCode() == Errors.NONE.code() && partition.highWatermark() < 0;
      if (late) {
        return !incremental;
      }
      boolean changed = hasRecords || partition.errorCode() != Errors.NONE.code()
          || partition.highWatermark() != cached.highWatermark
          || partition.lastStableOffset() != cached.lastStableOffset
          || partition.logStartOffset() != cached.logStartOffset;
      cached.highWatermark = partition.highWatermark();
      cached.lastStableOffset = partition.lastStableOffset();
      cached.logStartOffset = partition.logStartOffset();
      if (incremental && hasRecords) {
        // KIP-227: the partitions that returned data go last, so the others are read first next time.
        partitions.remove(key);
        partitions.put(key, cached);
      }
      return !incremental || changed;
    }

    /** Topics are named by id from Fetch v13 on (the name is then empty), by name before. */
    private static Key key(Uuid topicId, String topic, int partition) {
      return Uuid.ZERO_UUID.equals(topicId) ? new Key(Uuid.ZERO_UUID, topic, partition)
          : new Key(topicId, "", partition);
    }
  }
}
