package cn.yunqian.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the SQL files under {@code db/migration/} in order, each once, each in its own
 * transaction. A transaction-scoped advisory lock keeps two gateways from migrating at once.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  /** The migration files, oldest first. Add new ones at the end; never edit an applied one. */
  public static final List<String> FILES = List.of("V1__signers_and_audit.sql",
      "V2__enrolment.sql",
      "V3__certificates.sql",

      "V4__key_custody.sql",
      "V5__pin_management.sql",
      "V6__enrolment_key_custody.sql");

  /** Arbitrary constant that names the migration lock in pg_advisory_xact_lock. */
  private static final long LOCK_KEY = 0x59554e5149414eL;

  private Migrations() {
  }

  /** Brings the schema up to date. Fails when a migration fails; nothing of it is kept. */
  public static Future<Void> migrate(Pool pool) {
    Future<Void> chain = pool.query("CREATE TABLE IF NOT EXISTS schema_migrations ("
        + "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        .execute()
        .mapEmpty();
    for (String file : FILES) {
      chain = chain.compose(ignored -> pool.withTransaction(conn -> apply(conn, file)));
    }
    return chain;
  }

  private static Future<Void> apply(SqlConnection conn, String file) {
    return conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")").execute()
        .compose(locked -> conn.preparedQuery(
                "SELECT 1 FROM schema_migrations WHERE version = $1")
            .execute(Tuple.of(file)))
        .compose(rows -> {
          if (rows.size() > 0) {
            return Future.succeededFuture();
          }
          LOG.info("Applying migration '{}'", file);
          return conn.query(read(file)).execute()
              .compose(done -> conn.preparedQuery(
                      "INSERT INTO schema_migrations (version) VALUES ($1)")
                  .execute(Tuple.of(file)))
              .mapEmpty();
        });
  }

  private static String read(String file) {
    try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + file)) {
      if (in == null) {
        throw new IllegalStateException("Migration file missing from the classpath: " + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
