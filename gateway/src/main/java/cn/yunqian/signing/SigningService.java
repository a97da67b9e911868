package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.hsm.SigningHandle;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.pin.PinPolicy;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs a PDF for one signer: checks the PDF, counts the PIN try, lets the signer's HSM token
 * check the PIN, adds the visible PAdES signature and records the outcome.
 *
 * <p>The PDF is checked before the PIN is tried, so a file that would be rejected never uses
 * up one of the signer's tries. A try is counted before the HSM sees the PIN and the count is
 * reset once the HSM accepts it, so concurrent requests cannot exceed the limit.
 */
public final class SigningService {

  private static final Logger LOG = LoggerFactory.getLogger(SigningService.class);
  private static final String SIGNATURE_IMAGE_PURPOSE = "signature-image";

  private final SignerRepository signers;
  private final SignerTokens tokens;
  private final CertificateAuthority ca;
  private final PersonalDataCipher cipher;
  private final WorkerExecutor workers;
  private final long maxPdfBytes;
  private final Timer signTimer;

  public SigningService(SignerRepository signers, SignerTokens tokens, CertificateAuthority ca,
      PersonalDataCipher cipher, WorkerExecutor workers, long maxPdfBytes,
      MeterRegistry registry) {
    this.signers = signers;
    this.tokens = tokens;
    this.ca = ca;
    this.cipher = cipher;
    this.workers = workers;
    this.maxPdfBytes = maxPdfBytes;
    this.signTimer = Timer.builder("yunqian.signatures")
        .description("PDF signatures made, from PDF check to signed bytes")
        .publishPercentiles(0.5, 0.95, 0.99)
        .register(registry);
  }

  /**
   * Signs the document. PDF and HSM work runs on the worker pool, never on the event loop.
   * Fails with a {@link GatewayException}: the PDF_* codes, KEYWORD_NOT_FOUND and the other
   * placement codes, SIGNER_NOT_FOUND, SIGNER_NOT_ACTIVE, PIN_FORMAT_INVALID, PIN_INCORRECT,
   * PIN_LOCKED or HSM_UNAVAILABLE.
   */
  public Future<SignedDocument> sign(SigningRequest request) {
    long started = System.nanoTime();
    return workers.executeBlocking(() -> PdfDocumentCheck.check(request.pdf(),
            request.pdfPassword(), maxPdfBytes))
        .compose(checked -> loadActiveSigner(request.signerId())
            .compose(signer -> signWithPin(request, signer, checked)))
        .onComplete(result -> {
          Arrays.fill(request.pin(), '\0');
          signTimer.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        });
  }

