package dev.runnel.samples.cqrs.view;

/**
 * A row of {@code user_view}: a user as of the {@code version}-th event of its stream.
 *
 * @param updatedAt when that event was appended, ms since the epoch
 */
public record UserRow(String userId, String name, String email, long version, long updatedAt) {}
