package dev.runnel.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The journal profiles ({@code runnel.persistence.profile}): turns the chosen profile into the configuration of
 * its journal, snapshot store and read journal: the segment journal's, under the data directory, for
 * {@code embedded}; pekko-persistence-jdbc's, sharing one database, for {@code h2} and {@code postgres}. The broker
 * never knows which profile runs; only this configuration differs. The chosen read journal's plugin id is set at
 * {@value #READ_JOURNAL_KEY}.
 */
public enum JournalProfile {
  EMBEDDED("embedded", null, null, null),
  H2("h2", "slick.jdbc.H2Profile$", "org.h2.Driver", "h2.sql"),
  POSTGRES("postgres", "slick.jdbc.PostgresProfile$", "org.postgresql.Driver", "postgres.sql");

  /** Where {@link #apply} puts the plugin id of the profile's read journal. */
  public static final String READ_JOURNAL_KEY = "runnel.persistence.read-journal";

  private static final String SHARED_DB = "runnel";

  /** The PostgreSQL advisory lock key that serializes schema creation between nodes ("runnel" in ASCII). */
  private static final long SCHEMA_LOCK = 0x72756e6e656cL;

  private final String configName;
  private final String slickProfile;
  private final String driver;
  private final String schemaScript;

  JournalProfile(String configName, String slickProfile, String driver, String schemaScript) {
    this.configName = configName;
    this.slickProfile = slickProfile;
    this.driver = driver;
    this.schemaScript = schemaScript;
  }

  public static JournalProfile of(Config config) {
    String name = config.getString("runnel.persistence.profile");
    // "segment" named the segment journal before it became the embedded profile; it keeps meaning that journal.
    if (name.equals("segment")) {
      return EMBEDDED;
    }
    for (JournalProfile profile : values()) {
      if (profile.configName.equals(name)) {
        return profile;
      }
    }
    throw new IllegalArgumentException(
        "runnel.persistence.profile must be \"embedded\", \"h2\" or \"postgres\", not \"" + name + "\"");
  }

  /** The name {@code runnel.persistence.profile} gives this profile. */
  public String configName() {
    return configName;
  }

  /**
   * Whether the journal lives in this node's data directory, where no other node can read it (so the node must
   * not join a cluster).
   */
  public boolean isLocal() {
    return this != POSTGRES;
  }

  private static Path dataDir(Config config) {
    return Paths.get(config.getString("runnel.data-dir")).toAbsolutePath().normalize();
  }

  /** The file of the h2 profile's database in the data directory. */
  private static Path h2File(Config config) {
    return dataDir(config).resolve("journal").resolve("runnel.mv.db");
  }

  /** The JDBC URL of this profile's database; the embedded profile has none. */
  public String jdbcUrl(Config config) {
    return switch (this) {
      case EMBEDDED -> throw new IllegalStateException("the embedded profile (segment journal) has no JDBC database");
      case H2 -> {
        Path dir = dataDir(config).resolve("journal");
        yield "jdbc:h2:file:" + dir.resolve("runnel") + config.getString("runnel.persistence.h2.url-options");
      }
      case POSTGRES -> config.getString("runnel.persistence.postgres.url");
    };
  }

  private String user(Config config) {
    return this == POSTGRES ? config.getString("runnel.persistence.postgres.user") : "sa";
  }

  private String password(Config config) {
    return this == POSTGRES ? config.getString("runnel.persistence.postgres.password") : "";
  }

  private int connections(Config config) {
    return config.getInt("runnel.persistence." + configName + ".connections");
  }

  /**
   * {@code config} with the persistence plugins of the profile it names layered on top. Call on the fully loaded
   * application configuration, before the actor system starts.
   */
  public static Config apply(Config config) {
    JournalProfile profile = of(config);
    if (profile == EMBEDDED) {
      return ConfigFactory.empty()
          .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef("runnel.segment-journal"))
          .withValue("pekko.persistence.snapshot-store.plugin",
              ConfigValueFactory.fromAnyRef("runnel.segment-snapshot-store"))
          .withValue("runnel.segment-journal.dir", ConfigValueFactory.fromAnyRef(dataDir(config).resolve("segments")
              .toString()))
          .withValue("runnel.segment-snapshot-store.dir", ConfigValueFactory.fromAnyRef(dataDir(config)
              .resolve("snapshots").toString()))
          .withValue(READ_JOURNAL_KEY, ConfigValueFactory.fromAnyRef("runnel.segment-read-journal"))
          .withFallback(config);
    }
    int connections = profile.connections(config);
    Map<String, Object> db = new HashMap<>();
    db.put("connectionPool", "HikariCP");
    db.put("url", profile.jdbcUrl(config));
    db.put("driver", profile.driver);
    db.put("user", profile.user(config));
    db.put("password", profile.password(config));
    db.put("numThreads", connections);
    db.put("maxConnections", connections);
    db.put("minConnections", connections);
    db.put("queueSize", 10000);
    db.put("keepAliveConnection", true);
    Config overrides = ConfigFactory.empty()
        .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef("jdbc-journal"))
        .withValue("pekko.persistence.snapshot-store.plugin", ConfigValueFactory.fromAnyRef("jdbc-snapshot-store"))
        .withValue(READ_JOURNAL_KEY, ConfigValueFactory.fromAnyRef("jdbc-read-journal"))
        .withValue("jdbc-journal.use-shared-db", ConfigValueFactory.fromAnyRef(SHARED_DB))
        .withValue("jdbc-snapshot-store.use-shared-db", ConfigValueFactory.fromAnyRef(SHARED_DB))
        .withValue("jdbc-read-journal.use-shared-db", ConfigValueFactory.fromAnyRef(SHARED_DB))
        .withValue("jdbc-durable-state-store.use-shared-db", ConfigValueFactory.fromAnyRef(SHARED_DB))
        .withValue("pekko-persistence-jdbc.shared-databases." + SHARED_DB + ".profile",
            ConfigValueFactory.fromAnyRef(profile.slickProfile))
        .withValue("pekko-persistence-jdbc.shared-databases." + SHARED_DB + ".db", ConfigValueFactory.fromMap(db));
    return overrides.withFallback(config);
  }

  /**
   * Creates the journal and snapshot tables (the embedded profile: directories) if they are missing. Blocking: call
   * it before the actor system starts, or from a dispatcher meant for blocking work.
   *
   * @throws IllegalStateException when the data directory holds the other local profile's journal and none of this
   *     one's: a node started there would look empty, although the data is on disk
   */
  public static void createSchemaIfMissing(Config config) {
    JournalProfile profile = of(config);
    refuseOtherLocalJournal(profile, config);
    if (profile == EMBEDDED) {
      try {
        Files.createDirectories(dataDir(config).resolve("segments"));
        Files.createDirectories(dataDir(config).resolve("snapshots"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the segment journal's directories under " + dataDir(config), e);
      }
      return;
    }
    String url = profile.jdbcUrl(config);
    try {
      if (profile == H2) {
        Files.createDirectories(dataDir(config).resolve("journal"));
      }
      String script;
      try (InputStream in = JournalProfile.class.getResourceAsStream("schema/" + profile.schemaScript)) {
        script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      try (Connection connection = DriverManager.getConnection(url, profile.user(config), profile.password(config));
          Statement statement = connection.createStatement()) {
        if (profile == POSTGRES) {
          // Nodes of a cluster start together, and PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a
          // concurrent one (both may pass the check, one then fails on the catalog): one node at a time. The lock
          // is the session's, released when the connection closes.
          statement.execute("SELECT pg_advisory_lock(" + SCHEMA_LOCK + ")");
        }
        for (String sql : script.split(";")) {
          String trimmed = sql.lines().filter(line -> !line.trim().startsWith("--")).reduce("", (a, b) -> a + "\n" + b)
              .trim();
          if (!trimmed.isEmpty()) {
            statement.execute(trimmed);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the journal directory for " + url, e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the journal schema at " + url + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses to start a local profile on a data directory that holds only the other local profile's journal. Before
   * the segment journal became the embedded profile, {@code embedded} meant H2 in {@code <data-dir>/journal}: a node
   * upgraded in place would otherwise come up empty, with its topics, offsets and records still on disk.
   */
  private static void refuseOtherLocalJournal(JournalProfile profile, Config config) {
    Path segments = dataDir(config).resolve("segments");
    Path h2 = h2File(config);
    if (profile == EMBEDDED && Files.exists(h2) && !Files.exists(segments)) {
      throw new IllegalStateException("the data directory " + dataDir(config) + " holds an H2 journal (" + h2
          + "), written by the h2 profile or by the embedded profile of a Runnel before the segment journal became"
          + " its default, and no segment journal: on the embedded profile this node would start without its"
          + " topics and records. To keep using that journal set runnel.persistence.profile = h2"
          + " (RUNNEL_JOURNAL_PROFILE=h2); to start empty on the segment journal, move " + h2.getParent()
          + " away.");
    }
    if (profile == H2 && !Files.exists(h2) && hasEntries(segments)) {
      throw new IllegalStateException("the data directory " + dataDir(config) + " holds a segment journal ("
          + segments + ") and no H2 journal: on the h2 profile this node would start without its topics and"
          + " records. To keep using that journal set runnel.persistence.profile = embedded"
          + " (RUNNEL_JOURNAL_PROFILE=embedded); to start empty on H2, move " + segments + " away.");
    }
  }

  private static boolean hasEntries(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var entries = Files.list(dir)) {
      return entries.findAny().isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
