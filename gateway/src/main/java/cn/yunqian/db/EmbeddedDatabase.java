package cn.yunqian.db;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run from the zonky binaries, with its data kept in a folder of ours.
 * The zonky defaults are tuned for throw-away test databases (fsync and synchronous_commit
 * off); this class turns both back on because the data here is kept.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;
  private final String password;

  private EmbeddedDatabase(EmbeddedPostgres postgres, String password) {
    this.postgres = postgres;
    this.password = password;
  }

  /**
   * Starts the server on {@code port} with its data under {@code dataDir}, creating the
   * cluster on first use. Blocks for one to ten seconds.
   *
   * @param password the superuser's password; {@code initdb} leaves every local user free to
   *     log in as superuser ({@code trust}), so the first start sets this password and
   *     switches the cluster to SCRAM authentication
   */
  public static EmbeddedDatabase start(Path dataDir, int port, String password)
      throws IOException {
    Path workingDir = dataDir.resolveSibling(dataDir.getFileName() + "-bin");
    Files.createDirectories(dataDir);
    Files.createDirectories(workingDir);
    removeStalePidFile(dataDir);
    LOG.info("Starting embedded PostgreSQL: dataDir='{}' port={}", dataDir, port);
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir.toFile())
        .setCleanDataDirectory(false)
        .setOverrideWorkingDirectory(workingDir.toFile())
        .setPort(port)
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on")
        .setServerConfig("max_connections", "50")
        .setServerConfig("password_encryption", "scram-sha-256")
        .setConnectConfig("password", password)
        .start();
    requirePassword(postgres, dataDir, password);
    return new EmbeddedDatabase(postgres, password);
  }

  /** Sets the superuser password and replaces {@code trust} in pg_hba.conf, once. */
  private static void requirePassword(EmbeddedPostgres postgres, Path dataDir, String password)
      throws IOException {
    Path hba = dataDir.resolve("pg_hba.conf");
    List<String> lines = Files.readAllLines(hba);
    if (lines.stream().noneMatch(EmbeddedDatabase::isTrustRule)) {
      return;
    }
    if (!password.matches("[A-Za-z0-9_-]{20,}")) {
      throw new IllegalArgumentException("The database password must be 20 or more URL-safe"
          + " base64 characters");
    }
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("ALTER USER postgres PASSWORD '" + password + "'");
      Files.write(hba, lines.stream()
          .map(line -> isTrustRule(line) ? line.replaceAll("\\btrust\\b", "scram-sha-256") : line)
          .toList());
      statement.execute("SELECT pg_reload_conf()");
    } catch (SQLException e) {
      throw new IOException("Failed to set the embedded PostgreSQL password", e);
    }
    LOG.info("Embedded PostgreSQL now requires the superuser password (scram-sha-256)");
  }

  private static boolean isTrustRule(String line) {
    String trimmed = line.trim();
    return !trimmed.startsWith("#") && trimmed.matches(".*\\btrust\\s*$");
  }

  /** Returns options that connect to the server's default database as its superuser. */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost("127.0.0.1")
        .setPort(postgres.getPort())
        .setDatabase("postgres")
        .setUser("postgres")
        .setPassword(password);
  }

  @Override
  public void close() throws IOException {
    LOG.info("Stopping embedded PostgreSQL");
    postgres.close();
  }

  /**
   * Deletes {@code postmaster.pid} when the process it names is gone. A killed JVM leaves it
   * behind, and pg_ctl then refuses to start.
   */
  private static void removeStalePidFile(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String firstLine = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
    try {
      long pid = Long.parseLong(firstLine);
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new IOException("PostgreSQL is already running on " + dataDir + " as process " + pid
            + "; stop it or set YUNQIAN_DATA_DIR to another folder");
      }
    } catch (NumberFormatException e) {
      LOG.warn("Unreadable postmaster.pid in '{}', removing it", dataDir);
    }
    Files.delete(pidFile);
  }
}
