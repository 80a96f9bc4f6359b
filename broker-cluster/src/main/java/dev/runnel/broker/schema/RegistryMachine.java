package dev.runnel.broker.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * The registry's rules as pure functions of a {@link RegistryState}: what a write changes ({@link Decision}: the
 * {@link Change}s to append and the answer) or why it is refused (a thrown {@link RegistryException} with
 * Confluent's error code), and the answers of the reads that need more than a lookup. The writer and the API are
 * thin shells around these. Stateless and thread-safe.
 */
final class RegistryMachine {

  /** The changes a write appends, and what it answers once they are stored. */
  record Decision(List<Change> changes, WriteAnswer answer) {}

  /** The result of a compatibility test: the problems found, empty when compatible. */
  record Verdict(List<String> problems) {
    boolean compatible() {
      return problems.isEmpty();
    }
  }

  private RegistryMachine() {}

  /**
   * POST /subjects/{s}/versions: the id of this content, registering it as the subject's next version unless a live
   * version already holds it; refused 42201 when it does not parse, 409 when the subject's level forbids it. The id
   * of content registered under any subject is reused; new content takes the next id after the highest ever given.
   */
  static Decision register(RegistryState state, String subject, SchemaDraft draft, CompatibilityLevel fallback) {
    checkSubject(subject);
    SchemaFormats.Parsed parsed = parse(state, draft);
    for (StoredSchema live : state.liveVersions(subject)) {
      if (live.sameContent(parsed.type(), parsed.canonical(), draft.references())) {
        return new Decision(List.of(), new WriteAnswer(live.id(), null, null));
      }
    }
    Verdict verdict = test(state, subject, parsed, level(state, subject, fallback), candidates(state, subject, null));
    if (!verdict.compatible()) {
      throw new RegistryException(RegistryError.of(RegistryError.INCOMPATIBLE_SCHEMA,
          "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\", details: "
              + verdict.problems()));
    }
    List<Change> changes = new ArrayList<>();
    Optional<Integer> known = state.idOf(parsed.type(), parsed.canonical(), draft.references());
    int id = known.orElse(state.lastId() + 1);
    NavigableMap<Integer, StoredSchema> versions = state.versions(subject);
    int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
    changes.add(new Change.SchemaStored(new StoredSchema(
        subject, version, id, parsed.type(), parsed.canonical(), draft.references(), false)));
    if (known.isEmpty()) {
      changes.add(new Change.IdsAllocated(id));
    }
    return new Decision(changes, new WriteAnswer(id, null, null));
  }

  /**
   * DELETE /subjects/{s}: soft-deletes every live version (answering their numbers); with {@code permanent}, erases
   * a subject whose versions were all soft-deleted first, as Confluent requires.
   */
  static Decision deleteSubject(RegistryState state, String subject, boolean permanent) {
    NavigableMap<Integer, StoredSchema> versions = state.versions(subject);
    if (versions.isEmpty()) {
      throw RegistryException.subjectNotFound(subject);
    }
    List<StoredSchema> live = state.liveVersions(subject);
    List<Change> changes = new ArrayList<>();
    List<Integer> numbers = new ArrayList<>();
    if (permanent) {
      if (!live.isEmpty()) {
        throw new RegistryException(RegistryError.of(RegistryError.SUBJECT_NOT_SOFT_DELETED,
            "Subject '" + subject + "' was not deleted first before being permanently deleted"));
      }
      for (StoredSchema schema : versions.values()) {
        checkNotReferenced(state, schema);
        changes.add(new Change.SchemaErased(subject, schema.version()));
        numbers.add(schema.version());
      }
    } else {
      if (live.isEmpty()) {
        throw new RegistryException(RegistryError.of(RegistryError.SUBJECT_SOFT_DELETED,
            "Subject '" + subject + "' was soft deleted. Set permanent=true to delete permanently"));
      }
      for (StoredSchema schema : live) {
        checkNotReferenced(state, schema);
        changes.add(new Change.SchemaStored(schema.softDeleted()));
        numbers.add(schema.version());
      }
    }
    return new Decision(changes, new WriteAnswer(null, numbers, null));
  }

  /** DELETE /subjects/{s}/versions/{v}: soft-deletes one version; {@code permanent} erases a soft-deleted one. */
  static Decision deleteVersion(RegistryState state, String subject, String version, boolean permanent) {
    // A numbered version is found soft-deleted or not, so that deleting it twice says which; "latest" is the latest
    // live version for a soft delete and the latest of all for a permanent one.
    StoredSchema schema = version(state, subject, version, permanent || !isLatest(version));
    if (permanent && !schema.deleted()) {
      throw new RegistryException(RegistryError.of(RegistryError.VERSION_NOT_SOFT_DELETED, "Subject '" + subject
          + "' Version " + schema.version() + " was not deleted first before being permanently deleted"));
    }
    if (!permanent && schema.deleted()) {
      throw new RegistryException(RegistryError.of(RegistryError.VERSION_SOFT_DELETED, "Subject '" + subject
          + "' Version " + schema.version() + " was soft deleted. Set permanent=true to delete permanently"));
    }
    checkNotReferenced(state, schema);
    Change change = permanent
        ? new Change.SchemaErased(subject, schema.version())
        : new Change.SchemaStored(schema.softDeleted());
    return new Decision(List.of(change), new WriteAnswer(null, List.of(schema.version()), null));
  }

  /** PUT /config or /config/{s}: sets the level ({@code subject} null: the global one). */
  static Decision setConfig(String subject, CompatibilityLevel level) {
    return new Decision(List.of(new Change.ConfigSet(subject, level)), new WriteAnswer(null, null, level));
  }

  /**
   * DELETE /config or /config/{s}: removes a level and answers the one removed (the global level returns to the
   * configured default); 40408 when the subject has no level of its own.
   */
  static Decision deleteConfig(RegistryState state, String subject, CompatibilityLevel fallback) {
    CompatibilityLevel previous;
    if (subject == null) {
      previous = state.globalLevel().orElse(fallback);
    } else {
      previous = state.subjectLevel(subject).orElseThrow(() -> noSubjectLevel(subject));
    }
    return new Decision(List.of(new Change.ConfigCleared(subject)), new WriteAnswer(null, null, previous));
  }

  static RegistryException noSubjectLevel(String subject) {
    return new RegistryException(RegistryError.of(RegistryError.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
        "Subject '" + subject + "' does not have subject-level compatibility configured"));
  }

  /** The level that applies to {@code subject}: its own, else the global one, else {@code fallback}. */
  static CompatibilityLevel level(RegistryState state, String subject, CompatibilityLevel fallback) {
    return state.subjectLevel(subject).orElseGet(() -> state.globalLevel().orElse(fallback));
  }

  /**
   * POST /compatibility/subjects/{s}/versions[/{v}]: whether {@code draft} may follow the given version (or, with
   * {@code version} null, the versions the subject's level checks) under the subject's level.
   */
  static Verdict testCompatibility(RegistryState state, String subject, String version, SchemaDraft draft,
      CompatibilityLevel fallback) {
    List<StoredSchema> against = candidates(state, subject, version);
    return test(state, subject, parse(state, draft), level(state, subject, fallback), against);
  }

  /** POST /subjects/{s}: the version of {@code subject} that holds this content (soft-deleted ones when asked). */
  static StoredSchema lookup(RegistryState state, String subject, SchemaDraft draft, boolean deleted) {
    if (state.versions(subject).isEmpty()) {
      throw RegistryException.subjectNotFound(subject);
    }
    SchemaFormats.Parsed parsed = parse(state, draft);
    return state.versions(subject).values().stream()
        .filter(schema -> deleted || !schema.deleted())
        .filter(schema -> schema.sameContent(parsed.type(), parsed.canonical(), draft.references()))
        .reduce((first, later) -> later)
        .orElseThrow(() -> RegistryException.schemaNotFound("Schema not found"));
  }

  /**
   * A subject's version as the API names it: a number from 1 or {@code latest} (also -1); soft-deleted versions
   * only when {@code deleted}. 42202 for a name that is no version, 40401 / 40402 for one not there.
   */
  static StoredSchema version(RegistryState state, String subject, String version, boolean deleted) {
    int number = isLatest(version) ? -1 : versionNumber(version);
    NavigableMap<Integer, StoredSchema> versions = state.versions(subject);
    if (versions.isEmpty() || (!deleted && state.liveVersions(subject).isEmpty())) {
      throw RegistryException.subjectNotFound(subject);
    }
    if (number == -1) {
      return versions.descendingMap().values().stream()
          .filter(schema -> deleted || !schema.deleted())
          .findFirst()
          .orElseThrow(() -> RegistryException.subjectNotFound(subject));
    }
    StoredSchema schema = versions.get(number);
    if (schema == null || (schema.deleted() && !deleted)) {
      throw RegistryException.versionNotFound(subject, number);
    }
    return schema;
  }

  private static boolean isLatest(String version) {
    return "latest".equals(version) || "-1".equals(version);
  }

  static int versionNumber(String version) {
    try {
      int number = Integer.parseInt(version);
      if (number >= 1) {
        return number;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new RegistryException(RegistryError.of(RegistryError.INVALID_VERSION, "The specified version '" + version
        + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""));
  }

  private static SchemaFormats.Parsed parse(RegistryState state, SchemaDraft draft) {
    return SchemaFormats.parse(draft.schemaType(), draft.schema(), draft.references(), reference -> {
      StoredSchema found = state.versions(reference.subject()).get(reference.version());
      if (found == null || found.deleted()) {
        throw RegistryException.invalidSchema("Invalid schema: reference '" + reference.name() + "' names subject '"
            + reference.subject() + "' version " + reference.version() + ", which is not registered");
      }
      return found;
    });
  }

  /** The versions a registration is checked against: the given one, else the latest or (transitive) all. */
  private static List<StoredSchema> candidates(RegistryState state, String subject, String version) {
    if (version != null) {
      return List.of(version(state, subject, version, false));
    }
    return state.liveVersions(subject);
  }

  private static Verdict test(RegistryState state, String subject, SchemaFormats.Parsed candidate,
      CompatibilityLevel level, List<StoredSchema> against) {
    List<StoredSchema> checked = level.transitive() || against.size() <= 1
        ? against
        : List.of(against.get(against.size() - 1));
    List<String> problems = new ArrayList<>();
    for (StoredSchema existing : checked) {
      SchemaFormats.Parsed parsed =
          parse(state, new SchemaDraft(existing.schemaType(), existing.schema(), existing.references()));
      problems.addAll(SchemaFormats.incompatibilities(candidate, parsed, level, existing.version()));
    }
    return new Verdict(problems);
  }

  private static void checkNotReferenced(RegistryState state, StoredSchema schema) {
    List<Integer> referrers = state.referencedBy(schema.subject(), schema.version());
    if (!referrers.isEmpty()) {
      throw new RegistryException(RegistryError.of(RegistryError.REFERENCE_EXISTS, "One or more references exist to "
          + "the schema {subject=" + schema.subject() + ", version=" + schema.version() + "}: ids " + referrers));
    }
  }

  private static void checkSubject(String subject) {
    if (subject == null || subject.isBlank() || subject.chars().anyMatch(Character::isISOControl)) {
      throw new RegistryException(RegistryError.of(RegistryError.INVALID_SUBJECT, "Invalid subject '" + subject + "'"));
    }
  }
}
