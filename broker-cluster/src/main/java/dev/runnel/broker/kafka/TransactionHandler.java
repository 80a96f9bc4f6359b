package dev.runnel.broker.kafka;

import dev.runnel.broker.Broker;
import dev.runnel.broker.group.OffsetCommitRequest;
import dev.runnel.broker.group.PartitionErrors;
import dev.runnel.broker.group.TxnOffsetCommitRequest;
import dev.runnel.broker.transaction.TransactionMetadata;
import dev.runnel.broker.transaction.TransactionState;
import dev.runnel.broker.transaction.Transactions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData.TopicData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnResponse;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.DescribeTransactionsResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest.CommittedOffset;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;

/**
 * The transaction APIs: InitProducerId with a transactional id, AddPartitionsToTxn (the clients' v0-v3 and the
 * batched v4+ of KIP-890), AddOffsetsToTxn, EndTxn, TxnOffsetCommit (to the group), DescribeTransactions and
 * ListTransactions. Decisions are the coordinators' ({@link Transactions}); this class only translates versions.
 */
final class TransactionHandler {

  private final Transactions transactions;

  TransactionHandler(Transactions transactions) {
    this.transactions = transactions;
  }

  CompletionStage<AbstractResponse> initProducerId(KafkaRequest request, InitProducerIdRequestData body) {
    if (body.enable2Pc() || body.keepPreparedTxn()) {
      // KIP-939's two-phase commit with an external coordinator is not served.
      return CompletableFuture.completedFuture(initProducerIdError(Errors.UNSUPPORTED_VERSION));
    }
    return transactions.initProducerId(body.transactionalId(), body.transactionTimeoutMs(), body.producerId(),
            body.producerEpoch())
        .thenApply(result -> new InitProducerIdResponse(new InitProducerIdResponseData()
            .setErrorCode(result.error().code())
            .setProducerId(result.producerId())
            .setProducerEpoch(result.producerEpoch())));
  }

