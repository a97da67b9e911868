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
import cn.yunqian.pin.PinTries;
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
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Signs a PDF for one signer: checks the PDF, counts the PIN try, lets the HSM check the PIN
 * through the key custody, adds the visible PAdES signature and records the outcome.
 *
 * <p>The PDF is checked before the PIN is tried, so a file that would be rejected never uses
 * up one of the signer's tries; {@link PinTries} counts the try itself.
 */
public final class SigningService {

  private static final String SIGNATURE_IMAGE_PURPOSE = "signature-image";

  private final SignerRepository signers;
  private final KeyCustody custody;
  private final SignerKeys keys;
  private final SigningCertificates certificates;
  private final PinTries pinTries;
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
    this.pinTries = new PinTries(signers);
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
    Instant signingTime = Instant.now();
    return pinTries.attempt(signer, request.actor(), "document-signature", pinAccepted ->
        signers.encryptedSignatureImage(signer.id())
            .compose(image -> keys.custodyKey(signer.id())
                .compose(key -> signInHsm(request, signer, checked, chain, image,
                    key.orElseThrow(), signingTime, pinAccepted)))
            .compose(signed -> certificates.addValidationData(signed, chain)))
        .compose(signed -> recordSuccess(request, signer, signed, signingTime));
  }

  private Future<byte[]> signInHsm(SigningRequest request, Signer signer, CheckedPdf checked,
      List<X509CertificateHolder> chain, byte[] storedImage, CustodyKey custodyKey,
      Instant signingTime, Runnable pinAccepted) {
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
          pinAccepted.run();
          return handle.get().contentSigner();
        }, chain);
      } finally {
        if (handle.get() != null) {
          handle.get().close();
        }
      }
    }, false);
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
        .withTransaction(conn -> SignerRepository.insertSignature(conn, record)
            .compose(done -> AuditLog.append(conn, new AuditEvent(request.actor(),
                "DOCUMENT_SIGNED", signer.id(), "SUCCESS", details))))
        .map(done -> new SignedDocument(signatureId, signed));
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
