package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;

/** The Pekko Persistence snapshot store TCK against the embedded profile's snapshot store. */
public class EmbeddedSnapshotStoreSpec extends JavaSnapshotStoreSpec {

  private static final Config CONFIG = TckConfig.embedded("snapshot");

  public EmbeddedSnapshotStoreSpec() {
    super(CONFIG);
  }

  @Override
  public void beforeAll() {
    JournalProfile.createSchemaIfMissing(CONFIG);
    super.beforeAll();
  }
}
