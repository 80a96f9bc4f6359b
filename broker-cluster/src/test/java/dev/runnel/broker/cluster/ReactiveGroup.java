package dev.runnel.broker.cluster;

import dev.runnel.client.Committer;
import dev.runnel.client.CommitterSettings;
import dev.runnel.client.Consumer;
import dev.runnel.client.ConsumerSettings;
import dev.runnel.client.Control;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;

/**
 * Members of one consumer group of the reactive client ({@code Consumer.committableSource} into
 * {@code Committer.sink}), each recording what it emits, and the checks the cluster tests make on it: which values
 * were consumed, and whether each partition's records were first emitted in offset order without a gap (a record
 * emitted again after a member lost its partition, or reconnected, is fine; one that skips ahead is not).
 */
final class ReactiveGroup {

  private final String groupId;
  private final String topic;
  private final Set<String> consumed = ConcurrentHashMap.newKeySet();
  private final List<Pair<Control, CompletionStage<Done>>> members = new ArrayList<>();
  /** Per partition, the offset of the next record not emitted yet by any member. Guarded by this. */
  private final Map<Integer, Long> nextNew = new HashMap<>();
  private final List<String> disorder = new ArrayList<>();
  private int emitted;

  ReactiveGroup(String groupId, String topic) {
    this.groupId = groupId;
    this.topic = topic;
  }

  String groupId() {
    return groupId;
  }

  /** Starts a member connected to {@code bootstrap} (one or several comma-separated ws:// URIs). */
  void addMember(ActorSystem system, String bootstrap) {
    ConsumerSettings settings = ConsumerSettings.create(system).withBootstrap(bootstrap)
        .withAutoOffsetReset(ConsumerSettings.AutoOffsetReset.EARLIEST);
    members.add(Consumer.committableSource(settings, groupId, Set.of(topic))
        .map(message -> {
          emitted(message.record().partition(), message.record().offset(),
              new String(message.record().value(), StandardCharsets.UTF_8));
          return message.committableOffset();
        })
        .toMat(Committer.sink(CommitterSettings.create(system).withMaxInterval(Duration.ofMillis(200))),
            Keep.both())
        .run(system));
  }

  private synchronized void emitted(int partition, long offset, String value) {
    emitted++;
    consumed.add(value);
    Long next = nextNew.get(partition);
    if (next == null || offset == next) {
      nextNew.put(partition, offset + 1);
    } else if (offset > next) {
      disorder.add(topic + "-" + partition + ": offset " + offset + " emitted before " + next);
      nextNew.put(partition, offset + 1);
    }
  }

  synchronized int emittedCount() {
    return emitted;
  }

  boolean consumedAll(Collection<String> values) {
    return consumed.containsAll(values);
  }

  long missing(Collection<String> values) {
    return values.stream().filter(value -> !consumed.contains(value)).count();
  }

  synchronized List<String> disorder() {
    return List.copyOf(disorder);
  }

  /** The members whose stream has ended (a member's stream ends only when it is shut down, or fails). */
  List<String> ended() {
    List<String> ended = new ArrayList<>();
    for (int m = 0; m < members.size(); m++) {
      var completion = members.get(m).second().toCompletableFuture();
      if (completion.isDone()) {
        ended.add("member " + m + ": " + (completion.isCompletedExceptionally()
            ? completion.handle((ok, failure) -> failure).join() : "completed"));
      }
    }
    return ended;
  }

  /** Drains and shuts every member down; fails if a member's stream failed. */
  void drainAndShutdown() throws Exception {
    for (Pair<Control, CompletionStage<Done>> member : members) {
      member.first().drainAndShutdown(member.second()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
