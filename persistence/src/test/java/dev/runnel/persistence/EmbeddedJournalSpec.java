package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;

/** The Pekko Persistence journal TCK against the embedded profile's journal (H2 on disk, Runnel's settings). */
public class EmbeddedJournalSpec extends JavaJournalSpec {

  private static final Config CONFIG = TckConfig.embedded("journal");

  public EmbeddedJournalSpec() {
    super(CONFIG);
  }

  @Override
  public CapabilityFlag supportsRejectingNonSerializableObjects() {
    return CapabilityFlag.on();
  }

  @Override
  public void beforeAll() {
    JournalProfile.createSchemaIfMissing(CONFIG);
    super.beforeAll();
  }
}
