package dev.runnel.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;

/**
 * The Pekko Persistence journal TCK against the postgres profile. Runs when {@code RUNNEL_TEST_POSTGRES_URL} names
 * a server (the {@code postgres} Maven profile, which {@code deploy/bin/test} turns on after starting one).
 */
public class PostgresJournalSpec extends JavaJournalSpec {

  private static final Config CONFIG = TckConfig.postgres();

  public PostgresJournalSpec() {
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
