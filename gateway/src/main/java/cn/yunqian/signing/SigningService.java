package cn.yunqian.signing;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.ca.SigningCertificates;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SigningHandle;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.hsm.TokenPerSignerCustody;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.pin.PinPolicy;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerKeys;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs a PDF for one signer: checks the PDF, counts the PIN try, lets the HSM check the PIN
 * through the key custody, adds the visible PAdES signature and records the outcome.
 *
 * <p>The PDF is checked before the PIN is tried, so a file that would be rejected never uses
 * up one of the signer's tries. A try is counted before the HSM sees the PIN and the count is
 * reset once the HSM accepts it, so concurrent requests cannot exceed the limit.
 */
public final class SigningService {

  private static final Logger LOG = LoggerFactory.getLogger(SigningService.class);
  private static final String SIGNATURE_IMAGE_PURPOSE = "signature-image";

  private final SignerRepository signers;
  private final KeyCustody custody;
  private final SignerKeys keys;
  private final SigningCertificates certificates;
  private final PersonalDataCipher cipher;
  private final WorkerExecutor workers;
  private final long maxPdfBytes;
  private final Timer signTimer;

  /** Signs with keys in one token per signer. */
  public SigningService(SignerRepository signers, SignerTokens tokens,
      SigningCertificates certificates, PersonalDataCipher cipher, WorkerExecutor workers,
      long maxPdfBytes, MeterRegistry registry) {
    this(signers, new TokenPerSignerCustody(tokens), certificates, cipher, workers, maxPdfBytes,
        registry);
  }

  public SigningService(SignerRepository signers, KeyCustody custody,
      SigningCertificates certificates, PersonalDataCipher cipher, WorkerExecutor workers,
      long maxPdfBytes, MeterRegistry registry) {
    this.signers = signers;
    this.custody = custody;
    this.keys = new SignerKeys(signers.pool(), cipher);
    this.certificates = certificates;
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
   * placement codes, SIGNER_NOT_FOUND, SIGNER_NOT_ACTIVE, CERTIFICATE_NOT_VALID (revoked or
   * expired, checked before a PIN try is counted), PIN_FORMAT_INVALID, PIN_INCORRECT,
   * PIN_LOCKED or HSM_UNAVAILABLE.
   */
  public Future<SignedDocument> sign(SigningRequest request) {
    long started = System.nanoTime();
    return workers.executeBlocking(() -> PdfDocumentCheck.check(request.pdf(),
            request.pdfPassword(), maxPdfBytes), false)
        .compose(checked -> loadActiveSigner(request.signerId())
            .compose(signer -> certificates.requireUsable(signer.id(), signer.certificate())
                .compose(chain -> signWithPin(request, signer, checked, chain))))
        .onComplete(result -> {
          Arrays.fill(request.pin(), '\0');
          signTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
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
      CheckedPdf checked, List<X509CertificateHolder> chain) {
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
              .compose(stored -> keys.custodyKey(signer.id())
                  .map(key -> new StoredKey(stored, key.orElseThrow())))
              .recover(e -> signers.releasePinAttempt(signer.id())
                  .transform(ignored -> Future.failedFuture(e)))
              .compose(stored -> signInHsm(request, signer, checked, chain, stored.image(),
                  stored.key(), used.get()));
        });
  }

  /** The signer's encrypted signature image and key reference, read before the HSM call. */
  private record StoredKey(byte[] image, CustodyKey key) {
  }

  private Future<SignedDocument> signInHsm(SigningRequest request, Signer signer,
      CheckedPdf checked, List<X509CertificateHolder> chain, byte[] storedImage,
      CustodyKey custodyKey, int triesUsed) {
    AtomicBoolean pinAccepted = new AtomicBoolean();
    Instant signingTime = Instant.now();
    return workers.executeBlocking(() -> {
      byte[] image = cipher.decrypt(storedImage, SIGNATURE_IMAGE_PURPOSE, signer.id().toString());
      SignatureSpec spec = new SignatureSpec(request.placement(), image, signer.displayName(),
          signingTime, null, null);
      AtomicReference<SigningHandle> handle = new AtomicReference<>();
      try {
        // The token is opened only once the placement and appearance are ready, so a file
        // that fails there costs no PIN try and the key is unlocked for the CMS step alone.
        return PadesSigner.sign(checked, spec, () -> {
          handle.set(custody.openForSigning(custodyKey, request.pin()));
          pinAccepted.set(true);
          return handle.get().contentSigner();
        }, chain);
      } finally {
        if (handle.get() != null) {
          handle.get().close();
        }
      }
    }, false).transform(result -> {
      if (result.succeeded()) {
        return certificates.addValidationData(result.result(), chain)
            .recover(e -> resetAttempts(signer).transform(ignored -> Future.failedFuture(e)))
            .compose(signed -> recordSuccess(request, signer, signed, signingTime));
      }
      Throwable failure = result.cause();
      if (pinAccepted.get()) {
        return resetAttempts(signer).transform(ignored -> Future.failedFuture(failure));
      }
      if (failure instanceof GatewayException e && e.code() == ErrorCode.PIN_INCORRECT) {
        return rejectPin(request, signer, triesUsed);
      }
      // The HSM never saw the PIN: give the reserved try back.
      return signers.releasePinAttempt(signer.id())
          .transform(ignored -> Future.failedFuture(failure));
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
