package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;

/** The Pekko Persistence journal TCK against the h2 profile's journal (H2 on disk, Runnel's settings). */
public class H2JournalSpec extends JavaJournalSpec {

  private static final Config CONFIG = TckConfig.h2("journal");

  public H2JournalSpec() {
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
