package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;

/**
 * The Pekko Persistence journal TCK against the segment journal (embedded profile, fsync = interval). Capability
 * flags as the plugin is: it rejects an atomic write whose events cannot be serialized, alone; it serializes
 * events with Pekko Serialization; it does not store event metadata.
 */
public class SegmentJournalSpec extends JavaJournalSpec {

  private static final Config CONFIG = TckConfig.segment("journal");

  public SegmentJournalSpec() {
    super(CONFIG);
  }

  @Override
  public CapabilityFlag supportsRejectingNonSerializableObjects() {
    return CapabilityFlag.on();
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
