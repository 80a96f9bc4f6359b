package dev.runnel.client.projection;

import dev.runnel.client.ConsumerRecord;
import org.apache.pekko.projection.MergeableOffset;

/**
 * A record as {@link RunnelSourceProvider} hands it to a projection, with the offset to store once it is handled:
 * this record's offset for its partition and, for every other partition this instance owns, the offset of the
 * last record of it before this one. A grouped handler stores the offset of a group's last envelope only, so each
 * envelope's offset must cover every partition the envelopes before it came from.
 */
public record RunnelEnvelope(ConsumerRecord record, MergeableOffset<Long> offset) {}
