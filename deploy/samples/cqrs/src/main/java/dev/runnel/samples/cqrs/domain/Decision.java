package dev.runnel.samples.cqrs.domain;

import java.util.List;

/**
 * What a {@link Decider} answers to a command: the events that record it (none when the command changes nothing),
 * or why the stream's state refuses it.
 */
public sealed interface Decision<E> {

  /** The command is accepted; {@code events} (possibly none: it was already so) are appended together. */
  record Accept<E>(List<E> events) implements Decision<E> {
    public Accept {
      events = List.copyOf(events);
    }
  }

  /**
   * The command is invalid for the stream's state: nothing is appended.
   *
   * @param error a stable name for clients to switch on, e.g. {@code ORDER_ALREADY_SHIPPED}
   * @param message what a person reads
   */
  record Reject<E>(String error, String message) implements Decision<E> {}

  static <E> Decision<E> accept(List<E> events) {
    return new Accept<>(events);
  }

  @SafeVarargs
  static <E> Decision<E> accept(E... events) {
    return new Accept<>(List.of(events));
  }

  static <E> Decision<E> reject(String error, String message) {
    return new Reject<>(error, message);
  }
}
