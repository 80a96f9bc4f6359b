package dev.runnel.client.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.projection.MergeableOffset;
import org.apache.pekko.projection.OffsetVerification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RunnelSourceProviderTest {

  @Test
  void when_offsetsAreStored_then_eachAssignedPartitionStartsAfterItsOwn_and_theOthersAreAbsent() {
    scala.collection.immutable.Map<String, Long> entries = scala.collection.immutable.Map$.MODULE$.empty();
    entries = entries.updated("order-events-0", 41L);
    entries = entries.updated("order-events-2", 7L);
    entries = entries.updated("other-1", 3L);
    TopicPartition zero = new TopicPartition("order-events", 0);
    TopicPartition one = new TopicPartition("order-events", 1);
    TopicPartition two = new TopicPartition("order-events", 2);

    Map<TopicPartition, Long> next = RunnelSourceProvider.next(Optional.of(new MergeableOffset<>(entries)),
        Set.of(zero, one, two));

    assertEquals(Map.of(zero, 42L, two, 8L), next);
    assertEquals(Map.of(), RunnelSourceProvider.next(Optional.empty(), Set.of(zero)));
  }

  @Test
  void when_aTopicNameHoldsDashes_then_itsKeyReadsBackToTheSamePartition() {
    String key = RunnelSourceProvider.key("order-events-v2", 11);
    assertEquals("order-events-v2-11", key);
    assertEquals(new TopicPartition("order-events-v2", 11), RunnelSourceProvider.partition(key));
  }

  @Test
  void when_aPartitionIsRevokedAfterAnEnvelopeOfAnotherWasEmitted_then_thatEnvelopeIsStillHandled_butTheRevokedOnesAreNot() {
    TopicPartition kept = new TopicPartition("users", 0);
    TopicPartition revoked = new TopicPartition("users", 1);
    scala.collection.immutable.Map<String, Long> entries = scala.collection.immutable.Map$.MODULE$.empty();
    entries = entries.updated(RunnelSourceProvider.key("users", 0), 5L);
    entries = entries.updated(RunnelSourceProvider.key("users", 1), 9L);
    MergeableOffset<Long> both = new MergeableOffset<>(entries);
    Set<TopicPartition> afterRevocation = Set.of(kept);

    assertEquals(OffsetVerification.VerificationSuccess$.MODULE$,
        RunnelSourceProvider.verify(both, kept, afterRevocation));
    assertInstanceOf(OffsetVerification.VerificationFailure.class,
        RunnelSourceProvider.verify(both, revoked, afterRevocation));
    assertInstanceOf(OffsetVerification.VerificationFailure.class,
        RunnelSourceProvider.verify(both, null, afterRevocation));
    assertEquals(OffsetVerification.VerificationSuccess$.MODULE$,
        RunnelSourceProvider.verify(both, null, Set.of(kept, revoked)));
  }
}
