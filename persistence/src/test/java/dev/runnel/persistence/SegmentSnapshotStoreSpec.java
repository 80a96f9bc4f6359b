package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;

/**
 * The Pekko Persistence snapshot store TCK against the segment journal's snapshot store. It serializes snapshots
 * with Pekko Serialization and stores no snapshot metadata beyond sequence number and timestamp.
 */
public class SegmentSnapshotStoreSpec extends JavaSnapshotStoreSpec {

  private static final Config CONFIG = TckConfig.segment("snapshot");

  public SegmentSnapshotStoreSpec() {
    super(CONFIG);
  }

  @Override
  public CapabilityFlag supportsSerialization() {
    return CapabilityFlag.on();
  }

  @Override
  public CapabilityFlag supportsMetadata() {
    return CapabilityFlag.off();
  }

  @Override
  public void beforeAll() {
    JournalProfile.createSchemaIfMissing(CONFIG);
    super.beforeAll();
  }
}
