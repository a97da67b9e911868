package cn.yunqian.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.db.Migrations;
import cn.yunqian.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuditLogTest {

  private static Vertx vertx;
  private static Pool pool;

  @BeforeAll
  static void openDatabase() {
    vertx = Vertx.vertx();
    pool = PgBuilder.pool()
        .connectingTo(PgConnectOptions.fromUri(TestDatabase.newDatabaseUrl()))
        .using(vertx)
        .build();
    join(Migrations.migrate(pool));
  }

  @AfterAll
  static void close() {
    pool.close();
    join(vertx.close());
  }

  @Test
  void chainDetectsEditedRow() {
    AuditLog log = new AuditLog(pool);
    UUID signer = UUID.randomUUID();
    join(log.record(AuditEvent.success("test", "FIRST", signer, new JsonObject().put("n", 1))));
    join(log.record(AuditEvent.success("test", "SECOND", null, new JsonObject())));
    join(log.record(new AuditEvent("test", "THIRD", signer, "PIN_INCORRECT",
        new JsonObject().put("attemptsLeft", 4))));
    assertEquals(0L, join(AuditLog.verifyChain(pool)));

    long second = join(pool.query("SELECT seq FROM audit_events WHERE action = 'SECOND'")
        .execute()).iterator().next().getLong(0);
    join(pool.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update").execute());
    join(pool.query("UPDATE audit_events SET outcome = 'FORGED' WHERE seq = " + second)
        .execute());
    join(pool.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update").execute());
    assertEquals(second, join(AuditLog.verifyChain(pool)));
  }

  @Test
  void triggerRejectsUpdateAndDelete() {
    join(new AuditLog(pool).record(AuditEvent.success("test", "KEEP", null, new JsonObject())));
    CompletionException update = assertThrows(CompletionException.class,
        () -> join(pool.query("UPDATE audit_events SET actor = 'x'").execute()));
    assertTrue(update.getCause().getMessage().contains("append-only"));
    CompletionException delete = assertThrows(CompletionException.class,
        () -> join(pool.query("DELETE FROM audit_events").execute()));
    assertTrue(delete.getCause().getMessage().contains("append-only"));
  }

  @Test
  void migrationsRunTwice() {
    join(Migrations.migrate(pool));
    long applied = join(pool.query("SELECT count(*) FROM schema_migrations").execute())
        .iterator().next().getLong(0);
    assertEquals(Migrations.FILES.size(), applied);
  }

  private static <T> T join(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
