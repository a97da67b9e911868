package cn.yunqian.ca;

import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.enrolment.sms.SmsTemplate;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns about current certificates that end within the warning window: once per certificate
 * and window length it records a CERTIFICATE_EXPIRING audit event and sends the signer an SMS
 * when an SMS sender and the signer's mobile number are known.
 */
public final class CertificateExpiryWatch {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateExpiryWatch.class);

  private final CertificateRepository certificates;
  private final Duration window;
  private final Clock clock;
  private final Optional<SmsSender> sms;
  private final Function<UUID, Future<Optional<String>>> mobiles;

  /**
   * @param window how long before notAfter a certificate is reported
   * @param sms the SMS sender, or empty when none is configured
   * @param mobiles returns a signer's mobile number, or empty when none is stored
   */
  public CertificateExpiryWatch(CertificateRepository certificates, Duration window,
      Clock clock, Optional<SmsSender> sms, Function<UUID, Future<Optional<String>>> mobiles) {
    this.certificates = certificates;
    this.window = window;
    this.clock = clock;
    this.sms = sms;
    this.mobiles = mobiles;
  }

  /** Runs {@link #check()} now and then every {@code period}; returns the timer id. */
  public long start(Vertx vertx, Duration period) {
    check().onFailure(e -> LOG.error("Certificate expiry check failed", e));
    return vertx.setPeriodic(period.toMillis(), id -> check()
        .onFailure(e -> LOG.error("Certificate expiry check failed", e)));
  }

  /** Lists current certificates that end within the window, soonest first. */
  public Future<List<CertificateRecord>> expiring() {
    Instant now = clock.instant();
    return certificates.currentExpiringBetween(now, now.plus(window));
  }

  /**
   * Warns about every certificate in the window that has not been warned about for this window
   * length. Returns the number of new warnings.
   */
  public Future<Integer> check() {
    return expiring().compose(found -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (CertificateRecord certificate : found) {
        chain = chain.compose(count -> warnOnce(certificate)
            .map(warned -> warned ? count + 1 : count));
      }
      return chain;
    });
  }

  private Future<Boolean> warnOnce(CertificateRecord certificate) {
    int windowDays = (int) window.toDays();
    long daysLeft = ChronoUnit.DAYS.between(clock.instant(), certificate.notAfter());
    JsonObject details = new JsonObject()
        .put("serial", certificate.serial())
        .put("notAfter", certificate.notAfter().toString())
        .put("windowDays", windowDays);
    return certificates.pool().withTransaction(conn -> conn.preparedQuery(
                "INSERT INTO certificate_expiry_warnings (certificate_id, window_days)"
                    + " VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .execute(Tuple.of(certificate.id(), windowDays))
            .compose(rows -> rows.rowCount() == 0
                ? Future.succeededFuture(false)
                : AuditLog.append(conn, AuditEvent.success("system", "CERTIFICATE_EXPIRING",
                    certificate.signerId(), details)).map(true)))
        .compose(warned -> warned
            ? notifySigner(certificate, daysLeft).map(true)
            : Future.succeededFuture(false));
  }

  private Future<Void> notifySigner(CertificateRecord certificate, long daysLeft) {
    if (sms.isEmpty()) {
      LOG.info("No SMS sender configured; not texting signer {} about certificate {} ending {}",
          certificate.signerId(), certificate.serial(), certificate.notAfter());
      return Future.succeededFuture();
    }
    return mobiles.apply(certificate.signerId()).compose(mobile -> {
      if (mobile.isEmpty()) {
        LOG.info("Signer {} has no mobile number; not texting about certificate {}",
            certificate.signerId(), certificate.serial());
        return Future.succeededFuture();
      }
      Map<String, String> parameters = Map.of(
          "event", "CERTIFICATE_EXPIRING",
          "notAfter", certificate.notAfter().truncatedTo(ChronoUnit.DAYS).toString(),
          "daysLeft", Long.toString(daysLeft));
      // An SMS failure is logged, not retried: the warning is recorded and officers see it.
      return sms.get().send(mobile.get(), SmsTemplate.SECURITY_NOTICE, parameters)
          .recover(e -> {
            LOG.warn("Failed to text signer {} about certificate {}", certificate.signerId(),
                certificate.serial(), e);
            return Future.succeededFuture();
          });
    });
  }
}
