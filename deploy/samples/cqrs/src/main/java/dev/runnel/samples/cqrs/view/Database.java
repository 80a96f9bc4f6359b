package dev.runnel.samples.cqrs.view;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.runnel.samples.cqrs.CqrsSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The database of both read models and the projections' offset store: a connection pool, and an executor for the
 * blocking JDBC calls of queries (pekko-projection-jdbc's dispatcher, sized like the pool, so a query never blocks
 * an actor's thread). Thread-safe.
 */
public final class Database implements AutoCloseable {

  /** Work with a connection that may throw, as JDBC code does. */
  @FunctionalInterface
  public interface Work<T> {
    T apply(Connection connection) throws SQLException;
  }

  private final HikariDataSource pool;
  private final Executor blocking;

  private Database(HikariDataSource pool, Executor blocking) {
    this.pool = pool;
    this.blocking = blocking;
  }

  public static Database open(CqrsSettings settings, Executor blocking) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("cqrs-read-models");
    config.setJdbcUrl(settings.databaseUrl());
    if (!settings.databaseUser().isEmpty()) {
      config.setUsername(settings.databaseUser());
      config.setPassword(settings.databasePassword());
    }
    config.setMaximumPoolSize(settings.poolSize());
    // Projections commit their own transactions (with the offsets, for the exactly-once one).
    config.setAutoCommit(false);
    return new Database(new HikariDataSource(config), blocking);
  }

  /** A session per projection transaction, its connection back in the pool when the projection closes it. */
  public Supplier<PooledSession> sessions() {
    return () -> new PooledSession(connection());
  }

  private Connection connection() {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      throw new IllegalStateException("no connection to the read models' database", e);
    }
  }

  /** Runs {@code work} in one transaction on the blocking executor: committed if it returns, else rolled back. */
  public <T> CompletionStage<T> transaction(Work<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection connection = connection()) {
        try {
          T result = work.apply(connection);
          connection.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          connection.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  @Override
  public void close() {
    pool.close();
  }
}
