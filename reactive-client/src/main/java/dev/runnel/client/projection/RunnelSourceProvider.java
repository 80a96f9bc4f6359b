package dev.runnel.client.projection;

import dev.runnel.client.CommittableMessage;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.internal.GroupConsumerStage;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.projection.MergeableOffset;
import org.apache.pekko.projection.OffsetVerification;
import org.apache.pekko.projection.javadsl.MergeableOffsetSourceProvider;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.javadsl.VerifiableSourceProvider;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;

/**
 * A Pekko Projection {@link SourceProvider} of Runnel topics over the native protocol: the records of the partitions
 * that consumer group {@code groupId} assigns this projection instance (run several instances with the same group
 * to split the partitions), each partition starting after the offset the projection's offset store holds for it
 * (the group's own committed offsets are not used), else by {@code consumer.group.auto-offset-reset}.
 *
 * <p>The offset is a {@link MergeableOffset} with one entry per partition, keyed {@code topic-partition} (as
 * pekko-projection-kafka's {@code KafkaSourceProvider} keys them), so an exactly-once projection stores all
 * partitions' positions in the same transaction as its read model; each {@link RunnelEnvelope}'s offset covers
 * every owned partition up to that record, so a grouped handler, which stores its group's last offset only, loses
 * none. After a rebalance the records of a partition
 * this instance no longer owns are refused by {@link #verifyOffset} before the handler sees them: the partition's
 * new owner reads them from the stored offset instead, so no record is handled twice. An envelope of a partition
 * still owned passes even when its offset also names a partition revoked after it was emitted: refusing it would
 * skip its record for good, since the partition's later envelopes store later offsets.
 */
