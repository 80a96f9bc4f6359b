package dev.runnel.samples.cqrs.command;

import java.util.List;

/** How a command ended. */
public sealed interface CommandOutcome {

  /**
   * The command's events were appended (or it needed none): the stream is at {@code version}.
   *
   * @param events the types of the events appended, in order; empty when the state already was as asked
   * @param attempts how many times it was decided: 1, plus one per race lost to another writer of the stream
   */
  record Accepted(String streamId, long version, List<String> events, int attempts) implements CommandOutcome {
    public Accepted {
      events = List.copyOf(events);
    }
  }

  /** The stream's state refuses the command; nothing was appended. */
  record Rejected(String streamId, String error, String message) implements CommandOutcome {}

  /**
   * Every attempt lost the race to another writer of the stream (the append found another version than the one
   * decided on); nothing was appended. The client may send the command again.
   */
  record Contended(String streamId, int attempts, long currentVersion) implements CommandOutcome {}
}
