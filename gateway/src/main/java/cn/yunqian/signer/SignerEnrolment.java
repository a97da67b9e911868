package cn.yunqian.signer;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.SubjectSerialNumbers;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.SignerKey;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.pin.PinPolicy;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrols a signer in one step: checks the identity data, creates the signer's own HSM token
 * and key under the chosen PIN, has the internal CA certify the key and stores the signer.
 * Either all of it happens or none of it is kept: when the database write fails, the new key
 * is destroyed again.
 */
public final class SignerEnrolment {

  private static final Logger LOG = LoggerFactory.getLogger(SignerEnrolment.class);
  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(2 * 365);
  static final String SIGNATURE_IMAGE_PURPOSE = "signature-image";

  private final SignerRepository signers;
  private final SignerTokens tokens;
  private final CertificateAuthority ca;
  private final PersonalDataCipher cipher;
  private final byte[] idNumberKey;
  private final WorkerExecutor hsmWorkers;
  private final long maxImageBytes;

  public SignerEnrolment(SignerRepository signers, SignerTokens tokens, CertificateAuthority ca,
      PersonalDataCipher cipher, byte[] idNumberKey, WorkerExecutor hsmWorkers,
      long maxImageBytes) {
    this.signers = signers;
    this.tokens = tokens;
    this.ca = ca;
    this.cipher = cipher;
    this.idNumberKey = idNumberKey.clone();
    this.hsmWorkers = hsmWorkers;
    this.maxImageBytes = maxImageBytes;
  }

  /**
   * Enrols the signer. Key generation runs on the HSM worker pool.
   * Fails with NAME_INVALID, ID_NUMBER_INVALID, PIN_FORMAT_INVALID, PIN_TOO_WEAK,
   * IMAGE_INVALID, INVALID_REQUEST (already enrolled) or HSM_UNAVAILABLE.
   */
  public Future<Signer> enrol(EnrolmentRequest request) {
    Validated validated;
    try {
      validated = validate(request);
    } catch (GatewayException e) {
      Arrays.fill(request.pin(), '\0');
      return Future.failedFuture(e);
    }
    byte[] idHash = idNumberHash(validated.idNumber());
    return signers.existsWithIdNumberHash(idHash)
        .compose(exists -> {
          if (exists) {
            return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
                "A signer with this ID number is already enrolled"));
          }
          return hsmWorkers.executeBlocking(() -> createKeyAndCertificate(validated, request));
        })
        .compose(issued -> store(validated, request, idHash, issued))
        .onComplete(done -> Arrays.fill(request.pin(), '\0'));
  }

  private Validated validate(EnrolmentRequest request) {
    String name = SignerNames.normalise(request.name());
    ResidentIdNumber idNumber = ResidentIdNumber.parse(request.idNumber());
    PersonType personType = PersonType.parse(request.personType());
    PinPolicy.requireStrong(request.pin(), idNumber);
    byte[] image = SignatureImages.normalise(request.signatureImagePng(), maxImageBytes);
    KeyAlgorithm algorithm = request.keyAlgorithm() == null
        ? KeyAlgorithm.EC_P256 : request.keyAlgorithm();
    return new Validated(UUID.randomUUID(), name, idNumber, personType, image, algorithm);
  }

  private Issued createKeyAndCertificate(Validated validated, EnrolmentRequest request) {
    String tokenLabel = tokenLabel(validated.id());
    try {
      SignerKey key = tokens.create(tokenLabel, request.pin(), validated.algorithm());
      String subjectSerial = SubjectSerialNumbers.derive(validated.idNumber().value(),
          idNumberKey);
      X509CertificateHolder certificate = ca.issue(key.publicKeyInfo(), validated.name(),
          subjectSerial, CERTIFICATE_VALIDITY);
      return new Issued(tokenLabel, subjectSerial, certificate.getEncoded());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Future<Signer> store(Validated validated, EnrolmentRequest request, byte[] idHash,
      Issued issued) {
    SignerRepository.NewSigner row = new SignerRepository.NewSigner(
        validated.id(), validated.name(), validated.personType().name(), idHash,
        validated.idNumber().masked(), issued.subjectSerial(), issued.tokenLabel(),
        validated.algorithm().name(), issued.certificate(),
        cipher.encrypt(validated.image(), SIGNATURE_IMAGE_PURPOSE, validated.id().toString()));
    JsonObject details = new JsonObject()
        .put("tokenLabel", issued.tokenLabel())
        .put("keyAlgorithm", validated.algorithm().name())
        .put("idNumber", validated.idNumber().masked());
    return signers.pool()
        .withTransaction(conn -> SignerRepository.insert(conn, row)
            .compose(done -> AuditLog.append(conn, AuditEvent.success(request.actor(),
                "SIGNER_ENROLLED", validated.id(), details))))
        .recover(e -> discardKey(issued.tokenLabel(), request.pin(), e))
        .compose(done -> signers.findById(validated.id()))
        .map(found -> found.orElseThrow());
  }

  private <T> Future<T> discardKey(String tokenLabel, char[] pin, Throwable cause) {
    LOG.error("Storing a new signer failed; destroying the key on token '{}'", tokenLabel, cause);
    return hsmWorkers.executeBlocking(() -> {
      // NOTE: the emptied token itself stays, because its SO PIN was never kept.
      tokens.destroyKey(tokenLabel, pin);
      return null;
    }).transform(ignored -> Future.failedFuture(cause));
  }

  /** Derives the lookup hash of an ID number: HMAC-SHA256 under the deployment's key. */
  public byte[] idNumberHash(ResidentIdNumber idNumber) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(idNumberKey, "HmacSHA256"));
      return mac.doFinal(("id-lookup|" + idNumber.value()).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from the JDK", e);
    }
  }

  /** Names the signer's token; PKCS#11 token labels hold at most 32 characters. */
  static String tokenLabel(UUID signerId) {
    return "yq-" + HexFormat.of().formatHex(uuidBytes(signerId)).substring(0, 29)
        .toLowerCase(Locale.ROOT);
  }

  private static byte[] uuidBytes(UUID id) {
    return java.nio.ByteBuffer.allocate(16)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  private record Validated(UUID id, String name, ResidentIdNumber idNumber,
      PersonType personType, byte[] image, KeyAlgorithm algorithm) {
  }

  private record Issued(String tokenLabel, String subjectSerial, byte[] certificate) {
  }
}