public final class RunnelSourceProvider extends SourceProvider<MergeableOffset<Long>, RunnelEnvelope>
    implements VerifiableSourceProvider<MergeableOffset<Long>, RunnelEnvelope>,
        MergeableOffsetSourceProvider<MergeableOffset<Long>, RunnelEnvelope> {

  private final ConsumerSettings settings;
  private final String groupId;
  private final Set<String> topics;
  private final Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();
  /** How many partitions were revoked so far: the envelopes' positions drop revoked partitions when it moves. */
  private final AtomicLong revocations = new AtomicLong();
  /**
   * The partition of each emitted envelope's record, by its offset, for {@link #verifyOffset}, which sees only the
   * offset. Weak keys: an entry goes when the projection is done with the envelope.
   */
  private final Map<MergeableOffset<Long>, TopicPartition> recordPartitions =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** The offset of the last record emitted per owned partition, as of the revocations last looked at. */
  private static final class Positions {
    final Map<TopicPartition, Long> latest = new HashMap<>();
    long revocationsSeen;
  }

  private RunnelSourceProvider(ConsumerSettings settings, String groupId, Set<String> topics) {
    this.settings = settings;
    this.groupId = groupId;
    this.topics = Set.copyOf(topics);
  }

  /** The records of {@code topics}' partitions that group {@code groupId} assigns this instance. */
  public static RunnelSourceProvider create(ConsumerSettings settings, String groupId, Set<String> topics) {
    return new RunnelSourceProvider(settings, groupId, topics);
  }

  @Override
  public CompletionStage<Source<RunnelEnvelope, NotUsed>> source(
      Supplier<CompletionStage<Optional<MergeableOffset<Long>>>> offset) {
    GroupConsumerStage.StartOffsets start = partitions -> offset.get().thenApply(stored -> next(stored, partitions));
    Source<RunnelEnvelope, NotUsed> envelopes = Source
        .fromGraph(GroupConsumerStage.partitioned(settings, groupId, topics, start))
        // Every assigned partition's sub-source must run (an unread one stalls it and times out), however many.
        .flatMapMerge(Integer.MAX_VALUE, assignment -> {
          TopicPartition partition = assignment.first();
          assigned.add(partition);
          return assignment.second().map(CommittableMessage::record)
              .watchTermination((notUsed, done) -> {
                done.whenComplete((ignored, failure) -> {
                  assigned.remove(partition);
                  revocations.incrementAndGet();
                });
                return notUsed;
              });
        })
        .statefulMap(
            () -> new Positions(),
            (positions, record) -> {
              long seen = revocations.get();
              if (positions.revocationsSeen != seen) {
                positions.latest.keySet().retainAll(assigned);
                positions.revocationsSeen = seen;
              }
              TopicPartition partition = new TopicPartition(record.topic(), record.partition());
              positions.latest.put(partition, record.offset());
              MergeableOffset<Long> emitted = mergeable(positions.latest);
              recordPartitions.put(emitted, partition);
              return Pair.create(positions, new RunnelEnvelope(record, emitted));
            },
            positions -> Optional.empty())
        .mapMaterializedValue(control -> NotUsed.getInstance());
    return CompletableFuture.completedFuture(envelopes);
  }

  @Override
  public MergeableOffset<Long> extractOffset(RunnelEnvelope envelope) {
    return envelope.offset();
  }

  @Override
  public long extractCreationTime(RunnelEnvelope envelope) {
    return envelope.record().timestamp();
  }

  private static MergeableOffset<Long> mergeable(Map<TopicPartition, Long> offsets) {
    scala.collection.immutable.Map<String, Long> entries = scala.collection.immutable.Map$.MODULE$.empty();
    for (Map.Entry<TopicPartition, Long> entry : offsets.entrySet()) {
      entries = entries.updated(key(entry.getKey().topic(), entry.getKey().partition()), entry.getValue());
    }
    return new MergeableOffset<>(entries);
  }

  @Override
  public OffsetVerification verifyOffset(MergeableOffset<Long> offset) {
    return verify(offset, recordPartitions.get(offset), Set.copyOf(assigned));
  }

  /**
   * Whether an offset may be handled: the partition of its envelope's record ({@code own}, null for an offset this
   * instance did not emit, when every partition it names must be) is still among {@code assigned}.
   */
  static OffsetVerification verify(MergeableOffset<Long> offset, TopicPartition own, Set<TopicPartition> assigned) {
    if (own != null) {
      return verified(own, assigned);
    }
    scala.collection.Iterator<String> keys = offset.entries().keysIterator();
    while (keys.hasNext()) {
      OffsetVerification verification = verified(partition(keys.next()), assigned);
      if (verification != OffsetVerification.VerificationSuccess$.MODULE$) {
        return verification;
      }
    }
    return OffsetVerification.VerificationSuccess$.MODULE$;
  }

  private static OffsetVerification verified(TopicPartition partition, Set<TopicPartition> assigned) {
    return assigned.contains(partition)
        ? OffsetVerification.VerificationSuccess$.MODULE$
        : OffsetVerification.VerificationFailure$.MODULE$.apply(
            "partition " + partition + " is no longer assigned to this projection instance");
  }

  /** The next offset to read of each partition: one after the stored one, absent where none is stored. */
  static Map<TopicPartition, Long> next(Optional<MergeableOffset<Long>> stored, Set<TopicPartition> partitions) {
    Map<TopicPartition, Long> next = new HashMap<>();
    if (stored.isEmpty()) {
      return next;
    }
    for (TopicPartition partition : partitions) {
      Option<Long> last = stored.get().entries().get(key(partition.topic(), partition.partition()));
      if (last.isDefined()) {
        next.put(partition, last.get() + 1);
      }
    }
    return next;
  }

  static String key(String topic, int partition) {
    return topic + "-" + partition;
  }

  /** The partition of an offset entry's key; a topic's name may itself hold dashes. */
  static TopicPartition partition(String key) {
    int dash = key.lastIndexOf('-');
    return new TopicPartition(key.substring(0, dash), Integer.parseInt(key.substring(dash + 1)));
  }
}