  static AbstractResponse initProducerIdError(Errors error) {
    return new InitProducerIdResponse(new InitProducerIdResponseData()
        .setErrorCode(error.code())
        .setProducerId(RecordBatch.NO_PRODUCER_ID)
        .setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH));
  }

  CompletionStage<AbstractResponse> addPartitionsToTxn(KafkaRequest request) {
    AddPartitionsToTxnRequest body = (AddPartitionsToTxnRequest) request.body();
    if (request.version() < 4) {
      var data = body.data();
      List<TopicPartition> partitions = AddPartitionsToTxnRequest.getPartitions(data.v3AndBelowTopics());
      return transactions.addPartitions(data.v3AndBelowTransactionalId(), data.v3AndBelowProducerId(),
              data.v3AndBelowProducerEpoch(), partitions, false)
          .thenApply(result -> new AddPartitionsToTxnResponse(new AddPartitionsToTxnResponseData()
              .setResultsByTopicV3AndBelow(AddPartitionsToTxnResponse.resultForTransaction(
                  AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID, errors(partitions, result)).topicResults())));
    }
    List<CompletableFuture<AddPartitionsToTxnResult>> results = new ArrayList<>();
    for (AddPartitionsToTxnTransaction transaction : body.data().transactions()) {
      List<TopicPartition> partitions = AddPartitionsToTxnRequest.getPartitions(transaction.topics());
      results.add(transactions.addPartitions(transaction.transactionalId(), transaction.producerId(),
              transaction.producerEpoch(), partitions, transaction.verifyOnly())
          .thenApply(result -> AddPartitionsToTxnResponse.resultForTransaction(transaction.transactionalId(),
              errors(partitions, result)))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      AddPartitionsToTxnResponseData data = new AddPartitionsToTxnResponseData();
      results.forEach(result -> data.resultsByTransaction().add(result.join()));
      return new AddPartitionsToTxnResponse(data);
    });
  }

  private static Map<TopicPartition, Errors> errors(List<TopicPartition> partitions, PartitionErrors result) {
    Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
    partitions.forEach(p -> errors.put(p, result.partitions().getOrDefault(p, result.error())));
    return errors;
  }

  CompletionStage<AbstractResponse> addOffsetsToTxn(KafkaRequest request) {
    AddOffsetsToTxnRequestData body = ((AddOffsetsToTxnRequest) request.body()).data();
    return transactions.addOffsets(body.transactionalId(), body.producerId(), body.producerEpoch(), body.groupId())
        .thenApply(error -> new AddOffsetsToTxnResponse(new AddOffsetsToTxnResponseData()
            .setErrorCode(error.code())));
  }

  CompletionStage<AbstractResponse> endTxn(KafkaRequest request) {
    EndTxnRequestData body = ((EndTxnRequest) request.body()).data();
    return transactions.endTxn(body.transactionalId(), body.producerId(), body.producerEpoch(), body.committed())
        .thenApply(error -> new EndTxnResponse(new EndTxnResponseData().setErrorCode(error.code())));
  }

  /** TxnOffsetCommit: see {@link Transactions#commitOffsets}. */
  CompletionStage<AbstractResponse> txnOffsetCommit(KafkaRequest request) {
    TxnOffsetCommitRequestData body = ((org.apache.kafka.common.requests.TxnOffsetCommitRequest) request.body())
        .data();
    Map<TopicPartition, OffsetCommitRequest.Offset> offsets = new LinkedHashMap<>();
    for (TxnOffsetCommitRequestTopic topic : body.topics()) {
      for (TxnOffsetCommitRequestPartition partition : topic.partitions()) {
        offsets.put(new TopicPartition(topic.name(), partition.partitionIndex()), new OffsetCommitRequest.Offset(
            partition.committedOffset(), partition.committedLeaderEpoch(), partition.committedMetadata()));
      }
    }
    TxnOffsetCommitRequest commit = new TxnOffsetCommitRequest(body.producerId(), body.producerEpoch(),
        body.memberId(), body.groupInstanceId(), body.generationIdOrMemberEpoch(), offsets);
    return transactions.commitOffsets(body.transactionalId(), body.groupId(), commit)
        .thenApply(result -> {
          Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
          offsets.keySet().forEach(p -> errors.put(p, result.partitions().getOrDefault(p, result.error())));
          return new TxnOffsetCommitResponse(0, errors);
        });
  }

  CompletionStage<AbstractResponse> describeTransactions(KafkaRequest request) {
    List<String> ids = ((DescribeTransactionsRequest) request.body()).data().transactionalIds();
    List<CompletableFuture<DescribeTransactionsResponseData.TransactionState>> described = new ArrayList<>();
    for (String id : ids) {
      described.add(transactions.describe(id)
          .handle((metadata, failure) -> failure != null
              ? describeError(id, Errors.forException(Broker.unwrap(failure)))
              : metadata.initialized() ? describe(metadata) : describeError(id, Errors.TRANSACTIONAL_ID_NOT_FOUND))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new)).thenApply(done -> {
      DescribeTransactionsResponseData data = new DescribeTransactionsResponseData();
      described.forEach(state -> data.transactionStates().add(state.join()));
      return new DescribeTransactionsResponse(data);
    });
  }

  private static DescribeTransactionsResponseData.TransactionState describe(TransactionMetadata m) {
    DescribeTransactionsResponseData.TransactionState state = new DescribeTransactionsResponseData.TransactionState()
        .setTransactionalId(m.transactionalId())
        .setTransactionState(m.state().kafkaName())
        .setTransactionTimeoutMs(m.timeoutMs())
        .setTransactionStartTimeMs(m.startTimestamp())
        .setProducerId(m.producerId())
        .setProducerEpoch(m.producerEpoch());
    for (TopicPartition partition : m.partitions()) {
      TopicData topic = state.topics().find(partition.topic());
      if (topic == null) {
        topic = new TopicData().setTopic(partition.topic());
        state.topics().add(topic);
      }
      topic.partitions().add(partition.partition());
    }
    return state;
  }

  private static DescribeTransactionsResponseData.TransactionState describeError(String id, Errors error) {
    return new DescribeTransactionsResponseData.TransactionState().setTransactionalId(id)
        .setErrorCode(error.code()).setTransactionState("").setTransactionStartTimeMs(-1).setProducerId(-1)
        .setProducerEpoch((short) -1);
  }

  CompletionStage<AbstractResponse> listTransactions(KafkaRequest request) {
    ListTransactionsRequestData body = ((ListTransactionsRequest) request.body()).data();
    ListTransactionsResponseData data = new ListTransactionsResponseData();
    Set<TransactionState> states = new HashSet<>();
    for (String name : body.stateFilters()) {
      TransactionState state = TransactionState.ofKafkaName(name);
      if (state == null) {
        data.unknownStateFilters().add(name);
      } else {
        states.add(state);
      }
    }
    Set<Long> producerIds = new HashSet<>(body.producerIdFilters());
    Pattern pattern;
    try {
      String regex = body.transactionalIdPattern();
      pattern = regex == null || regex.isEmpty() ? null : Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      return CompletableFuture.completedFuture(
          new ListTransactionsResponse(data.setErrorCode(Errors.INVALID_REGULAR_EXPRESSION.code())));
    }
    long now = System.currentTimeMillis();
    long minDuration = body.durationFilter();
    return transactions.list().thenApply(all -> {
      for (TransactionMetadata m : all) {
        boolean listed = (states.isEmpty() || states.contains(m.state()))
            && (producerIds.isEmpty() || producerIds.contains(m.producerId()))
            && (pattern == null || pattern.matcher(m.transactionalId()).matches())
            // KIP-994: only transactions open longer than the filter.
            && (minDuration < 0 || (m.state() == TransactionState.ONGOING && now - m.startTimestamp() >= minDuration));
        if (listed) {
          data.transactionStates().add(new ListTransactionsResponseData.TransactionState()
              .setTransactionalId(m.transactionalId())
              .setProducerId(m.producerId())
              .setTransactionState(m.state().kafkaName()));
        }
      }
      return new ListTransactionsResponse(data);
    });
  }
}