  private Future<Signer> loadActiveSigner(UUID signerId) {
    return signers.findById(signerId).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(new GatewayException(ErrorCode.SIGNER_NOT_FOUND,
            "No signer with id " + signerId));
      }
      Signer signer = found.get();
      if (!signer.isActive()) {
        return Future.failedFuture(new GatewayException(ErrorCode.SIGNER_NOT_ACTIVE,
            "Signer " + signerId + " cannot sign: status " + signer.status()));
      }
      return Future.succeededFuture(signer);
    });
  }

  private Future<SignedDocument> signWithPin(SigningRequest request, Signer signer,
      CheckedPdf checked) {
    PinPolicy.requireWellFormed(request.pin());
    return signers.reservePinAttempt(signer.id())
        .compose(used -> {
          if (used.isEmpty()) {
            return audit(request, signer, "PIN_LOCKED", new JsonObject())
                .compose(done -> Future.failedFuture(new GatewayException(ErrorCode.PIN_LOCKED,
                    "The signer is locked after " + Signer.MAX_PIN_ATTEMPTS
                        + " wrong PINs in a row; a security officer must unlock it")));
          }
          return signers.encryptedSignatureImage(signer.id())
              .compose(stored -> signInHsm(request, signer, checked, stored, used.get()));
        });
  }

  private Future<SignedDocument> signInHsm(SigningRequest request, Signer signer,
      CheckedPdf checked, byte[] storedImage, int triesUsed) {
    AtomicBoolean pinAccepted = new AtomicBoolean();
    Instant signingTime = Instant.now();
    return workers.executeBlocking(() -> {
      byte[] image = cipher.decrypt(storedImage, SIGNATURE_IMAGE_PURPOSE, signer.id().toString());
      X509CertificateHolder certificate = new X509CertificateHolder(signer.certificate());
      List<X509CertificateHolder> chain = List.of(certificate, ca.certificate());
      SignatureSpec spec = new SignatureSpec(request.placement(), image, signer.displayName(),
          signingTime, null, null);
      try (SigningHandle key = tokens.openForSigning(signer.tokenLabel(), request.pin())) {
        pinAccepted.set(true);
        return PadesSigner.sign(checked, spec, key.contentSigner(), chain);
      }
    }).transform(result -> {
      if (result.succeeded()) {
        return recordSuccess(request, signer, result.result(), signingTime);
      }
      Throwable failure = result.cause();
      if (pinAccepted.get()) {
        return resetAttempts(signer).transform(ignored -> Future.failedFuture(failure));
      }
      if (failure instanceof GatewayException e && e.code() == ErrorCode.PIN_INCORRECT) {
        return rejectPin(request, signer, triesUsed);
      }
      return Future.failedFuture(failure);
    });
  }

  private Future<SignedDocument> rejectPin(SigningRequest request, Signer signer, int triesUsed) {
    int left = Signer.MAX_PIN_ATTEMPTS - triesUsed;
    LOG.warn("PIN rejected by the HSM: signer='{}' attemptsLeft={}", signer.id(), left);
    JsonObject details = new JsonObject().put("attemptsLeft", left);
    Future<Void> recorded = audit(request, signer, "PIN_REJECTED", details);
    if (left > 0) {
      return recorded.compose(done -> Future.failedFuture(new GatewayException(
          ErrorCode.PIN_INCORRECT, "Wrong PIN; " + left + (left == 1 ? " try" : " tries")
              + " left before the signer is locked")));
    }
    return recorded
        .compose(done -> signers.markLocked(signer.id()))
        .compose(done -> audit(request, signer, "SIGNER_LOCKED", new JsonObject()))
        .compose(done -> Future.failedFuture(new GatewayException(ErrorCode.PIN_LOCKED,
            "Wrong PIN; the signer is now locked after " + Signer.MAX_PIN_ATTEMPTS
                + " wrong PINs in a row and a security officer must unlock it")));
  }

  private Future<SignedDocument> recordSuccess(SigningRequest request, Signer signer,
      byte[] signed, Instant signingTime) {
    UUID signatureId = UUID.randomUUID();
    SignerRepository.SignatureRecord record = new SignerRepository.SignatureRecord(signatureId,
        signer.id(), sha256(request.pdf()), sha256(signed),
        OffsetDateTime.ofInstant(signingTime, ZoneOffset.UTC));
    JsonObject details = new JsonObject()
        .put("signatureId", signatureId.toString())
        .put("inputBytes", request.pdf().length);
    return signers.pool()
        .withTransaction(conn -> SignerRepository.resetPinAttempts(conn, signer.id())
            .compose(done -> SignerRepository.insertSignature(conn, record))
            .compose(done -> AuditLog.append(conn, new AuditEvent(request.actor(),
                "DOCUMENT_SIGNED", signer.id(), "SUCCESS", details))))
        .map(done -> new SignedDocument(signatureId, signed));
  }

  private Future<Void> resetAttempts(Signer signer) {
    return SignerRepository.resetPinAttempts(signers.pool(), signer.id());
  }

  private Future<Void> audit(SigningRequest request, Signer signer, String action,
      JsonObject details) {
    String outcome = "PIN_REJECTED".equals(action) ? "PIN_INCORRECT" : action;
    return new AuditLog(signers.pool())
        .record(new AuditEvent(request.actor(), action, signer.id(), outcome, details));
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
