package dev.runnel.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which journal each profile name chooses, and the refusal to start a local profile on the other one's data. */
@Timeout(60)
class JournalProfileTest {

  private static Config profile(Path dataDir, String name) {
    return JournalProfile.apply(ConfigFactory.parseMap(Map.of(
            "runnel.data-dir", dataDir.toString(),
            "runnel.persistence.profile", name))
        .withFallback(ConfigFactory.load()));
  }

  private static Path newDataDir() throws Exception {
    Files.createDirectories(Path.of("target", "profiles"));
    return Files.createTempDirectory(Path.of("target", "profiles"), "data-").toAbsolutePath();
  }

  @Test
  void when_noProfileIsSet_then_theSegmentJournalRunsUnderTheDataDirectory() throws Exception {
    Path dataDir = newDataDir();
    Config config = JournalProfile.apply(ConfigFactory.parseMap(Map.of("runnel.data-dir", dataDir.toString()))
        .withFallback(ConfigFactory.load()));
    assertEquals(JournalProfile.EMBEDDED, JournalProfile.of(config));
    assertEquals("runnel.segment-journal", config.getString("pekko.persistence.journal.plugin"));
    assertEquals("runnel.segment-snapshot-store", config.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("runnel.segment-read-journal", config.getString(JournalProfile.READ_JOURNAL_KEY));
    assertEquals(dataDir.resolve("segments").toString(), config.getString("runnel.segment-journal.dir"));
    JournalProfile.createSchemaIfMissing(config);
    assertTrue(Files.isDirectory(dataDir.resolve("segments")));
    assertFalse(Files.exists(dataDir.resolve("journal")), "no H2 database is made");
  }

  @Test
  void when_theProfileIsH2OrTheOldSegmentName_then_thatJournalRuns() throws Exception {
    Path dataDir = newDataDir();
    Config h2 = profile(dataDir, "h2");
    assertEquals(JournalProfile.H2, JournalProfile.of(h2));
    assertEquals("jdbc-journal", h2.getString("pekko.persistence.journal.plugin"));
    assertTrue(JournalProfile.H2.jdbcUrl(h2).startsWith("jdbc:h2:file:" + dataDir.resolve("journal")));
    assertEquals(JournalProfile.EMBEDDED, JournalProfile.of(profile(dataDir, "segment")));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> JournalProfile.of(ConfigFactory.parseMap(Map.of("runnel.persistence.profile", "rocks"))));
    assertTrue(unknown.getMessage().contains("\"embedded\", \"h2\" or \"postgres\""), unknown.getMessage());
  }

  @Test
  void when_anEmbeddedNodeStartsOnADataDirectoryHoldingOnlyAnH2Journal_then_itRefusesAndNamesTheH2Profile()
      throws Exception {
    Path dataDir = newDataDir();
    JournalProfile.createSchemaIfMissing(profile(dataDir, "h2"));
    assertTrue(Files.exists(dataDir.resolve("journal").resolve("runnel.mv.db")), "H2 made its database file");

    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> JournalProfile.createSchemaIfMissing(profile(dataDir, "embedded")));
    assertTrue(refused.getMessage().contains("runnel.persistence.profile = h2")
        && refused.getMessage().contains("RUNNEL_JOURNAL_PROFILE=h2"), refused.getMessage());
    assertFalse(Files.exists(dataDir.resolve("segments")), "nothing of the segment journal was created");
    JournalProfile.createSchemaIfMissing(profile(dataDir, "h2"));
  }

  @Test
  void when_anH2NodeStartsOnADataDirectoryHoldingOnlyASegmentJournal_then_itRefusesAndNamesTheEmbeddedProfile()
      throws Exception {
    Path dataDir = newDataDir();
    JournalProfile.createSchemaIfMissing(profile(dataDir, "embedded"));
    JournalProfile.createSchemaIfMissing(profile(dataDir, "h2"));
    assertTrue(Files.exists(dataDir.resolve("journal").resolve("runnel.mv.db")),
        "an empty segment directory is no journal to protect");

    Path other = newDataDir();
    Files.createDirectories(other.resolve("segments").resolve("partition%7Cx-0"));
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> JournalProfile.createSchemaIfMissing(profile(other, "h2")));
    assertTrue(refused.getMessage().contains("runnel.persistence.profile = embedded"), refused.getMessage());
    assertFalse(Files.exists(other.resolve("journal")), "no H2 database was created");
  }
}
