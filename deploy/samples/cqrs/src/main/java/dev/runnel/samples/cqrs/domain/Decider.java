package dev.runnel.samples.cqrs.domain;

/**
 * The rules of one kind of stream as pure functions: the state before any event, how an event changes the state,
 * and what a command decides given the state. The command handler folds a stream's events with {@link #evolve}
 * and appends what {@link #decide} answers, with the stream's version as the expected one, so a decision is only
 * stored if no other event came in between.
 *
 * @param <S> the stream's state (immutable)
 * @param <C> its commands
 * @param <E> its events
 */
public interface Decider<S, C, E> {

  S initial();

  /** The state after {@code event}; only applies it, because every load replays it again. */
  S evolve(S state, E event);

  Decision<E> decide(S state, C command);
}
