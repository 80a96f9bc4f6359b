package dev.runnel.broker.schema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry as {@code _schemas} describes it up to some offset: subjects and their versions (soft-deleted ones
 * included), schemas by id, compatibility levels, the last id given out. Built by applying {@link Change}s in log
 * order; {@link #copy()} gives an independent state, so a reader can publish a state and go on applying to a copy.
 *
 * <p>This class is not thread-safe: the writer keeps one inside its actor, the view publishes copies it no longer
 * changes.
 */
final class RegistryState {

  private final Map<String, TreeMap<Integer, StoredSchema>> subjects;
  private final Map<String, CompatibilityLevel> subjectLevels;
  private CompatibilityLevel globalLevel;
  private int lastId;

  RegistryState() {
    this(new TreeMap<>(), new HashMap<>(), null, 0);
  }

  private RegistryState(Map<String, TreeMap<Integer, StoredSchema>> subjects,
      Map<String, CompatibilityLevel> subjectLevels, CompatibilityLevel globalLevel, int lastId) {
    this.subjects = subjects;
    this.subjectLevels = subjectLevels;
    this.globalLevel = globalLevel;
    this.lastId = lastId;
  }

  RegistryState copy() {
    Map<String, TreeMap<Integer, StoredSchema>> versions = new TreeMap<>();
    subjects.forEach((subject, byVersion) -> versions.put(subject, new TreeMap<>(byVersion)));
    return new RegistryState(versions, new HashMap<>(subjectLevels), globalLevel, lastId);
  }

  void apply(Change change) {
    if (change instanceof Change.SchemaStored stored) {
      StoredSchema schema = stored.schema();
      subjects.computeIfAbsent(schema.subject(), s -> new TreeMap<>()).put(schema.version(), schema);
      lastId = Math.max(lastId, schema.id());
    } else if (change instanceof Change.SchemaErased erased) {
      TreeMap<Integer, StoredSchema> versions = subjects.get(erased.subject());
      if (versions != null) {
        versions.remove(erased.version());
        if (versions.isEmpty()) {
          subjects.remove(erased.subject());
        }
      }
    } else if (change instanceof Change.ConfigSet set) {
      if (set.subject() == null) {
        globalLevel = set.level();
      } else {
        subjectLevels.put(set.subject(), set.level());
      }
    } else if (change instanceof Change.ConfigCleared cleared) {
      if (cleared.subject() == null) {
        globalLevel = null;
      } else {
        subjectLevels.remove(cleared.subject());
      }
    } else if (change instanceof Change.IdsAllocated ids) {
      lastId = Math.max(lastId, ids.lastId());
    } else {
      throw new IllegalStateException("Unknown change " + change);
    }
  }

  int lastId() {
    return lastId;
  }

  /** The subjects with a live version (or any version, soft-deleted ones too, when {@code deleted}). */
  List<String> subjects(boolean deleted) {
    List<String> names = new ArrayList<>();
    subjects.forEach((subject, versions) -> {
      if (deleted || versions.values().stream().anyMatch(v -> !v.deleted())) {
        names.add(subject);
      }
    });
    return names;
  }

  /** A subject's versions in ascending order, soft-deleted ones included; empty when it has none. */
  NavigableMap<Integer, StoredSchema> versions(String subject) {
    TreeMap<Integer, StoredSchema> versions = subjects.get(subject);
    return versions == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(versions);
  }

  /** A subject's live versions in ascending order. */
  List<StoredSchema> liveVersions(String subject) {
    return versions(subject).values().stream().filter(v -> !v.deleted()).toList();
  }

  /** Any version holding schema {@code id} (every version with an id holds the same content). */
  Optional<StoredSchema> byId(int id) {
    for (TreeMap<Integer, StoredSchema> versions : subjects.values()) {
      for (StoredSchema schema : versions.values()) {
        if (schema.id() == id) {
          return Optional.of(schema);
        }
      }
    }
    return Optional.empty();
  }

  /** Every version holding schema {@code id}, soft-deleted ones when {@code deleted}. */
  List<StoredSchema> versionsOfId(int id, boolean deleted) {
    List<StoredSchema> found = new ArrayList<>();
    subjects.values().forEach(versions -> versions.values().forEach(schema -> {
      if (schema.id() == id && (deleted || !schema.deleted())) {
        found.add(schema);
      }
    }));
    return found;
  }

  /** The id already given to this content under any subject, if any. */
  Optional<Integer> idOf(SchemaType type, String canonical, List<SchemaReference> references) {
    for (TreeMap<Integer, StoredSchema> versions : subjects.values()) {
      for (StoredSchema schema : versions.values()) {
        if (schema.sameContent(type, canonical, references)) {
          return Optional.of(schema.id());
        }
      }
    }
    return Optional.empty();
  }

  /** The ids of the live schemas that reference {@code subject} at {@code version}. */
  List<Integer> referencedBy(String subject, int version) {
    TreeSet<Integer> ids = new TreeSet<>();
    subjects.values().forEach(versions -> versions.values().forEach(schema -> {
      if (!schema.deleted() && schema.references().stream()
          .anyMatch(r -> r.subject().equals(subject) && r.version() == version)) {
        ids.add(schema.id());
      }
    }));
    return List.copyOf(ids);
  }

  Optional<CompatibilityLevel> subjectLevel(String subject) {
    return Optional.ofNullable(subjectLevels.get(subject));
  }

  Optional<CompatibilityLevel> globalLevel() {
    return Optional.ofNullable(globalLevel);
  }
}
