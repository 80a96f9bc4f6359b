package dev.runnel.broker.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.broker.partition.AppendCondition;
import dev.runnel.broker.partition.AppendResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidRequestException;

/**
 * A parsed {@code POST /topics/{topic}/partitions/{partition}/records} body: the records of
 * {@link ProduceRequest} for this one partition, and an optional condition, all parts of which must hold for the
 * records to be stored:
 *
 * <ul>
 *   <li>{@code expected_end_offset}: the partition's end offset (the offset the first record would get);
 *   <li>{@code expected_version}: the version of the records' key (how many records with that key the partition
 *       holds; 0 for none);
 *   <li>{@code expected_key_offset}: the offset of that key's newest record, -1 for none.
 * </ul>
 *
 * A keyed part needs every record to have the same, non-null key.
 *
 * @param records the records
 * @param condition the condition; null when the body gives none
 */
record PartitionProduce(ProduceRequest records, AppendCondition condition) {

  static final String EXPECTED_END_OFFSET = "expected_end_offset";
  static final String EXPECTED_VERSION = "expected_version";
  static final String EXPECTED_KEY_OFFSET = "expected_key_offset";
  private static final Set<String> CONDITION_FIELDS =
      Set.of(EXPECTED_END_OFFSET, EXPECTED_VERSION, EXPECTED_KEY_OFFSET);

  /** @throws InvalidRequestException naming what is wrong with the body */
  static PartitionProduce parse(JsonNode body, int partition) {
    ProduceRequest parsed = ProduceRequest.parse(body, CONDITION_FIELDS);
    List<ProduceRequest.Record> records = new ArrayList<>(parsed.records().size());
    for (int i = 0; i < parsed.records().size(); i++) {
      ProduceRequest.Record record = parsed.records().get(i);
      if (record.partition() != null && record.partition() != partition) {
        throw new InvalidRequestException("records[" + i + "].partition is " + record.partition()
            + ", but this is partition " + partition + "'s endpoint");
      }
      records.add(new ProduceRequest.Record(record.key(), record.value(), record.headers(), partition,
          record.timestamp()));
    }
    ProduceRequest request = new ProduceRequest(List.copyOf(records));
    Long endOffset = nonNegative(body, EXPECTED_END_OFFSET, 0);
    Long version = nonNegative(body, EXPECTED_VERSION, 0);
    Long keyOffset = nonNegative(body, EXPECTED_KEY_OFFSET, AppendCondition.NO_RECORD);
    if (endOffset == null && version == null && keyOffset == null) {
      return new PartitionProduce(request, null);
    }
    byte[] key = null;
    if (version != null || keyOffset != null) {
      key = request.records().get(0).key();
      for (ProduceRequest.Record record : request.records()) {
        if (record.key() == null || !Arrays.equals(record.key(), key)) {
          throw new InvalidRequestException(EXPECTED_VERSION + " and " + EXPECTED_KEY_OFFSET
              + " are conditions on one key: every record needs the same, non-null key");
        }
      }
    }
    return new PartitionProduce(request, new AppendCondition(
        endOffset == null ? AppendCondition.ANY : endOffset,
        key,
        keyOffset == null ? AppendCondition.ANY : keyOffset,
        version == null ? AppendCondition.ANY : version));
  }

  private static Long nonNegative(JsonNode body, String field, long min) {
    Long value = JsonFields.optionalLong(body, field);
    if (value != null && value < min) {
      throw new InvalidRequestException("Field '" + field + "' must be at least " + min + ", not " + value);
    }
    return value;
  }

  /**
   * The 409 answer to an append whose condition did not hold: the error JSON plus what the partition found.
   *
   * @param currentEndOffset the partition's end offset
   * @param currentVersion the key's version; absent when the condition had no keyed part
   * @param currentKeyOffset the offset of the key's newest record (-1: none); absent likewise
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ConditionNotMet(String error, int code, String message, long currentEndOffset, Long currentVersion,
      Long currentKeyOffset) {

    static ConditionNotMet of(AppendResult result) {
      AppendCondition.Conflict conflict = result.conflict();
      boolean keyed = conflict.currentVersion() != AppendCondition.ANY;
      return new ConditionNotMet(AppendResult.CONDITION_NOT_MET, AppendResult.CONDITION_NOT_MET_CODE,
          conflict.message(), conflict.currentEndOffset(), keyed ? conflict.currentVersion() : null,
          keyed ? conflict.currentKeyOffset() : null);
    }
  }
}
