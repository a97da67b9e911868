package cn.yunqian.app;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health of the gateway: the database runs a query and the HSM made and verified a real
 * test signature. The HSM probe result is cached for a few seconds, so a load balancer polling
 * {@code /health} does not turn into HSM load.
 */
public final class HealthCheck {

  private static final Logger LOG = LoggerFactory.getLogger(HealthCheck.class);
  private static final long HSM_PROBE_INTERVAL_MILLIS = 10_000;

  private final Pool pool;
  private final WorkerExecutor workers;
  private final Callable<Void> hsmProbe;
  private volatile Instant lastHsmSuccess;
  private volatile String lastHsmError = "no test signature made yet";
  private volatile long lastHsmProbeMillis;

  /**
   * @param hsmProbe makes and verifies one test signature; throws when the HSM cannot sign
   */
  public HealthCheck(Pool pool, WorkerExecutor workers, Callable<Void> hsmProbe) {
    this.pool = pool;
    this.workers = workers;
    this.hsmProbe = hsmProbe;
  }

  /** Runs the HSM probe now, off the event loop. */
  public Future<Void> probeHsm() {
    lastHsmProbeMillis = System.currentTimeMillis();
    return workers.<Void>executeBlocking(hsmProbe, false)
        .onSuccess(done -> {
          lastHsmSuccess = Instant.now();
          lastHsmError = null;
        })
        .onFailure(e -> {
          lastHsmSuccess = null;
          lastHsmError = e.getClass().getSimpleName() + ": " + e.getMessage();
          LOG.error("HSM test signature failed", e);
        });
  }

  /** Returns the health document; {@code status} is UP only when every check passes. */
  public Future<JsonObject> status() {
    Future<Void> hsm = System.currentTimeMillis() - lastHsmProbeMillis > HSM_PROBE_INTERVAL_MILLIS
        ? probeHsm().recover(e -> Future.succeededFuture())
        : Future.succeededFuture();
    Future<String> database = pool.query("SELECT 1").execute()
        .map(rows -> (String) null)
        .recover(e -> Future.succeededFuture(e.getClass().getSimpleName() + ": " + e.getMessage()));
    return hsm.compose(done -> database).map(databaseError -> {
      boolean hsmUp = lastHsmSuccess != null;
      boolean databaseUp = databaseError == null;
      return new JsonObject()
          .put("status", hsmUp && databaseUp ? "UP" : "DOWN")
          .put("hsm", new JsonObject()
              .put("status", hsmUp ? "UP" : "DOWN")
              .put("lastTestSignature", hsmUp ? lastHsmSuccess.toString() : null)
              .put("error", lastHsmError))
          .put("database", new JsonObject()
              .put("status", databaseUp ? "UP" : "DOWN")
              .put("error", databaseError));
    });
  }
}
