package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.signing.DssAppender;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Decides whether a signer's certificate may sign now, and returns the chain to embed. A
 * certificate may sign while it is within its validity period and not revoked.
 */
public final class SigningCertificates {

  private final CertificateRepository certificates;
  private final CertificateAuthority ca;
  private final CrlPublisher crl;
  private final boolean longTerm;
  private final WorkerExecutor workers;
  private final Clock clock;

  /**
   * @param padesLevel {@code B-B}, or {@code B-LT} to append validation data to signed PDFs
   */
  public SigningCertificates(CertificateRepository certificates, CertificateAuthority ca,
      CrlPublisher crl, String padesLevel, WorkerExecutor workers, Clock clock) {
    this.certificates = certificates;
    this.ca = ca;
    this.crl = crl;
    this.longTerm = "B-LT".equals(padesLevel);
    this.workers = workers;
    this.clock = clock;
  }

  /**
   * Appends a /DSS with the chain and the internal CA's current CRL when the PAdES level is
   * B-LT, and returns the PDF unchanged for B-B. NOTE: for a chain from an outside CA no CRL is
   * added, because the gateway does not fetch other CAs' CRLs.
   */
  public Future<byte[]> addValidationData(byte[] signedPdf, List<X509CertificateHolder> chain) {
    if (!longTerm) {
      return Future.succeededFuture(signedPdf);
    }
    boolean internal = chain.get(chain.size() - 1).equals(ca.certificate());
    Future<List<byte[]>> crls = internal
        ? crl.current().map(published -> List.of(published.der()))
        : Future.succeededFuture(List.of());
    return crls.compose(revocationData -> workers.executeBlocking(() -> {
      List<byte[]> encoded = new ArrayList<>();
      for (X509CertificateHolder certificate : chain) {
        encoded.add(certificate.getEncoded());
      }
      return DssAppender.append(signedPdf, encoded, revocationData);
    }, false));
  }

  /**
   * Returns the signing chain, leaf first, for the certificate stored on the signer.
   * Fails with CERTIFICATE_NOT_VALID when the certificate is revoked, expired or not yet valid.
   */
  public Future<List<X509CertificateHolder>> requireUsable(UUID signerId, byte[] certificateDer) {
    X509CertificateHolder certificate;
    try {
      certificate = new X509CertificateHolder(certificateDer);
    } catch (IOException e) {
      return Future.failedFuture(new UncheckedIOException(
          "stored certificate of signer " + signerId + " is not valid DER", e));
    }
    Instant now = clock.instant();
    if (now.isAfter(certificate.getNotAfter().toInstant())) {
      return Future.failedFuture(new GatewayException(ErrorCode.CERTIFICATE_NOT_VALID,
          "The signer's certificate expired on " + certificate.getNotAfter().toInstant()
              + "; a security officer must issue or import a new one"));
    }
    if (now.isBefore(certificate.getNotBefore().toInstant())) {
      return Future.failedFuture(new GatewayException(ErrorCode.CERTIFICATE_NOT_VALID,
          "The signer's certificate is not valid before "
              + certificate.getNotBefore().toInstant()));
    }
    return certificates.find(certificate).map(found -> {
      if (found.isPresent() && found.get().isRevoked()) {
        CertificateRecord record = found.get();
        throw new GatewayException(ErrorCode.CERTIFICATE_NOT_VALID,
            "The signer's certificate " + record.serial() + " was revoked on "
                + record.revokedAt() + " (reason " + record.revocationReason()
                + "); a security officer must issue or import a new one");
      }
      List<X509CertificateHolder> chain = new ArrayList<>();
      chain.add(certificate);
      if (found.isPresent() && CertificateRecord.IMPORTED.equals(found.get().source())) {
        for (byte[] der : found.get().issuerChain()) {
          chain.add(parse(der));
        }
      } else {
        chain.add(ca.certificate());
      }
      return chain;
    });
  }

  private static X509CertificateHolder parse(byte[] der) {
    try {
      return new X509CertificateHolder(der);
    } catch (IOException e) {
      throw new UncheckedIOException("stored issuer certificate is not valid DER", e);
    }
  }
}
