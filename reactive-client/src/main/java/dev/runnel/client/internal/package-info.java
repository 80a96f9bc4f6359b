/**
 * Internals of the reactive client, and Runnel's native streaming protocol, which the broker shares.
 *
 * <h2>The native streaming protocol</h2>
 *
 * <p>A client opens a WebSocket to {@code GET /stream} on the broker's HTTP port. Every message is one binary
 * frame: a type byte, then the fields below in order, big-endian; a {@code string} is a 2-byte length and that
 * many UTF-8 bytes; {@code batches} are Kafka v2 record batches (magic 2, CRC32C, any codec) and take the rest of
 * the frame. One connection carries any number of produce requests and subscriptions at once; correlation ids and
 * subscription ids are chosen by the client and are scoped to the connection.
 *
 * <table>
 *   <caption>Messages</caption>
 *   <tr><th>type</th><th>name</th><th>direction</th><th>fields</th></tr>
 *   <tr><td>1</td><td>Metadata</td><td>client → broker</td><td>int32 correlationId, string topic</td></tr>
 *   <tr><td>2</td><td>MetadataResult</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, int32 partitions, string message</td></tr>
 *   <tr><td>3</td><td>Produce</td><td>client → broker</td>
 *       <td>int32 correlationId, string topic, int32 partition, int16 acks, batches</td></tr>
 *   <tr><td>4</td><td>ProduceAck</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, int64 baseOffset, string message</td></tr>
 *   <tr><td>5</td><td>Subscribe</td><td>client → broker</td>
 *       <td>int32 subscriptionId, string topic, int32 partition, int64 offset, int32 maxFrameBytes,
 *       int32 maxWaitMs, int8 isolationLevel (1 read_committed, 0 read_uncommitted)</td></tr>
 *   <tr><td>6</td><td>Subscribed</td><td>broker → client</td><td>int32 subscriptionId, int64 offset</td></tr>
 *   <tr><td>7</td><td>Credit</td><td>client → broker</td><td>int32 subscriptionId, int32 frames</td></tr>
 *   <tr><td>8</td><td>Records</td><td>broker → client</td>
 *       <td>int32 subscriptionId, int64 highWatermark, batches</td></tr>
 *   <tr><td>9</td><td>Cancel</td><td>client → broker</td><td>int32 subscriptionId</td></tr>
 *   <tr><td>10</td><td>Error</td><td>broker → client</td><td>int32 ref, int16 errorCode, string message</td></tr>
 *   <tr><td>11</td><td>InitProducerId</td><td>client → broker</td><td>int32 correlationId</td></tr>
 *   <tr><td>12</td><td>ProducerIdResult</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, int64 producerId, int16 epoch</td></tr>
 *   <tr><td>13</td><td>JoinGroup</td><td>client → broker</td>
 *       <td>int32 correlationId, string groupId, string memberId, int32 sessionTimeoutMs, int32 rebalanceTimeoutMs,
 *       string strategy, int32 n + n × string topic, partitions owned, int32 generationId</td></tr>
 *   <tr><td>14</td><td>JoinResult</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, int32 generationId, string memberId, partitions assigned,
 *       string message</td></tr>
 *   <tr><td>15</td><td>Heartbeat</td><td>client → broker</td>
 *       <td>int32 correlationId, string groupId, string memberId, int32 generationId</td></tr>
 *   <tr><td>16</td><td>LeaveGroup</td><td>client → broker</td>
 *       <td>int32 correlationId, string groupId, string memberId</td></tr>
 *   <tr><td>17</td><td>OffsetCommit</td><td>client → broker</td>
 *       <td>int32 correlationId, string groupId, string memberId, int32 generationId, offsets</td></tr>
 *   <tr><td>18</td><td>OffsetFetch</td><td>client → broker</td>
 *       <td>int32 correlationId, string groupId, partitions</td></tr>
 *   <tr><td>19</td><td>OffsetFetchResult</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, offsets, string message</td></tr>
 *   <tr><td>20</td><td>GroupResult</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, string message</td></tr>
 *   <tr><td>25</td><td>InitTransactions</td><td>client → broker</td>
 *       <td>int32 correlationId, string transactionalId, int32 transactionTimeoutMs</td></tr>
 *   <tr><td>26</td><td>AddPartitionsToTxn</td><td>client → broker</td>
 *       <td>int32 correlationId, producer, partitions</td></tr>
 *   <tr><td>27</td><td>TxnOffsetCommit</td><td>client → broker</td>
 *       <td>int32 correlationId, producer, string groupId, string memberId, int32 generationId, offsets</td></tr>
 *   <tr><td>28</td><td>EndTxn</td><td>client → broker</td>
 *       <td>int32 correlationId, producer, int8 commit (1 commit, 0 abort)</td></tr>
 *   <tr><td>29</td><td>TxnResult</td><td>broker → client</td>
 *       <td>int32 correlationId, int16 errorCode, string message</td></tr>
 * </table>
 *
 * <p>{@code partitions} is an int32 count and that many (string topic, int32 partition); {@code offsets} an
 * int32 count and that many (string topic, int32 partition, int64 offset). A count the rest of the frame could
 * not hold makes the frame malformed. {@code producer} is a transactional producer: string transactionalId,
 * int64 producerId, int16 producerEpoch.
 *
 * <p>Error codes are Kafka's ({@code org.apache.kafka.common.protocol.Errors}): 0 is none.
 *
 * <ul>
 *   <li><b>Metadata</b> answers the topic's partition count; an unknown topic is created with the broker's
 *       defaults when {@code runnel.broker.auto-create-topics} is on, as Kafka does.
 *   <li><b>Produce</b> appends the batches to the partition. Requests of a connection are appended in the order
 *       they arrive and answered in that order, so several may be in flight without reordering a partition. The
 *       ack's {@code baseOffset} is the offset of the request's first record, and record {@code i} got
 *       {@code baseOffset + i}. With acks 0 the broker answers at once with baseOffset -1. A batch that does not
 *       parse or fails its CRC is answered with {@code CORRUPT_MESSAGE} and nothing is stored. A batch that carries a
 *       producer id, epoch and base sequence is checked as Kafka's idempotent producer's: a repeat of one of the
 *       producer's last five batches of the partition is answered with the offset it got the first time and not
 *       stored again; a sequence that does not follow the last one is refused with
 *       {@code OUT_OF_ORDER_SEQUENCE_NUMBER}. Such a request must hold one batch.
 *   <li><b>InitProducerId</b> allocates a producer id for an idempotent producer, durably and cluster-wide (the
 *       allocator Kafka's InitProducerId uses too), at epoch 0. {@code COORDINATOR_NOT_AVAILABLE} when the
 *       allocator does not answer in time.
 *   <li><b>Subscribe</b> starts a subscription at {@code offset}, or at the partition's first offset (-2,
 *       earliest) or its end (-1, latest). The broker answers Subscribed with the resolved offset before any
 *       Records, or an Error whose {@code ref} is the subscription id.
 *   <li><b>Credit</b>: the broker sends a subscription's Records frames only against credit; each frame costs one.
 *       Credit may be sent right behind Subscribe. The broker reads the partition (a long-polling fetch that
 *       waits up to {@code maxWaitMs} at the log end) only while the subscription holds credit, so a consumer that
 *       grants none stops the broker reading that partition for it.
 *   <li><b>Records</b> holds whole batches in offset order, at most {@code maxFrameBytes} of them, or one batch
 *       when a single batch is larger. The first batch may begin before the offset asked for (as in Kafka's
 *       fetch); the client skips records it has already seen.
 *   <li><b>Cancel</b> ends a subscription; frames already on the way may still arrive.
 *   <li><b>JoinGroup</b> joins a group that the broker's coordinator assigns itself (protocol type {@code runnel})
 *       with Kafka's assignors ({@code range}, {@code roundrobin}, {@code sticky}, {@code cooperative-sticky}); it
 *       does what Kafka's JoinGroup and SyncGroup do together, waits for the rebalance, and is answered by
 *       JoinResult with the member id, generation and assigned partitions. A first join has an empty member id
 *       and generation -1; a rejoin lists the partitions still owned, which with {@code cooperative-sticky} is
 *       the old owner's confirmation that it let a revoked partition go before the new owner gets it.
 *   <li><b>Heartbeat</b>, <b>LeaveGroup</b> and <b>OffsetCommit</b> are answered by GroupResult
 *       ({@code REBALANCE_IN_PROGRESS} to a heartbeat asks a rejoin); <b>OffsetFetch</b> by OffsetFetchResult,
 *       -1 for a partition without a committed offset. A member leaves when the connection it joined through
 *       closes. Group answers go out when ready, not in request order; the correlation id pairs them.
 *   <li><b>Transactions</b> are Kafka's (KIP-98), run by the broker's transaction coordinator of the transactional
 *       id. <b>InitTransactions</b> (Kafka's InitProducerId with a transactional id) is answered by
 *       ProducerIdResult with the id's producer id at a new epoch; that fences every producer of an older epoch
 *       (their appends, offsets and EndTxn are refused with {@code PRODUCER_FENCED} or
 *       {@code INVALID_PRODUCER_EPOCH}) and aborts the transaction one left open, answering
 *       {@code CONCURRENT_TRANSACTIONS} until the abort is complete (the client asks again). A transaction is:
 *       <b>AddPartitionsToTxn</b> for the partitions it writes to, then Produce requests whose batches are
 *       transactional (the producer id and epoch, sequences from 0 per partition and epoch), then
 *       <b>TxnOffsetCommit</b> (Kafka's AddOffsetsToTxn and TxnOffsetCommit together: the consumed offsets, under
 *       the group member's id and generation, which the group checks as for OffsetCommit, KIP-447), then
 *       <b>EndTxn</b>. Each is answered by TxnResult in request order; {@code CONCURRENT_TRANSACTIONS} means the
 *       previous transaction's markers are still being written. A read_committed subscription sees a transaction's
 *       records once it commits, never those of an aborted one; OffsetFetch answers
 *       {@code UNSTABLE_OFFSET_COMMIT} (retriable) while a transaction holds offsets of a partition asked for, as
 *       Kafka's does with require_stable, so a consumer never starts behind a commit that is being completed.
 *   <li><b>Error</b> with {@code ref} -1 concerns the connection: a frame that is empty, of an unknown type,
 *       truncated, too long for its type, a text frame, or a message only brokers send. The broker answers it with
 *       {@code INVALID_REQUEST}, logs it, and carries on with the connection's next frame. An Error with a
 *       subscription id ends that subscription ({@code OFFSET_OUT_OF_RANGE}, {@code UNKNOWN_TOPIC_OR_PARTITION},
 *       ...).
 * </ul>
 *
 * <p><b>Why credits count frames.</b> A frame is the unit the broker reads (one fetch) and sends, and it is
 * bounded by {@code maxFrameBytes}, so frame credit bounds memory in bytes on both sides: a subscription holds at
 * most {@code credit × max(maxFrameBytes, largest batch)} in the broker and in the client, while one message per
 * frame, not per record or per byte, is all the flow control costs. Byte credit would need the broker to split
 * batches (it never re-encodes them) or to overdraw by a batch anyway; record credit would make the broker
 * decompress batches to count.
 */
package dev.runnel.client.internal;
