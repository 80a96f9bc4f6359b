package dev.runnel.samples.cqrs.http;

import java.util.Map;

/**
 * The answer of GET /admin/status: whether the read models have caught up with the topic.
 *
 * @param caughtUp no rebuild is running and every projection has handled every record the topic held when asked
 * @param logEndOffsets per partition, the offset the next record will get
 * @param projections per projection name, its progress
 */
record AdminStatus(boolean caughtUp, boolean rebuilding, int rebuilds, Map<Integer, Long> logEndOffsets,
    Map<String, Progress> projections) {

  /**
   * @param handledOffsets per partition, the offset of the last record handled and stored
   * @param lag records still to handle
   */
  record Progress(boolean caughtUp, long lag, Map<Integer, Long> handledOffsets) {}
}
