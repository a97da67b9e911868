package cn.yunqian.db;

import cn.yunqian.app.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's PostgreSQL: an external server when {@code YUNQIAN_PG_URL} is set, otherwise
 * an embedded one under the data folder. Owns the connection pool and, if it started one,
 * the embedded server.
 */
public final class Database implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final Pool pool;
  private final EmbeddedDatabase embedded;

  private Database(Pool pool, EmbeddedDatabase embedded) {
    this.pool = pool;
    this.embedded = embedded;
  }

  /**
   * Connects (starting the embedded server first if needed, with {@code embeddedPassword} as
   * its superuser password) and migrates the schema.
   * Blocks while the embedded server starts, so call it off the event loop.
   */
  public static Future<Database> open(Vertx vertx, GatewayConfig config,
      String embeddedPassword) {
    EmbeddedDatabase embedded = null;
    PgConnectOptions options;
    try {
      if (config.pgUrl().isPresent()) {
        options = PgConnectOptions.fromUri(config.pgUrl().get());
        LOG.info("Using external PostgreSQL: host='{}' port={} database='{}'",
            options.getHost(), options.getPort(), options.getDatabase());
      } else {
        embedded = EmbeddedDatabase.start(config.embeddedPgDir(), config.embeddedPgPort(),
            embeddedPassword);
        options = embedded.connectOptions();
      }
    } catch (IOException | RuntimeException e) {
      return Future.failedFuture(e);
    }
    Pool pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(8))
        .connectingTo(options)
        .using(vertx)
        .build();
    Database database = new Database(pool, embedded);
    return Migrations.migrate(pool)
        .map(database)
        .onFailure(e -> database.close());
  }

  public Pool pool() {
    return pool;
  }

  @Override
  public void close() {
    pool.close();
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        LOG.error("Failed to stop embedded PostgreSQL", e);
      }
    }
  }
}
