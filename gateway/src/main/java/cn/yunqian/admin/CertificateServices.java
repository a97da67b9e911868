package cn.yunqian.admin;

import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateExpiryWatch;
import cn.yunqian.ca.CertificateLifecycle;
import cn.yunqian.ca.CertificateRepository;
import cn.yunqian.ca.CertificateRequests;
import cn.yunqian.ca.CertificateSettings;
import cn.yunqian.ca.CrlPublisher;
import cn.yunqian.ca.SigningCertificates;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.pin.PinResetApprovals;
import cn.yunqian.pin.Rekeying;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerMobiles;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** The certificate lifecycle services, built together because they share the CRL and CA. */
public record CertificateServices(
    CertificateSettings settings,
    CertificateRepository certificates,
    SigningCertificates signing,
    CertificateRequests requests,
    CertificateLifecycle lifecycle,
    CrlPublisher crl,
    CertificateExpiryWatch expiry,
    Rekeying rekeying,
    PinResetApprovals resetApprovals,
    NamedOfficerAuth namedOfficers) {

  /**
   * Builds the services. {@code ca} should already carry the CRL distribution point of
   * {@code settings}, see {@link CertificateAuthority#withCrlDistributionPoint}.
   *
   * @param custody the key custody that re-keying makes new keys in
   * @param keys the signers' key references, for certificate requests
   * @param mobiles the signers' mobile numbers, for expiry warnings
   * @param sms the SMS sender for expiry warnings, or empty when none is configured
   */
  public static CertificateServices create(SignerRepository signers, SignerTokens tokens,
      KeyCustody custody, SignerKeys keys, SignerMobiles mobiles, CertificateAuthority ca,
      WorkerExecutor workers, CertificateSettings settings, Optional<SmsSender> sms,
      Clock clock) {
    CertificateRepository certificates = new CertificateRepository(signers.pool());
    CrlPublisher crl = new CrlPublisher(ca, certificates, workers, clock,
        settings.crlValidity());
    CertificateLifecycle lifecycle = new CertificateLifecycle(signers, certificates, tokens, crl,
        settings.loadTrustAnchors(), workers, clock);
    CertificateExpiryWatch expiry = new CertificateExpiryWatch(certificates,
        settings.expiryWindow(), clock, sms, mobiles::find);
    return new CertificateServices(settings, certificates,
        new SigningCertificates(certificates, ca, crl, settings.padesLevel(), workers, clock),
        new CertificateRequests(signers, certificates, custody, keys, workers),
        lifecycle, crl, expiry,
        new Rekeying(signers, custody, ca, lifecycle, workers, clock),
        new PinResetApprovals(signers.pool(), clock),
        NamedOfficerAuth.load(settings.officerTokensDir()));
  }

  /**
   * Adds table rows for certificates issued before the certificates table existed, then signs
   * the first CRL and starts the CRL renewal and expiry timers.
   */
  public Future<Void> start(Vertx vertx) {
    Duration crlCheck = settings.crlValidity().dividedBy(8);
    return certificates.backfill()
        .compose(added -> crl.regenerate())
        .onSuccess(published -> {
          crl.start(vertx, crlCheck);
          expiry.start(vertx, settings.expiryCheckInterval());
        })
        .mapEmpty();
  }
}
