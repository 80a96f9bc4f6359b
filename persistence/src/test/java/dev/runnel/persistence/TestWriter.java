package dev.runnel.persistence;

import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;

/**
 * A persistent actor for read-side tests: persists each {@code String} it gets and answers its sequence number;
 * a {@code Long} deletes the events up to it and answers {@code "deleted"}.
 */
final class TestWriter extends AbstractPersistentActor {

  private final String persistenceId;
  private ActorRef deleteReplyTo;

  TestWriter(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public AbstractActor.Receive createReceiveRecover() {
    return receiveBuilder().matchAny(ignored -> {}).build();
  }

  @Override
  public AbstractActor.Receive createReceive() {
    return receiveBuilder()
        .match(String.class, event -> {
          ActorRef replyTo = sender();
          persist(event, persisted -> replyTo.tell(lastSequenceNr(), self()));
        })
        .match(Long.class, to -> {
          deleteReplyTo = sender();
          deleteMessages(to);
        })
        .match(DeleteMessagesSuccess.class, done -> deleteReplyTo.tell("deleted", self()))
        .match(DeleteMessagesFailure.class, failed -> deleteReplyTo.tell(failed.cause(), self()))
        .build();
  }
}
