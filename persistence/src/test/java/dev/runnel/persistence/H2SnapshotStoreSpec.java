package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;

/** The Pekko Persistence snapshot store TCK against the h2 profile's snapshot store. */
public class H2SnapshotStoreSpec extends JavaSnapshotStoreSpec {

  private static final Config CONFIG = TckConfig.h2("snapshot");

  public H2SnapshotStoreSpec() {
    super(CONFIG);
  }

  @Override
  public void beforeAll() {
    JournalProfile.createSchemaIfMissing(CONFIG);
    super.beforeAll();
  }
}
