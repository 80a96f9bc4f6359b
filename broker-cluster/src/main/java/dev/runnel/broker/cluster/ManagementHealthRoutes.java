package dev.runnel.broker.cluster;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.HealthCheckSettings;
import org.apache.pekko.management.javadsl.CheckResult;
import org.apache.pekko.management.javadsl.HealthChecks;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * The health check routes of Pekko Management's HTTP endpoint ({@code pekko.management.http.routes.health-checks}):
 * the checks and paths of {@code pekko.management.health-checks} ({@code /startup}, {@code /ready},
 * {@code /alive}), answered 200 when every check passes and 503 Service Unavailable, with the failing checks,
 * when one does not (Pekko's own routes answer 500, which reads as a fault of the node rather than "not yet").
 */
public final class ManagementHealthRoutes implements ManagementRouteProvider {

  private final HealthCheckSettings settings;
  private final HealthChecks checks;

  public ManagementHealthRoutes(ExtendedActorSystem system) {
    this.settings = HealthCheckSettings.create(system.settings().config().getConfig("pekko.management.health-checks"));
    this.checks = new HealthChecks(system, settings);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings routeSettings) {
    return concat(
        path(PathMatchers.separateOnSlashes(settings.startupPath()), () -> answer(checks::startupResult)),
        path(PathMatchers.separateOnSlashes(settings.readinessPath()), () -> answer(checks::readyResult)),
        path(PathMatchers.separateOnSlashes(settings.livenessPath()), () -> answer(checks::aliveResult)));
  }

  private static Route answer(Supplier<CompletionStage<CheckResult>> check) {
    return get(() -> completeWithFuture(check.get().handle(ManagementHealthRoutes::response)));
  }

  static HttpResponse response(CheckResult result, Throwable failure) {
    if (failure != null) {
      return HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
          .withEntity("Health check failed: " + failure.getMessage());
    }
    if (result.isSuccess()) {
      return HttpResponse.create().withStatus(StatusCodes.OK).withEntity("OK");
    }
    return HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
        .withEntity("Not healthy: " + result.failure().orElse("a check failed"));
  }
}
