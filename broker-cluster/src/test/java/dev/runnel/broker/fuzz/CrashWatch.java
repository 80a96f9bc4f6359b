package dev.runnel.broker.fuzz;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Watches the node's log (the node runs in this JVM) for signs that a part of it died: a supervisor that stopped
 * an actor ("saw failure", {@code StopSupervisor}), an {@code OutOfMemoryError}, or a 500 logged by the HTTP API.
 * Thread-safe.
 */
final class CrashWatch extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private static final List<String> SIGNS = List.of("saw failure", "StopSupervisor", "OutOfMemoryError",
      "HTTP request failed unexpectedly");

  private final List<String> seen = new ArrayList<>();

  static CrashWatch install() {
    CrashWatch watch = new CrashWatch();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    watch.setContext(context);
    watch.setName("fuzz-crash-watch");
    watch.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(watch);
    return watch;
  }

  @Override
  protected void append(ILoggingEvent event) {
    StringBuilder text = new StringBuilder(event.getFormattedMessage());
    for (IThrowableProxy cause = event.getThrowableProxy(); cause != null; cause = cause.getCause()) {
      text.append(" / ").append(cause.getClassName()).append(": ").append(cause.getMessage());
    }
    for (String sign : SIGNS) {
      if (text.indexOf(sign) >= 0) {
        synchronized (seen) {
          seen.add(event.getLoggerName() + ": " + text);
        }
        return;
      }
    }
  }

  /** The crash lines logged so far. */
  List<String> crashes() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  @Override
  public void close() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
    stop();
  }
}
