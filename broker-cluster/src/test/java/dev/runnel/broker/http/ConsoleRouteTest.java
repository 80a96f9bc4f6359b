package dev.runnel.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runnel.broker.RunnelNode;
import dev.runnel.broker.testkit.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The console's static route beside the API: the page at /, its assets under /console/, the API untouched. */
@Timeout(60)
class ConsoleRouteTest {

  private static RunnelNode node;
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.newDataDir());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void when_browserLoadsSlash_then_thePageAndItsHashedAssetsAreServed() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
    assertEquals("no-cache", page.headers().firstValue("Cache-Control").orElse(""));
    Matcher script = Pattern.compile("src=\"(/console/assets/[^\"]+\\.js)\"").matcher(page.body());
    assertTrue(script.find(), page.body());

    HttpResponse<String> asset = get(script.group(1));
    assertEquals(200, asset.statusCode());
    assertTrue(asset.headers().firstValue("Content-Type").orElse("").contains("javascript"), asset.headers().toString());
    assertTrue(asset.headers().firstValue("Cache-Control").orElse("").contains("max-age=31536000"));

    HttpResponse<String> pageAgain = get("/console/index.html");
    assertEquals(200, pageAgain.statusCode());
    assertEquals("no-cache", pageAgain.headers().firstValue("Cache-Control").orElse(""), "only assets are kept");
  }

  @Test
  void when_pathIsNeitherConsoleNorApi_then_theAnswerIsTheApisJson404() throws Exception {
    for (String path : new String[] {"/console/assets/missing.js", "/console/../reference.conf", "/nothing-here"}) {
      HttpResponse<String> missing = get(path);
      assertEquals(404, missing.statusCode(), path);
      assertTrue(missing.body().contains("\"error\""), path + ": " + missing.body());
    }
  }

  @Test
  void when_consoleIsServed_then_theApiPathsStillAnswerJson() throws Exception {
    HttpResponse<String> topics = get("/topics");
    assertEquals(200, topics.statusCode());
    assertTrue(topics.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertEquals(200, get("/cluster").statusCode());
    assertEquals(200, get("/health").statusCode());
  }

  @Test
  void when_aProbeSendsHead_then_itGetsTheGetsStatusAndHeadersWithoutABody() throws Exception {
    for (String path : new String[] {"/", "/health", "/topics", "/metrics"}) {
      HttpResponse<String> head = client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
              .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> get = get(path);
      assertEquals(get.statusCode(), head.statusCode(), path);
      assertEquals(get.headers().firstValue("Content-Type"), head.headers().firstValue("Content-Type"), path);
      assertEquals("", head.body(), path);
    }
  }
}
