package dev.runnel.broker.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import dev.runnel.broker.Main;
import dev.runnel.persistence.JournalProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * There is no Kubernetes cluster to apply {@code deploy/kubernetes} to, so this checks what would otherwise fail
 * only in production: every manifest parses; selectors match the pods' labels; the configuration a pod resolves
 * from the environment the StatefulSet gives it (Runnel's reference.conf and runnel-pekko.conf, resolved by
 * Typesafe Config against that environment) bootstraps with kubernetes-api discovery of exactly these pods, on
 * the ports the manifests open and probe; every environment variable set is one something reads; RBAC lets
 * discovery list pods; the Dockerfile exposes those ports and starts {@link Main}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesManifestsTest {

  private static final Path DIR = Path.of(System.getProperty("basedir", "."), "..", "deploy", "kubernetes")
      .normalize();
  /** A pod's downward-API values, as Kubernetes would give runnel-2 in namespace streaming. */
  private static final Map<String, String> FIELDS = Map.of(
      "metadata.name", "runnel-2",
      "metadata.namespace", "streaming",
      "status.podIP", "10.1.2.3",
      "metadata.labels['apps.kubernetes.io/pod-index']", "2");
  private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  private static Map<String, List<JsonNode>> byKind;
  private static JsonNode statefulSet;
  private static JsonNode container;
  private static Map<String, String> environment;
  private static Set<String> variablesRead;
  private static Config config;

  @BeforeAll
  static void load() throws Exception {
    byKind = new HashMap<>();
    YAMLMapper yaml = new YAMLMapper();
    List<Path> files;
    try (Stream<Path> list = Files.list(DIR)) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no manifests in " + DIR);
    for (Path file : files) {
      try (MappingIterator<JsonNode> documents = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
        for (JsonNode document : documents.readAll()) {
          assertTrue(document.path("apiVersion").isTextual() && document.path("kind").isTextual(),
              file + ": a document without apiVersion and kind");
          if (!document.path("kind").asText().equals("Kustomization")) {
            assertTrue(document.path("metadata").path("name").isTextual(), file + ": a document without a name");
          }
          byKind.computeIfAbsent(document.path("kind").asText(), k -> new ArrayList<>()).add(document);
        }
      }
    }
    statefulSet = only("StatefulSet");
    JsonNode containers = statefulSet.path("spec").path("template").path("spec").path("containers");
    assertEquals(1, containers.size(), "one container per pod");
    container = containers.get(0);
    environment = environmentOf(container);
    variablesRead = new TreeSet<>();
    config = resolve(environment, variablesRead);
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    Set<String> listed = new HashSet<>();
    only("Kustomization").path("resources").forEach(r -> listed.add(r.asText()));
    Set<String> files = new HashSet<>();
    try (Stream<Path> list = Files.list(DIR)) {
      list.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).forEach(files::add);
    }
    assertEquals(files, listed, "kustomization.yaml resources");
  }

  @Test
  void selectorsMatchThePodsLabels() {
    JsonNode labels = statefulSet.path("spec").path("template").path("metadata").path("labels");
    assertMatches(statefulSet.path("spec").path("selector").path("matchLabels"), labels, "StatefulSet selector");
    for (JsonNode service : byKind.get("Service")) {
      assertMatches(service.path("spec").path("selector"), labels, "Service " + name(service));
    }
    JsonNode budget = only("PodDisruptionBudget");
    assertMatches(budget.path("spec").path("selector").path("matchLabels"), labels, "PodDisruptionBudget");
    // Of three nodes keep-majority survives the loss of one: the budget must never allow two.
    assertEquals(1, budget.path("spec").path("maxUnavailable").asInt(), "PodDisruptionBudget maxUnavailable");
  }

  @Test
  void headlessServiceGivesEveryPodTheNameItAdvertises() {
    JsonNode headless = service(statefulSet.path("spec").path("serviceName").asText());
    assertEquals("None", headless.path("spec").path("clusterIP").asText(), "the StatefulSet's service is headless");
    assertTrue(headless.path("spec").path("publishNotReadyAddresses").asBoolean(),
        "pod names resolve before the pods are ready");
    assertEquals("runnel-2." + name(headless) + ".streaming.svc.cluster.local",
        config.getString("runnel.broker.advertised-host"), "the host runnel-2 advertises to Kafka clients");
    assertEquals("0.0.0.0", config.getString("runnel.broker.host"), "Kafka and HTTP bind every interface");
  }

  @Test
  void podOrdinalIsTheKafkaNodeId() {
    assertEquals(2, config.getInt("runnel.broker.kafka.node-id"), "runnel-2's node id");
  }

  @Test
  void bootstrapFindsExactlyThesePodsThroughTheKubernetesApi() {
    ClusterFormation formation = ClusterFormation.create(config);
    assertEquals(ClusterFormation.Join.BOOTSTRAP, formation.join());
    assertEquals(JournalProfile.POSTGRES, JournalProfile.of(config));
    assertTrue(formation.refusal(false, "postgres").isEmpty(), () -> formation.refusal(false, "postgres").orElseThrow());
    String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("kubernetes-api", config.getString(discovery + "discovery-method"));
    String selector = config.getString("pekko.discovery.kubernetes-api.pod-label-selector")
        .formatted(config.getString(discovery + "service-name"));
    String[] label = selector.split("=", 2);
    assertEquals(label[1],
        statefulSet.path("spec").path("template").path("metadata").path("labels").path(label[0]).asText(),
        "the pods carry the label of " + selector);
    assertEquals(statefulSet.path("spec").path("replicas").asInt(), config.getInt(discovery + "required-contact-point-nr"),
        "a new cluster forms once every replica answers");
    assertEquals("Parallel", statefulSet.path("spec").path("podManagementPolicy").asText(),
        "pods start together (none is ready before the cluster forms)");
    assertEquals(config.getInt("pekko.management.http.port"), containerPort(config.getString(discovery + "port-name")),
        "the contact points' port name names the management port");
    // Discovery finds a pod by its IP; bootstrap recognises itself among the contact points by that address.
    assertEquals(FIELDS.get("status.podIP"), config.getString("pekko.management.http.hostname"));
    assertEquals(FIELDS.get("status.podIP"), config.getString("pekko.remote.artery.canonical.hostname"));
  }

  @Test
  void containerPortsAreTheOnesTheNodeListensOn() {
    assertEquals(config.getInt("runnel.broker.kafka.port"), containerPort("kafka"));
    assertEquals(config.getInt("runnel.broker.http.port"), containerPort("http"));
    assertEquals(config.getInt("runnel.broker.schema-registry.port"), containerPort("schema-registry"));
    assertEquals(config.getInt("pekko.remote.artery.canonical.port"), containerPort("remoting"));
    assertEquals(config.getInt("pekko.management.http.port"), containerPort("management"));
    for (JsonNode service : byKind.get("Service")) {
      for (JsonNode port : service.path("spec").path("ports")) {
        JsonNode target = port.path("targetPort");
        int number = target.isInt() ? target.asInt() : containerPort(target.asText());
        assertEquals(port.path("port").asInt(), number, "Service " + name(service) + " port " + port);
      }
    }
    assertTrue(service("runnel").path("spec").path("ports").findValuesAsText("name").containsAll(List.of("kafka", "http")),
        "the client Service serves Kafka and HTTP");
  }

  @Test
  void probesAskTheManagementHealthChecks() {
    int management = config.getInt("pekko.management.http.port");
    String checks = "pekko.management.health-checks.";
    Map<String, String> probes = Map.of(
        "readinessProbe", config.getString(checks + "readiness-path"),
        "livenessProbe", config.getString(checks + "liveness-path"),
        "startupProbe", config.getString(checks + "liveness-path"));
    probes.forEach((probe, path) -> {
      JsonNode get = container.path(probe).path("httpGet");
      assertEquals("/" + path, get.path("path").asText(), probe + " path");
      JsonNode port = get.path("port");
      assertEquals(management, port.isInt() ? port.asInt() : containerPort(port.asText()), probe + " port");
    });
    assertEquals(NodeReadinessCheck.class.getName(),
        config.getString(checks + "readiness-checks.runnel-node"), "readiness is Runnel's own check");
  }

  @Test
  void everyVariableTheManifestsSetIsReadBySomething() throws IOException {
    String entrypoint = entrypoint();
    Set<String> referenced = new HashSet<>();
    for (JsonNode variable : container.path("env")) {
      Matcher matcher = REFERENCE.matcher(variable.path("value").asText());
      while (matcher.find()) {
        referenced.add(matcher.group(1));
      }
    }
    for (String name : declaredNames()) {
      boolean read = variablesRead.contains(name) || referenced.contains(name) || entrypoint.contains("$" + name);
      assertTrue(read, name + " is set by the manifests but read by no configuration, no other variable and not"
          + " the image's entrypoint (read: " + variablesRead + ")");
    }
  }

  @Test
  void postgresPasswordComesFromASecret() {
    for (JsonNode variable : container.path("env")) {
      if (variable.path("name").asText().equals("RUNNEL_POSTGRES_PASSWORD")) {
        assertTrue(variable.path("valueFrom").path("secretKeyRef").path("name").isTextual(), "a secretKeyRef");
        return;
      }
    }
    throw new AssertionError("RUNNEL_POSTGRES_PASSWORD is not set");
  }

  @Test
  void rbacLetsTheStatefulSetsAccountListPods() {
    String account = statefulSet.path("spec").path("template").path("spec").path("serviceAccountName").asText();
    assertTrue(byKind.get("ServiceAccount").stream().anyMatch(a -> name(a).equals(account)), "account " + account);
    JsonNode binding = only("RoleBinding");
    assertTrue(binding.path("subjects").findValuesAsText("name").contains(account), "the binding names " + account);
    JsonNode role = only("Role");
    assertEquals(name(role), binding.path("roleRef").path("name").asText(), "the binding's role");
    Set<String> verbs = new HashSet<>();
    for (JsonNode rule : role.path("rules")) {
      List<String> resources = new ArrayList<>();
      rule.path("resources").forEach(r -> resources.add(r.asText()));
      List<String> groups = new ArrayList<>();
      rule.path("apiGroups").forEach(g -> groups.add(g.asText()));
      // Pods are in the core API group, "".
      if (resources.contains("pods") && groups.contains("")) {
        rule.path("verbs").forEach(v -> verbs.add(v.asText()));
      }
    }
    assertTrue(verbs.containsAll(List.of("get", "list", "watch")), "pods verbs " + verbs);
  }

  @Test
  void podsHaveResourcesAndTimeToHandOverTheirPartitions() {
    JsonNode resources = container.path("resources");
    assertTrue(resources.path("requests").path("cpu").isTextual() && resources.path("requests").path("memory").isTextual(),
        "cpu and memory requests");
    assertTrue(resources.path("limits").path("memory").isTextual(), "a memory limit (the heap is a share of it)");
    assertTrue(environment.get("RUNNEL_JAVA_OPTS").contains("MaxRAMPercentage"), "the heap follows the limit");
    long grace = statefulSet.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asLong();
    long handoff = config.getDuration("pekko.cluster.sharding.handoff-timeout").toSeconds();
    assertTrue(grace > handoff, "terminationGracePeriodSeconds " + grace + " leaves the handoff " + handoff + " s");
  }

  @Test
  void dockerfileExposesThePortsAndStartsTheBroker() throws IOException {
    String dockerfile = Files.readString(DIR.resolve("Dockerfile"));
    Set<Integer> exposed = new TreeSet<>();
    for (String line : dockerfile.lines().toList()) {
      if (line.startsWith("EXPOSE ")) {
        for (String port : line.substring(7).trim().split("\\s+")) {
          exposed.add(Integer.parseInt(port));
        }
      }
    }
    Set<Integer> opened = new TreeSet<>();
    container.path("ports").forEach(p -> opened.add(p.path("containerPort").asInt()));
    assertEquals(opened, exposed, "EXPOSE against the container's ports");
    assertTrue(entrypoint().contains(Main.class.getName()), "the entrypoint starts " + Main.class.getName());
    assertTrue(dockerfile.contains("-pl deploy -am") && dockerfile.contains("/deploy/target/lib/"),
        "the image holds the launcher's classpath, deploy/target/lib");
    String user = statefulSet.path("spec").path("template").path("spec").path("securityContext").path("runAsUser").asText();
    assertTrue(dockerfile.contains("USER " + user), "the image runs as the pod's user " + user);
    assertEquals(statefulSet.path("spec").path("template").path("spec").path("containers").get(0).path("image").asText(),
        "runnel:" + dockerfile.lines().filter(l -> l.contains("docker build")).findFirst().orElseThrow()
            .replaceAll(".*-t runnel:(\\S+).*", "$1"),
        "the StatefulSet runs the image the Dockerfile's build command tags");
  }

  // ---- helpers

  private static String entrypoint() throws IOException {
    return Files.readString(DIR.resolve("Dockerfile")).lines().filter(l -> l.startsWith("ENTRYPOINT"))
        .findFirst().orElseThrow(() -> new AssertionError("the Dockerfile has no ENTRYPOINT"));
  }

  /**
   * The container's environment as Kubernetes builds it: the ConfigMaps of envFrom, then env in order, where
   * {@code $(NAME)} takes an earlier variable's value, fieldRef the pod's fields and secretKeyRef a stand-in.
   */
  private static Map<String, String> environmentOf(JsonNode container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode from : container.path("envFrom")) {
      String map = from.path("configMapRef").path("name").asText();
      assertFalse(map.isEmpty(), "envFrom other than a ConfigMap: " + from);
      configMap(map).path("data").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    for (JsonNode variable : container.path("env")) {
      String name = variable.path("name").asText();
      JsonNode from = variable.path("valueFrom");
      String value;
      if (variable.has("value")) {
        Matcher matcher = REFERENCE.matcher(variable.path("value").asText());
        StringBuilder expanded = new StringBuilder();
        while (matcher.find()) {
          String referenced = env.get(matcher.group(1));
          assertNotNull(referenced, name + " refers to $(" + matcher.group(1) + "), not defined before it");
          matcher.appendReplacement(expanded, Matcher.quoteReplacement(referenced));
        }
        matcher.appendTail(expanded);
        value = expanded.toString();
      } else if (from.has("fieldRef")) {
        value = FIELDS.get(from.path("fieldRef").path("fieldPath").asText());
        assertNotNull(value, name + ": unknown field " + from);
      } else if (from.has("secretKeyRef")) {
        value = "secret-" + from.path("secretKeyRef").path("key").asText();
      } else if (from.has("configMapKeyRef")) {
        value = configMap(from.path("configMapKeyRef").path("name").asText()).path("data")
            .path(from.path("configMapKeyRef").path("key").asText()).asText();
      } else {
        throw new AssertionError(name + ": a kind of value this test does not know: " + variable);
      }
      env.put(name, value);
    }
    return env;
  }

  /** Every variable name the manifests set: each ConfigMap key given by envFrom and each env entry. */
  private static Set<String> declaredNames() {
    Set<String> names = new TreeSet<>();
    for (JsonNode from : container.path("envFrom")) {
      configMap(from.path("configMapRef").path("name").asText()).path("data").fieldNames().forEachRemaining(names::add);
    }
    container.path("env").forEach(v -> names.add(v.path("name").asText()));
    return names;
  }

  /**
   * Runnel's configuration as {@code RunnelConfig.load} layers it (runnel-pekko.conf over the merged reference.conf
   * files), resolved against {@code environment} instead of this JVM's, recording every variable it looked up.
   */
  private static Config resolve(Map<String, String> environment, Set<String> lookedUp) {
    Config unresolved = ConfigFactory.parseResources(KubernetesManifestsTest.class.getClassLoader(), "runnel-pekko.conf")
        .withFallback(ConfigFactory.defaultReferenceUnresolved());
    ConfigResolver variables = new ConfigResolver() {
      @Override
      public ConfigValue lookup(String path) {
        lookedUp.add(path);
        String value = environment.get(path);
        return value == null ? null : ConfigValueFactory.fromAnyRef(value, "the pod's environment");
      }

      @Override
      public ConfigResolver withFallback(ConfigResolver fallback) {
        return this;
      }
    };
    return unresolved.resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false).appendResolver(variables));
  }

  private static void assertMatches(JsonNode selector, JsonNode labels, String what) {
    assertTrue(selector.size() > 0, what + " selects nothing");
    selector.fields().forEachRemaining(e -> assertEquals(e.getValue().asText(), labels.path(e.getKey()).asText(),
        what + " label " + e.getKey()));
  }

  private static int containerPort(String name) {
    for (JsonNode port : container.path("ports")) {
      if (port.path("name").asText().equals(name)) {
        return port.path("containerPort").asInt();
      }
    }
    throw new AssertionError("the container has no port named " + name);
  }

  private static JsonNode only(String kind) {
    List<JsonNode> all = byKind.getOrDefault(kind, List.of());
    assertEquals(1, all.size(), "manifests of kind " + kind);
    return all.get(0);
  }

  private static JsonNode service(String name) {
    return byKind.get("Service").stream().filter(s -> name(s).equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + name));
  }

  private static JsonNode configMap(String name) {
    return byKind.getOrDefault("ConfigMap", List.of()).stream().filter(m -> name(m).equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no ConfigMap " + name));
  }

  private static String name(JsonNode document) {
    return document.path("metadata").path("name").asText();
  }
}
