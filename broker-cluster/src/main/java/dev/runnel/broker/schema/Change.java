package dev.runnel.broker.schema;

/**
 * A fact recorded in {@code _schemas}, one record each (see {@link SchemaLogCodec} for the keys). Every node's
 * {@link RegistryState} is these facts applied in log order; the writer decides them, everyone applies them.
 */
sealed interface Change {

  /** A version registered or soft-deleted (then with {@code deleted} set): keyed by subject and version. */
  record SchemaStored(StoredSchema schema) implements Change {}

  /** A version permanently deleted: the tombstone of its key. */
  record SchemaErased(String subject, int version) implements Change {}

  /** A compatibility level set, for a subject or globally ({@code subject} null). */
  record ConfigSet(String subject, CompatibilityLevel level) implements Change {}

  /** A subject's own level removed (the tombstone of its config key): the global level applies again. */
  record ConfigCleared(String subject) implements Change {}

  /**
   * The highest schema id ever given out. Kept as its own record because compaction and hard deletes can remove
   * the schema records of the highest ids, and an id must never be given to other content.
   */
  record IdsAllocated(int lastId) implements Change {}
}
