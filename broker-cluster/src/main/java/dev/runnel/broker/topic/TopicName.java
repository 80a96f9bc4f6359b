package dev.runnel.broker.topic;

import java.util.regex.Pattern;
import org.apache.kafka.common.errors.InvalidTopicException;

/** Kafka's rules for topic names. */
public final class TopicName {

  public static final int MAX_LENGTH = 249;
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

  private TopicName() {}

  /** @throws InvalidTopicException saying which rule {@code name} breaks */
  public static void validate(String name) {
    if (name == null || name.isEmpty()) {
      throw new InvalidTopicException("Topic name is illegal, it can't be empty");
    }
    if (name.equals(".") || name.equals("..")) {
      throw new InvalidTopicException("Topic name cannot be \".\" or \"..\"");
    }
    if (name.length() > MAX_LENGTH) {
      throw new InvalidTopicException(
          "Topic name is illegal, it can't be longer than " + MAX_LENGTH + " characters, topic name: " + name);
    }
    if (!LEGAL.matcher(name).matches()) {
      throw new InvalidTopicException("Topic name \"" + name + "\" is illegal, it contains a character other than "
          + "ASCII alphanumerics, '.', '_' and '-'");
    }
  }
}
