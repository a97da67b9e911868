package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SigningHandle;
import cn.yunqian.pin.PinPolicy;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes PKCS#10 certificate requests with a signer's HSM key, for an officer to send to a
 * licensed CA. Signing the request needs the signer's PIN, so a wrong PIN counts as a try
 * exactly as it does when signing a document.
 */
public final class CertificateRequests {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateRequests.class);

  private final SignerRepository signers;
  private final CertificateRepository certificates;
  private final KeyCustody custody;
  private final SignerKeys keys;
  private final WorkerExecutor workers;

  public CertificateRequests(SignerRepository signers, CertificateRepository certificates,
      KeyCustody custody, SignerKeys keys, WorkerExecutor workers) {
    this.signers = signers;
    this.certificates = certificates;
    this.custody = custody;
    this.keys = keys;
    this.workers = workers;
  }

  /**
   * Signs a request for the signer's key with the subject of the signer's current certificate
   * and stores it. Clears {@code pin}. Fails with SIGNER_NOT_FOUND, SIGNER_NOT_ACTIVE,
   * PIN_FORMAT_INVALID, PIN_INCORRECT, PIN_LOCKED or HSM_UNAVAILABLE.
   *
   * @return the DER of the request
   */
  public Future<byte[]> create(UUID signerId, char[] pin, String actor) {
    return signers.findById(signerId)
        .compose(found -> {
          Signer signer = found.orElseThrow(() -> new GatewayException(
              ErrorCode.SIGNER_NOT_FOUND, "No signer with id " + signerId));
          if (signer.certificate() == null) {
            throw new GatewayException(ErrorCode.SIGNER_NOT_ACTIVE, "Signer " + signerId
                + " has no certificate to take the subject name from");
          }
          PinPolicy.requireWellFormed(pin);
          return signers.reservePinAttempt(signerId)
              .compose(used -> used.isEmpty()
                  ? Future.failedFuture(locked())
                  : keys.custodyKey(signerId).compose(key -> signRequest(signer,
                      key.orElseThrow(), pin, used.get(), actor)));
        })
        .compose(der -> {
          JsonObject details = new JsonObject().put("requestBytes", der.length);
          return signers.pool()
              .withTransaction(conn -> CertificateRepository.insertRequest(conn, signerId, der)
                  .compose(done -> AuditLog.append(conn, AuditEvent.success(actor,
                      "CERTIFICATE_REQUEST_CREATED", signerId, details))))
              .map(der);
        })
        .onComplete(done -> Arrays.fill(pin, '\0'));
  }

  /** Returns the signer's newest request as PEM. Fails with CERTIFICATE_REQUEST_NOT_FOUND. */
  public Future<String> latestPem(UUID signerId) {
    return certificates.latestRequest(signerId).map(found -> toPem(found.orElseThrow(() ->
        new GatewayException(ErrorCode.CERTIFICATE_REQUEST_NOT_FOUND, "Signer " + signerId
            + " has no certificate request; create one with POST .../csr first"))));
  }

  /** Encodes a PKCS#10 request as PEM (RFC 7468, label CERTIFICATE REQUEST). */
  public static String toPem(byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der);
    return "-----BEGIN CERTIFICATE REQUEST-----\n" + body
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  private Future<byte[]> signRequest(Signer signer, CustodyKey key, char[] pin, int triesUsed,
      String actor) {
    AtomicBoolean pinAccepted = new AtomicBoolean();
    return workers.executeBlocking(() -> {
      X509CertificateHolder current = new X509CertificateHolder(signer.certificate());
      try (SigningHandle handle = custody.openForSigning(key, pin)) {
        pinAccepted.set(true);
        PKCS10CertificationRequest request = new PKCS10CertificationRequestBuilder(
            current.getSubject(), handle.key().publicKeyInfo()).build(handle.contentSigner());
        return encode(request);
      }
    }, false).transform(result -> {
      if (pinAccepted.get()) {
        return SignerRepository.resetPinAttempts(signers.pool(), signer.id())
            .transform(ignored -> result.succeeded()
                ? Future.succeededFuture(result.result())
                : Future.failedFuture(result.cause()));
      }
      if (result.cause() instanceof GatewayException e && e.code() == ErrorCode.PIN_INCORRECT) {
        return rejectPin(signer, triesUsed, actor);
      }
      return Future.failedFuture(result.cause());
    });
  }

  private Future<byte[]> rejectPin(Signer signer, int triesUsed, String actor) {
    int left = Signer.MAX_PIN_ATTEMPTS - triesUsed;
    LOG.warn("PIN rejected by the HSM for a certificate request: signer='{}' attemptsLeft={}",
        signer.id(), left);
    JsonObject details = new JsonObject()
        .put("attemptsLeft", left)
        .put("purpose", "certificate-request");
    Future<Void> recorded = new AuditLog(signers.pool()).record(new AuditEvent(actor,
        "PIN_REJECTED", signer.id(), ErrorCode.PIN_INCORRECT.name(), details));
    if (left > 0) {
      return recorded.compose(done -> Future.failedFuture(new GatewayException(
          ErrorCode.PIN_INCORRECT, "Wrong PIN; " + left + " tries left before the signer is"
              + " locked")));
    }
    return recorded
        .compose(done -> signers.markLocked(signer.id()))
        .compose(done -> Future.failedFuture(locked()));
  }

  private static GatewayException locked() {
    return new GatewayException(ErrorCode.PIN_LOCKED, "The signer is locked after "
        + Signer.MAX_PIN_ATTEMPTS + " wrong PINs in a row; a security officer must unlock it");
  }

  private static byte[] encode(PKCS10CertificationRequest request) {
    try {
      return request.getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException("failed to encode the certificate request", e);
    }
  }
}
