package cn.yunqian.db;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts the server on {@code port} with its data under {@code dataDir}, creating the
   * cluster on first use. Blocks for one to ten seconds.
   */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
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
        .start();
    return new EmbeddedDatabase(postgres);
  }

  /** Returns options that connect to the server's default database as its superuser. */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost("127.0.0.1")
        .setPort(postgres.getPort())
        .setDatabase("postgres")
        .setUser("postgres");
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
