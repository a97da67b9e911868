package cn.yunqian.testing;

import cn.yunqian.db.EmbeddedDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A real PostgreSQL for tests: the embedded zonky server, started once per test JVM, or the
 * server named by {@code YUNQIAN_TEST_PG_URL} (a superuser URL). Each caller gets a database
 * of its own, so test classes never see each other's rows.
 */
public final class TestDatabase {

  private static PgConnectOptions admin;

  private TestDatabase() {
  }

  /** Creates a fresh database and returns its {@code postgresql://} URL. */
  public static synchronized String newDatabaseUrl() {
    PgConnectOptions server = adminOptions();
    String name = "yq_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Vertx vertx = Vertx.vertx();
    try {
      PgConnection.connect(vertx, server)
          .compose(conn -> conn.query("CREATE DATABASE " + name).execute()
              .eventually(() -> conn.close()))
          .toCompletionStage().toCompletableFuture().join();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
    String credentials = server.getUser()
        + (server.getPassword() == null || server.getPassword().isEmpty()
            ? "" : ":" + server.getPassword());
    return "postgresql://" + credentials + "@" + server.getHost() + ":" + server.getPort() + "/"
        + name;
  }

  private static PgConnectOptions adminOptions() {
    if (admin != null) {
      return admin;
    }
    String external = System.getenv("YUNQIAN_TEST_PG_URL");
    if (external != null && !external.isBlank()) {
      admin = PgConnectOptions.fromUri(external);
      return admin;
    }
    try {
      Path dir = Path.of("target", "test-pg").toAbsolutePath();
      deleteRecursively(dir);
      EmbeddedDatabase embedded = EmbeddedDatabase.start(dir, freePort(),
          "test-" + UUID.randomUUID().toString().replace("-", ""));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          embedded.close();
        } catch (IOException e) {
          System.err.println("Failed to stop the test PostgreSQL: " + e);
        }
      }));
      admin = embedded.connectOptions();
      return admin;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns a TCP port that was free a moment ago. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
