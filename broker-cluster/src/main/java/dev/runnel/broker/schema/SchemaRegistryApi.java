package dev.runnel.broker.schema;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.broker.Broker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confluent Schema Registry's REST API (the subset its serializers and tools use; the README's "Schema registry"
 * section lists it): subjects and versions, schemas by id, compatibility tests, compatibility levels, soft and
 * permanent deletes, references, the read-write mode. Bodies are read whatever their content type (clients send
 * {@code application/vnd.schemaregistry.v1+json}, {@code application/json} or none) and answered as
 * {@code application/vnd.schemaregistry.v1+json}; every refusal is {@code {"error_code": N, "message": "…"}} with
 * Confluent's codes, never a 500 for a client's mistake. Thread-safe.
 */
public final class SchemaRegistryApi {

  private static final Logger log = LoggerFactory.getLogger(SchemaRegistryApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ContentType.WithFixedCharset REGISTRY_JSON =
      MediaTypes.applicationWithFixedCharset("vnd.schemaregistry.v1+json", HttpCharsets.UTF_8).toContentType();
  private static final long MAX_BODY_BYTES = 16L * 1024 * 1024;

  private final SchemaRegistry registry;
  private final CompatibilityLevel fallback;

  public SchemaRegistryApi(SchemaRegistry registry) {
    this.registry = registry;
    this.fallback = registry.settings().defaultCompatibility();
  }

  public Route route() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
        pathEndOrSingleSlash(() -> get(() -> ok(JSON.createObjectNode()))),
        pathPrefix("subjects", this::subjectsRoute),
        pathPrefix("schemas", this::schemasRoute),
        pathPrefix("config", this::configRoute),
        pathPrefix("compatibility", this::compatibilityRoute),
        pathPrefix("mode", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> ok(mode()))),
            path(PathMatchers.segment(), subject -> get(() -> ok(mode()))))))));
  }

  /** The registry always takes writes: Confluent's IMPORT and READONLY modes are not offered. */
  private static ObjectNode mode() {
    return JSON.createObjectNode().put("mode", "READWRITE");
  }

  // Subjects

  private Route subjectsRoute() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> parameterMap(params -> {
          String prefix = params.getOrDefault("subjectPrefix", "");
          ArrayNode names = JSON.createArrayNode();
          state().subjects(flag(params, "deleted")).stream().filter(s -> s.startsWith(prefix)).forEach(names::add);
          return ok(names);
        }))),
        pathPrefix(PathMatchers.segment(), subject -> concat(
            pathEndOrSingleSlash(() -> concat(
                post(() -> parameterMap(params -> body(body -> ok(
                    versionJson(RegistryMachine.lookup(state(), subject, draft(body), flag(params, "deleted"))))))),
                delete(() -> parameterMap(params -> answer(registry.write(replyTo ->
                        new SchemaWriter.DeleteSubject(subject, flag(params, "permanent"), replyTo)),
                    answer -> ints(answer.versions())))))),
            pathPrefix("versions", () -> versionsRoute(subject)))));
  }

  private Route versionsRoute(String subject) {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> parameterMap(params -> {
              boolean deleted = flag(params, "deleted");
              List<Integer> versions = new ArrayList<>();
              state().versions(subject).values().stream().filter(v -> deleted || !v.deleted())
                  .forEach(v -> versions.add(v.version()));
              if (versions.isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
              }
              return ok(ints(versions));
            })),
            post(() -> body(body -> {
              SchemaDraft draft = draft(body);
              return answer(registry.write(replyTo -> new SchemaWriter.Register(subject, draft, replyTo)),
                  answer -> JSON.createObjectNode().put("id", answer.id()));
            })))),
        pathPrefix(PathMatchers.segment(), version -> concat(
            pathEndOrSingleSlash(() -> concat(
                get(() -> parameterMap(params ->
                    ok(versionJson(RegistryMachine.version(state(), subject, version, flag(params, "deleted")))))),
                delete(() -> parameterMap(params -> answer(registry.write(replyTo ->
                        new SchemaWriter.DeleteVersion(subject, version, flag(params, "permanent"), replyTo)),
                    answer -> JSON.getNodeFactory().numberNode(answer.versions().get(0))))))),
            path("schema", () -> get(() -> parameterMap(params ->
                raw(RegistryMachine.version(state(), subject, version, flag(params, "deleted")).schema())))),
            path("referencedby", () -> get(() -> {
              StoredSchema schema = RegistryMachine.version(state(), subject, version, true);
              return ok(ints(state().referencedBy(schema.subject(), schema.version())));
            })))));
  }

  // Schemas by id

  private Route schemasRoute() {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> parameterMap(params -> {
          boolean deleted = flag(params, "deleted");
          ArrayNode all = JSON.createArrayNode();
          RegistryState state = state();
          state.subjects(deleted).forEach(subject -> state.versions(subject).values().stream()
              .filter(v -> deleted || !v.deleted()).forEach(v -> all.add(versionJson(v))));
          return ok(all);
        }))),
        path("types", () -> get(() -> ok(JSON.createArrayNode().add("AVRO").add("JSON")))),
        pathPrefix("ids", () -> pathPrefix(PathMatchers.segment(), idText -> {
          int id = schemaId(idText);
          return concat(
              pathEndOrSingleSlash(() -> get(() -> ok(schemaJson(byId(id))))),
              path("schema", () -> get(() -> raw(byId(id).schema()))),
              path("subjects", () -> get(() -> parameterMap(params -> {
                ArrayNode subjects = JSON.createArrayNode();
                versionsOf(id, flag(params, "deleted")).stream().map(StoredSchema::subject).distinct()
                    .forEach(subjects::add);
                return ok(subjects);
              }))),
              path("versions", () -> get(() -> parameterMap(params -> {
                ArrayNode versions = JSON.createArrayNode();
                versionsOf(id, flag(params, "deleted")).forEach(v ->
                    versions.addObject().put("subject", v.subject()).put("version", v.version()));
                return ok(versions);
              }))));
        })));
  }

  private StoredSchema byId(int id) {
    return state().byId(id).orElseThrow(() -> RegistryException.schemaNotFound("Schema " + id + " not found"));
  }

  private List<StoredSchema> versionsOf(int id, boolean deleted) {
    byId(id);
    return state().versionsOfId(id, deleted);
  }

  private static int schemaId(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw RegistryException.schemaNotFound("Schema " + text + " not found (an id is a number)");
    }
  }

  // Compatibility levels

  private Route configRoute() {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> ok(level(state().globalLevel().orElse(fallback)))),
            put(() -> body(body -> setLevel(null, body))),
            delete(() -> answer(registry.write(replyTo -> new SchemaWriter.DeleteConfig(null, replyTo)),
                answer -> level(answer.level()))))),
        path(PathMatchers.segment(), subject -> concat(
            get(() -> parameterMap(params -> {
              CompatibilityLevel level = state().subjectLevel(subject)
                  .or(() -> flag(params, "defaultToGlobal")
                      ? Optional.of(state().globalLevel().orElse(fallback))
                      : Optional.empty())
                  .orElseThrow(() -> RegistryMachine.noSubjectLevel(subject));
              return ok(level(level));
            })),
            put(() -> body(body -> setLevel(subject, body))),
            delete(() -> answer(registry.write(replyTo -> new SchemaWriter.DeleteConfig(subject, replyTo)),
                answer -> level(answer.level()))))));
  }

  private Route setLevel(String subject, JsonNode body) {
    CompatibilityLevel level = CompatibilityLevel.parse(body.path("compatibility").isTextual()
        ? body.get("compatibility").asText()
        : null);
    return answer(registry.write(replyTo -> new SchemaWriter.SetConfig(subject, level, replyTo)),
        answer -> JSON.createObjectNode().put("compatibility", answer.level().name()));
  }

  private static ObjectNode level(CompatibilityLevel level) {
    return JSON.createObjectNode().put("compatibilityLevel", level.name());
  }

  // Compatibility tests

  private Route compatibilityRoute() {
    return pathPrefix("subjects", () -> pathPrefix(PathMatchers.segment(), subject -> pathPrefix("versions",
        () -> concat(
            pathEndOrSingleSlash(() -> post(() -> compatibility(subject, null))),
            path(PathMatchers.segment(), version -> post(() -> compatibility(subject, version)))))));
  }

  private Route compatibility(String subject, String version) {
    return parameterMap(params -> body(body -> {
      SchemaDraft draft = draft(body);
      RegistryMachine.Verdict verdict;
      if (version == null && state().liveVersions(subject).isEmpty()) {
        verdict = new RegistryMachine.Verdict(List.of());
      } else {
        verdict = RegistryMachine.testCompatibility(state(), subject, version, draft, fallback);
      }
      ObjectNode answer = JSON.createObjectNode().put("is_compatible", verdict.compatible());
      if (flag(params, "verbose")) {
        ArrayNode messages = answer.putArray("messages");
        verdict.problems().forEach(messages::add);
      }
      return ok(answer);
    }));
  }

  // Shapes

  private static ObjectNode versionJson(StoredSchema schema) {
    ObjectNode node = JSON.createObjectNode()
        .put("subject", schema.subject())
        .put("version", schema.version())
        .put("id", schema.id());
    typeAndReferences(node, schema);
    return node.put("schema", schema.schema());
  }

  private static ObjectNode schemaJson(StoredSchema schema) {
    ObjectNode node = JSON.createObjectNode();
    typeAndReferences(node, schema);
    return node.put("schema", schema.schema());
  }

  /** Confluent leaves {@code schemaType} out for AVRO and {@code references} out when there are none. */
  private static void typeAndReferences(ObjectNode node, StoredSchema schema) {
    if (schema.schemaType() != SchemaType.AVRO) {
      node.put("schemaType", schema.schemaType().name());
    }
    if (!schema.references().isEmpty()) {
      ArrayNode references = node.putArray("references");
      schema.references().forEach(r ->
          references.addObject().put("name", r.name()).put("subject", r.subject()).put("version", r.version()));
    }
  }

  private static ArrayNode ints(List<Integer> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  /** The schema a request body carries: {@code schema} (text), {@code schemaType}, {@code references}. */
  static SchemaDraft draft(JsonNode body) {
    if (!body.isObject()) {
      throw RegistryException.invalidSchema("The request body must be a JSON object with a 'schema' field");
    }
    JsonNode schema = body.get("schema");
    if (schema == null || !schema.isTextual()) {
      throw RegistryException.invalidSchema("Field 'schema' (the schema as a string) is required");
    }
    List<SchemaReference> references = new ArrayList<>();
    JsonNode refs = body.path("references");
    if (!refs.isMissingNode() && !refs.isNull()) {
      if (!refs.isArray()) {
        throw RegistryException.invalidSchema("Field 'references' must be an array");
      }
      for (JsonNode ref : refs) {
        if (!ref.path("name").isTextual() || !ref.path("subject").isTextual() || !ref.path("version").isInt()) {
          throw RegistryException.invalidSchema(
              "Each reference needs 'name' and 'subject' (strings) and 'version' (a number): " + ref);
        }
        references.add(new SchemaReference(ref.get("name").asText(), ref.get("subject").asText(),
            ref.get("version").asInt()));
      }
    }
    JsonNode type = body.get("schemaType");
    return new SchemaDraft(SchemaType.parse(type == null || type.isNull() ? null : type.asText()), schema.asText(),
        references);
  }

  private static boolean flag(Map<String, String> params, String name) {
    return Boolean.parseBoolean(params.getOrDefault(name, "false"));
  }

  private RegistryState state() {
    return registry.state();
  }

  // Plumbing

  private Route body(Function<JsonNode, Route> inner) {
    return extractMaterializer(materializer -> extractRequestEntity(entity -> {
      CompletionStage<JsonNode> body = entity
          .toStrict(registry.settings().requestTimeout().toMillis(), MAX_BODY_BYTES, materializer)
          .thenApply(strict -> parse(strict.getData().decodeString(StandardCharsets.UTF_8)));
      return onSuccess(body, inner);
    }));
  }

  private static JsonNode parse(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      if (node == null) {
        throw new RegistryException(new RegistryError(400, 400, "The request has no body; a JSON object is needed"));
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new RegistryException(new RegistryError(400, 400, "The request body is not JSON: "
          + e.getOriginalMessage()));
    }
  }

  private static Route ok(JsonNode body) {
    return complete(response(200, body));
  }

  private static Route raw(String schema) {
    return complete(HttpResponse.create().withStatus(200).withEntity(REGISTRY_JSON, schema));
  }

  private static Route answer(CompletionStage<WriteAnswer> written,
      Function<WriteAnswer, JsonNode> shape) {
    return completeWithFuture(written.handle((answer, failure) ->
        failure == null ? response(200, shape.apply(answer)) : failure(failure)));
  }

  private static HttpResponse response(int status, JsonNode body) {
    return HttpResponse.create().withStatus(status).withEntity(REGISTRY_JSON, body.toString());
  }

  private static HttpResponse failure(Throwable failure) {
    Throwable cause = Broker.unwrap(failure);
    if (cause instanceof RegistryException refused) {
      return error(refused.error());
    }
    log.error("Schema registry request failed unexpectedly", cause);
    return error(RegistryError.of(RegistryError.STORE_ERROR, "Unexpected error: " + cause));
  }

  private static HttpResponse error(RegistryError error) {
    ObjectNode body = JSON.createObjectNode().put("error_code", error.errorCode()).put("message", error.message());
    return response(error.status(), body);
  }

  private static ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(failure -> complete(failure(failure))).build();
  }

  /** pekko-http's own refusals (no such path, wrong method, body too large) in the registry's error shape. */
  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      HttpEntity entity = response.entity();
      String text = entity instanceof HttpEntity.Strict strict
          ? strict.getData().decodeString(StandardCharsets.UTF_8)
          : response.status().reason();
      int status = response.status().intValue();
      return error(new RegistryError(status, status, text));
    });
  }
}
