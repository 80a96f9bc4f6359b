package dev.runnel.broker.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByType;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.runnel.broker.Broker;
import dev.runnel.broker.group.Groups;
import dev.runnel.broker.metrics.RunnelMetrics;
import dev.runnel.broker.metrics.ScrapeCollector;
import dev.runnel.broker.partition.AppendResult;
import dev.runnel.broker.partition.PartitionId;
import dev.runnel.broker.topic.TopicName;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Accept;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's HTTP API: health, topic administration, JSON produce and consume, NDJSON streaming consume, consumer
 * groups (members, assignment, offsets, lag, offset reset), the offset of a timestamp. Shapes
 * follow Confluent's REST Proxy; errors are Kafka's, as JSON (see {@link HttpErrors}, which seals the route). The
 * README's "HTTP API" section documents every endpoint. Thread-safe.
 */
public final class HttpApi {

  static final ContentType NDJSON =
      MediaTypes.applicationWithFixedCharset("x-ndjson", HttpCharsets.UTF_8).toContentType();

  /** Prometheus' text exposition format, version 0.0.4: what its scrapers and parsers read. */
  private static final ContentType.WithCharset PROMETHEUS_TEXT = MediaTypes
      .customWithOpenCharset("text", "plain", Map.of("version", "0.0.4"), true)
      .toContentType(HttpCharsets.UTF_8);

  private static final Set<String> CREATE_FIELDS = Set.of("name", "partitions", "configs");

  private final Broker broker;
  private final HttpSettings settings;
  private final TopicAdmin admin;
  private final RecordProducer producer;
  private final RecordReader reader;
  private final GroupAdmin groups;
  private final ClusterAdmin cluster;
  private final ScrapeCollector metrics;
  private final ConsoleRoute console = new ConsoleRoute();

  public HttpApi(Broker broker, Groups groups) {
    this.broker = broker;
    this.settings = HttpSettings.create(broker.system().settings().config());
    this.admin = new TopicAdmin(broker);
    this.producer = new RecordProducer(broker);
    this.reader = new RecordReader(broker);
    this.groups = new GroupAdmin(groups);
    this.cluster = new ClusterAdmin(broker, groups);
    this.metrics = new ScrapeCollector(broker.system(), broker, groups, settings.metricsCollectTimeout());
  }

  public Route route() {
    return extractRequest(request -> mapResponse(response -> HttpErrors.logNodeFault(request, response),
        () -> sealed()));
  }

  private Route sealed() {
    return handleExceptions(HttpErrors.exceptionHandler(), () -> handleRejections(HttpErrors.rejectionHandler(),
        () -> withSizeLimit(settings.maxRequestBytes(), () -> concat(
            path("health", () -> get(() -> cluster.up()
                ? complete(HttpEntities.create(ContentTypes.APPLICATION_JSON, "{\"status\":\"UP\"}"))
                : complete(StatusCodes.SERVICE_UNAVAILABLE,
                    HttpEntities.create(ContentTypes.APPLICATION_JSON, "{\"status\":\"NOT_UP_MEMBER\"}")))),
            path("cluster", () -> get(() -> ok(StatusCodes.OK, cluster.describe()))),
            path("metrics", () -> get(() -> onSuccess(metrics.collect(), collected ->
                complete(HttpEntities.create(PROMETHEUS_TEXT, RunnelMetrics.get(broker.system()).scrape()))))),
            pathPrefix("topics", this::topicsRoute),
            pathPrefix("groups", this::groupsRoute),
            console.route()))));
  }

