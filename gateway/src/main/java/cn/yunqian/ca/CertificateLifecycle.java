package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.util.Set;
import java.util.UUID;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Officer actions on a signer's certificate: import one issued by a licensed CA, and revoke
 * the current one. Every change is written with its audit event in one transaction.
 */
public final class CertificateLifecycle {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateLifecycle.class);

  private final SignerRepository signers;
  private final CertificateRepository certificates;
  private final SignerTokens tokens;
  private final CrlPublisher crl;
  private final Set<TrustAnchor> trustAnchors;
  private final WorkerExecutor workers;
  private final Clock clock;

  public CertificateLifecycle(SignerRepository signers, CertificateRepository certificates,
      SignerTokens tokens, CrlPublisher crl, Set<TrustAnchor> trustAnchors,
      WorkerExecutor workers, Clock clock) {
    this.signers = signers;
    this.certificates = certificates;
    this.tokens = tokens;
    this.crl = crl;
    this.trustAnchors = Set.copyOf(trustAnchors);
    this.workers = workers;
    this.clock = clock;
  }

  /**
   * Checks a chain returned by an outside CA (see {@link CertificateImport#check}) and makes its
   * leaf the signer's current certificate; the previous one becomes SUPERSEDED. Fails with
   * SIGNER_NOT_FOUND or CERTIFICATE_REJECTED.
   */
  public Future<CertificateRecord> importChain(UUID signerId, byte[] encoded, String actor) {
    return requireSigner(signerId)
        .compose(signer -> workers.executeBlocking(() -> CertificateImport.check(encoded,
            signerPublicKey(signer), trustAnchors, clock.instant()), false))
        .compose(checked -> certificates.find(checked.leaf()).compose(existing -> {
          if (existing.isPresent()) {
            return Future.failedFuture(new GatewayException(ErrorCode.CERTIFICATE_REJECTED,
                "Certificate " + existing.get().serial() + " of " + existing.get().issuer()
                    + " was already imported, with status " + existing.get().status()));
          }
          return storeImported(signerId, checked, actor);
        }));
  }

  /**
   * Revokes the signer's current certificate, so the gateway no longer signs with it, and
   * publishes a new CRL when the internal CA issued it. Fails with SIGNER_NOT_FOUND or
   * CERTIFICATE_NOT_VALID when the signer has no current certificate.
   */
  public Future<CertificateRecord> revoke(UUID signerId, RevocationReason reason, String actor) {
    return requireSigner(signerId)
        .compose(signer -> signers.pool().withTransaction(conn ->
            CertificateRepository.revokeCurrent(conn, signerId, reason, clock.instant())
                .compose(revoked -> {
                  if (revoked.isEmpty()) {
                    return Future.failedFuture(new GatewayException(
                        ErrorCode.CERTIFICATE_NOT_VALID,
                        "Signer " + signerId + " has no current certificate to revoke"));
                  }
                  JsonObject details = new JsonObject()
                      .put("serial", revoked.get().serial())
                      .put("issuer", revoked.get().issuer())
                      .put("reason", reason.name());
                  return AuditLog.append(conn, AuditEvent.success(actor,
                          "CERTIFICATE_REVOKED", signerId, details))
                      .map(revoked.get());
                })))
        .compose(revoked -> publishIfInternal(revoked).map(revoked));
  }

  /**
   * Signs a new CRL if the internal CA issued {@code certificate}. A signing failure is logged
   * and not returned, because the revocation is already stored and the gateway already rejects
   * the certificate. The next CRL request signs the CRL again.
   */
  public Future<Void> publishIfInternal(CertificateRecord certificate) {
    if (!CertificateRecord.INTERNAL_CA.equals(certificate.source())) {
      LOG.info("Revoked imported certificate {}; its CA publishes its own revocation status",
          certificate.serial());
      return Future.succeededFuture();
    }
    return crl.regenerate()
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.error("Failed to sign a CRL after revoking certificate {} of signer {}",
              certificate.serial(), certificate.signerId(), e);
          return Future.succeededFuture();
        });
  }

  private Future<CertificateRecord> storeImported(UUID signerId, CertificateImport.Checked checked,
      String actor) {
    byte[] der = CertificateRepository.encode(checked.leaf());
    JsonObject details = new JsonObject()
        .put("serial", CertificateRecord.serialHex(checked.leaf().getSerialNumber()))
        .put("issuer", CertificateRecord.issuerOf(checked.leaf()))
        .put("notAfter", checked.leaf().getNotAfter().toInstant().toString());
    return signers.pool().withTransaction(conn ->
        CertificateRepository.supersedeCurrent(conn, signerId)
            .compose(done -> CertificateRepository.insertCurrent(conn, signerId, checked.leaf(),
                CertificateRecord.IMPORTED, checked.issuerChain()))
            .compose(record -> CertificateRepository.replaceSignerCertificate(conn, signerId,
                    der)
                .compose(updated -> AuditLog.append(conn, AuditEvent.success(actor,
                    "CERTIFICATE_IMPORTED", signerId, details)))
                .map(record)));
  }

  private Future<Signer> requireSigner(UUID signerId) {
    return signers.findById(signerId).map(found -> found.orElseThrow(() ->
        new GatewayException(ErrorCode.SIGNER_NOT_FOUND, "No signer with id " + signerId)));
  }

  /**
   * Returns the public key an imported certificate must carry: read from the signer's token in
   * token-per-signer custody, else (wrapped-key custody, where no token holds it) taken from
   * the current certificate, which the gateway issued for the key made in the HSM.
   */
  private SubjectPublicKeyInfo signerPublicKey(Signer signer) throws java.io.IOException {
    if (tokens.exists(signer.tokenLabel())) {
      return tokens.readPublicKey(signer.tokenLabel()).publicKeyInfo();
    }
    return new X509CertificateHolder(signer.certificate()).getSubjectPublicKeyInfo();
  }
}
