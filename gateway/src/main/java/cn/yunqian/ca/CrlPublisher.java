package cn.yunqian.ca;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.bouncycastle.cert.X509CRLHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the internal CA's current CRL. A new CRL is signed in the HSM after every revocation
 * and whenever half of the current one's validity has passed, so a relying party never fetches
 * a CRL past its nextUpdate while the gateway runs.
 */
public final class CrlPublisher {

  /** Path under the public base URL where the CRL is served. */
  public static final String PATH = "/crl/yunqian-ca.crl";

  private static final Logger LOG = LoggerFactory.getLogger(CrlPublisher.class);

  private final CertificateAuthority ca;
  private final CertificateRepository certificates;
  private final WorkerExecutor workers;
  private final Clock clock;
  private final Duration validity;
  private final Object lock = new Object();
  private Future<Published> latest = Future.succeededFuture(null);
  private long lastCrlNumber;

  /**
   * @param validity time from thisUpdate to nextUpdate of each CRL
   */
  public CrlPublisher(CertificateAuthority ca, CertificateRepository certificates,
      WorkerExecutor workers, Clock clock, Duration validity) {
    this.ca = ca;
    this.certificates = certificates;
    this.workers = workers;
    this.clock = clock;
    this.validity = validity;
  }

  /** The DER of a published CRL and when it should be replaced. */
  public record Published(byte[] der, Instant thisUpdate, Instant nextUpdate, int entries) {
  }

  /**
   * Signs a new CRL from the revoked rows of the database. Calls run one after another, so the
   * CRL that stays published is built from the newest data.
   */
  public Future<Published> regenerate() {
    synchronized (lock) {
      latest = latest.transform(ignored -> build());
      return latest;
    }
  }

  /**
   * Returns the current CRL. Signs a new one first when there is none, the last signing failed,
   * or half of the current one's validity has passed.
   */
  public Future<Published> current() {
    Future<Published> known;
    synchronized (lock) {
      known = latest;
    }
    return known.transform(result -> {
      Published published = result.succeeded() ? result.result() : null;
      if (published == null || isStale(published)) {
        return regenerate();
      }
      return Future.succeededFuture(published);
    });
  }

  /** Checks every {@code period} whether a new CRL is due; returns the timer id. */
  public long start(Vertx vertx, Duration period) {
    return vertx.setPeriodic(period.toMillis(), id -> current()
        .onFailure(e -> LOG.error("Failed to renew the CRL", e)));
  }

  private boolean isStale(Published published) {
    Instant renewAt = published.thisUpdate().plus(validity.dividedBy(2));
    return !clock.instant().isBefore(renewAt);
  }

  private Future<Published> build() {
    String issuer = ca.certificate().getSubject().toString();
    // Ordered, so that a CRL built from an older revocation list never replaces a newer one.
    return certificates.revokedBy(issuer).compose(revoked -> workers.executeBlocking(() -> {
      Instant thisUpdate = clock.instant().truncatedTo(ChronoUnit.SECONDS);
      Instant nextUpdate = thisUpdate.plus(validity);
      X509CRLHolder crl = ca.generateCrl(revoked, thisUpdate, nextUpdate, nextCrlNumber());
      LOG.info("Signed CRL with {} revoked certificates, next update {}", revoked.size(),
          nextUpdate);
      return new Published(encode(crl), thisUpdate, nextUpdate, revoked.size());
    }, true));
  }

  /** Returns the epoch milliseconds, or one more than the last number if the clock lags. */
  private BigInteger nextCrlNumber() {
    synchronized (lock) {
      lastCrlNumber = Math.max(lastCrlNumber + 1, clock.millis());
      return BigInteger.valueOf(lastCrlNumber);
    }
  }

  private static byte[] encode(X509CRLHolder crl) {
    try {
      return crl.getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException("failed to encode the CRL", e);
    }
  }
}
