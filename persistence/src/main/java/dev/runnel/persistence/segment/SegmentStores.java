package dev.runnel.persistence.segment;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The actor system's open {@link SegmentStore}s, one per directory, shared by the journal plugin, the read journal
 * and direct reads so that all of them see one in-memory state of each log. Stores close when the system
 * terminates.
 *
 * <p>Thread-safe.
 */
public final class SegmentStores implements Extension {

  private static final Id ID = new Id();

  private final ConcurrentHashMap<Path, SegmentStore> stores = new ConcurrentHashMap<>();

  private SegmentStores(ExtendedActorSystem system) {
    system.registerOnTermination(() -> stores.values().forEach(SegmentStore::close));
  }

  public static SegmentStores get(ActorSystem system) {
    return ID.get(system);
  }

  /** The store of a segment journal plugin's configuration block (e.g. {@code runnel.segment-journal}). */
  public SegmentStore store(Config journalConfig) {
    SegmentJournalSettings settings = SegmentJournalSettings.create(journalConfig);
    return stores.computeIfAbsent(settings.dir(), dir -> {
      try {
        return SegmentStore.open(settings);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the segment journal in " + dir, e);
      }
    });
  }

  private static final class Id extends AbstractExtensionId<SegmentStores> implements ExtensionIdProvider {
    @Override
    public SegmentStores createExtension(ExtendedActorSystem system) {
      return new SegmentStores(system);
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }
}
