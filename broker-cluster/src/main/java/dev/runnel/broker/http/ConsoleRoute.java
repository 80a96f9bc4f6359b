package dev.runnel.broker.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResource;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResourceDirectory;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;

import java.util.List;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web console: its page at {@code /} and its scripts and styles under {@code /console/}, from the jar's
 * {@code console/} directory, where the Maven build puts the front-end (broker-cluster/console, built by Vite). No
 * API path starts with {@code console}, and {@code /} is the only other path it takes, so the API's paths are left
 * alone. The page is read fresh on every load (no-cache); the assets' file names carry a hash of their content, so
 * a browser may keep them for good. A jar built with {@code -Dconsole.skip} has no console: both answer 404.
 * Thread-safe.
 */
final class ConsoleRoute {

  private static final String DIRECTORY = "console";
  private static final String INDEX = DIRECTORY + "/index.html";

  Route route() {
    return get(() -> concat(
        pathSingleSlash(() -> respondWithHeaders(List.of(CacheControl.create(CacheDirectives.NO_CACHE)),
            () -> getFromResource(INDEX))),
        pathPrefix(DIRECTORY, () -> respondWithHeaders(
            List.of(CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(31_536_000L))),
            () -> getFromResourceDirectory(DIRECTORY)))));
  }
}