  private Route groupsRoute() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> ok(StatusCodes.OK, groups.list()))),
        pathPrefix(PathMatchers.segment(), group -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> ok(StatusCodes.OK, groups.describe(group))),
                delete(() -> ok(StatusCodes.OK, groups.delete(group))))),
            path(PathMatchers.segment("offsets").slash("reset"),
                () -> post(() -> jsonBody(body -> ok(StatusCodes.OK, groups.resetOffsets(group, body))))))));
  }

  private Route topicsRoute() {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> complete(HttpErrors.response(StatusCodes.OK, admin.list()))),
            post(() -> jsonBody(body -> {
              JsonFields.onlyKnown(body, "the request", CREATE_FIELDS);
              String name = JsonFields.requiredText(body, "name");
              Integer partitions = JsonFields.present(body, "partitions")
                  ? Integer.valueOf(JsonFields.requiredInt(body, "partitions"))
                  : null;
              return ok(StatusCodes.CREATED,
                  admin.create(name, partitions, JsonFields.optionalConfigs(body, "configs")));
            })))),
        pathPrefix(PathMatchers.segment(), topic -> topicRoute(topic)));
  }

  private Route topicRoute(String topic) {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> ok(StatusCodes.OK, admin.describe(topic))),
            delete(() -> ok(StatusCodes.OK, admin.delete(validName(topic)))))),
        path("partitions", () -> post(() -> jsonBody(body -> {
          JsonFields.onlyKnown(body, "the request", Set.of("partitions"));
          return ok(StatusCodes.OK,
              admin.createPartitions(validName(topic), JsonFields.requiredInt(body, "partitions")));
        }))),
        path("configs", () -> concat(
            get(() -> ok(StatusCodes.OK, admin.describe(topic).thenApply(TopicAdmin.TopicDescription::configs))),
            put(() -> jsonBody(body -> {
              JsonFields.onlyKnown(body, "the request", Set.of("configs"));
              if (!body.has("configs")) {
                throw new InvalidRequestException("Field 'configs' is required");
              }
              return ok(StatusCodes.OK,
                  admin.alterConfigs(validName(topic), JsonFields.optionalConfigs(body, "configs")));
            })))),
        path("records", () -> post(() -> jsonBody(body -> produce(topic, ProduceRequest.parse(body))))),
        pathPrefix("partitions", () -> concat(
            path(PathMatchers.segment().slash("records"), partition -> concat(
                get(() -> parameterMap(params -> params.containsKey("key")
                    ? readKey(topic, partition, params)
                    : consume(topic, partition))),
                post(() -> jsonBody(body ->
                    produceToPartition(topic, PartitionProduce.parse(body, partitionNumber(partition))))),
                delete(() -> parameterMap(params -> ok(StatusCodes.OK,
                    admin.deleteRecords(topic, partitionNumber(partition), beforeOffset(params))))))),
            path(PathMatchers.segment().slash("offsets"),
                partition -> get(() -> parameterMap(params -> offsetForTimestamp(topic, partition, params)))))));
  }

  /** {@code GET /topics/{t}/partitions/{p}/offsets?timestamp=MS}: where a read from that time starts. */
  private Route offsetForTimestamp(String topic, String partitionText, Map<String, String> params) {
    Long timestamp = ReadParams.longParam(params, "timestamp");
    if (timestamp == null || timestamp < 0) {
      throw new InvalidRequestException("Parameter 'timestamp' is required: milliseconds since the epoch, >= 0");
    }
    int partitionNumber = partitionNumber(partitionText);
    return ok(StatusCodes.OK, admin.existing(topic)
        .thenApply(metadata -> Broker.partition(metadata, partitionNumber))
        .thenCompose(id -> reader.offsetForTimestamp(id, timestamp))
        .thenApply(offset -> new TimestampOffset(partitionNumber, timestamp, offset)));
  }

  /** @param offset the first offset with a record timestamp at or after {@code timestamp}, else the log end */
  record TimestampOffset(int partition, long timestamp, long offset) {}

  private Route produce(String topic, ProduceRequest request) {
    TopicName.validate(topic);
    return completeWithFuture(broker.topicForUse(topic)
        .thenCompose(metadata -> producer.produce(metadata, request))
        .thenApply(outcome -> {
          if (outcome.firstFailure() == null) {
            return HttpErrors.response(StatusCodes.OK, new ProduceResult(outcome.offsets()));
          }
          // The status and error fields are those of the first refused record; the offsets say which were stored.
          Errors error = outcome.firstFailure().error();
          String message = outcome.firstFailure().errorMessage();
          return HttpErrors.response(HttpErrors.status(error), new ProduceFailure(error.name(), error.code(),
              message == null ? error.message() : message, outcome.offsets()));
        }));
  }

  /**
   * {@code POST /topics/{t}/partitions/{p}/records}: the records appended to that partition together, if the
   * body's condition holds; 409 {@code CONDITION_NOT_MET} with what the partition found, and nothing stored, if not.
   */
  private Route produceToPartition(String topic, PartitionProduce request) {
    return completeWithFuture(admin.existing(topic)
        .thenCompose(metadata -> producer.produce(metadata, request.records(), request.condition()))
        .thenApply(outcome -> {
          AppendResult failure = outcome.firstFailure();
          if (failure == null) {
            return HttpErrors.response(StatusCodes.OK, new ProduceResult(outcome.offsets()));
          }
          if (failure.isConflict()) {
            return HttpErrors.response(StatusCodes.CONFLICT, PartitionProduce.ConditionNotMet.of(failure));
          }
          Errors error = failure.error();
          String message = failure.errorMessage();
          return HttpErrors.response(HttpErrors.status(error), new ProduceFailure(error.name(), error.code(),
              message == null ? error.message() : message, outcome.offsets()));
        }));
  }

  /**
   * {@code GET /topics/{t}/partitions/{p}/records?key=K}: the records of one key (an event-sourced stream) from
   * {@code offset}, read through the partition's key index, a page at a time.
   */
  private Route readKey(String topic, String partitionText, Map<String, String> params) {
    RecordFormat format = Optional.ofNullable(params.get("format")).map(RecordFormat::parse).orElse(RecordFormat.JSON);
    byte[] key = format.encodeHeader(JsonNodeFactory.instance.textNode(params.get("key")), "key");
    Long offset = ReadParams.longParam(params, "offset");
    if (offset != null && offset < 0) {
      throw new InvalidRequestException("offset must not be negative, not " + offset);
    }
    int partitionNumber = partitionNumber(partitionText);
    return ok(StatusCodes.OK, admin.existing(topic)
        .thenApply(metadata -> Broker.partition(metadata, partitionNumber))
        .thenCompose(id -> reader.readKey(id, key, offset == null ? 0 : offset, format)));
  }

  /**
   * A produce answer when a partition refused its records: the error JSON plus every record's outcome.
   *
   * @param error the Kafka error name of the first refused record
   * @param code its Kafka error code
   * @param message why it was refused
   * @param offsets each record's partition and offset or error, in request order
   */
  record ProduceFailure(String error, int code, String message, List<RecordProducer.RecordOffset> offsets) {}

  /** @param offsets each record's partition and offset, in request order */
  record ProduceResult(List<RecordProducer.RecordOffset> offsets) {}

  private Route consume(String topic, String partitionText) {
    return parameterMap(params -> optionalHeaderValueByType(Accept.class, accept -> {
      ReadParams read = ReadParams.parse(params, settings);
      boolean ndjson = accept.map(HttpApi::acceptsNdjson).orElse(false);
      if (read.follow() && !ndjson) {
        throw new InvalidRequestException("follow=true needs the header Accept: application/x-ndjson");
      }
      int partitionNumber = partitionNumber(partitionText);
      CompletionStage<PartitionId> partition = admin.existing(topic)
          .thenApply(metadata -> Broker.partition(metadata, partitionNumber));
      CompletionStage<HttpResponse> response = partition.thenCompose(id -> {
        CompletionStage<Long> from = read.offset() == null
            ? reader.logStart(id)
            : CompletableFuture.completedFuture(read.offset());
        if (ndjson) {
          return from.thenCompose(offset -> reader.stream(id, offset, read.streamLimit(), read.maxBytes(),
              read.follow(), settings.followPollWait(), read.format(), read.isolation()))
              .thenApply(lines -> HttpResponse.create().withEntity(HttpEntities.create(NDJSON, lines)));
        }
        return from.thenCompose(offset -> reader.read(
                id, offset, read.limit(), read.maxBytes(), read.timeout(), read.format(), read.isolation()))
            .thenApply(page -> HttpErrors.response(StatusCodes.OK, page));
      });
      return completeWithFuture(response);
    }));
  }

  private static boolean acceptsNdjson(Accept accept) {
    return accept.value().toLowerCase(Locale.ROOT).contains("application/x-ndjson");
  }

  private static int partitionNumber(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new InvalidRequestException("Partition must be a whole number, not '" + text + "'");
    }
  }

  /** The {@code before} parameter of a record deletion: an offset, or -1 for the high watermark. */
  private static long beforeOffset(Map<String, String> params) {
    Long before = ReadParams.longParam(params, "before");
    if (before == null) {
      throw new InvalidRequestException("Parameter 'before' is required: the offset to delete records before, "
          + "or -1 for the high watermark");
    }
    if (before < -1) {
      throw new InvalidRequestException("before must be an offset or -1, not " + before);
    }
    return before;
  }

  private static String validName(String topic) {
    TopicName.validate(topic);
    return topic;
  }

  private Route ok(StatusCode status, CompletionStage<?> result) {
    return completeWithFuture(result.thenApply(body -> HttpErrors.response(status, body)));
  }

  /** The request body, read whole (up to the size limit) and parsed as a JSON object, handed to {@code inner}. */
  private Route jsonBody(Function<JsonNode, Route> inner) {
    return extractMaterializer(materializer -> extractRequestEntity(entity -> {
      CompletionStage<JsonNode> body = entity
          .toStrict(broker.settings().askTimeout().toMillis(), settings.maxRequestBytes(), materializer)
          .thenApply(strict -> JsonCodec.parseBody(strict.getData().toArray()));
      return onSuccess(body, inner);
    }));
  }
}
