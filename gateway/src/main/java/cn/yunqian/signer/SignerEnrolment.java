package cn.yunqian.signer;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateRecord;
import cn.yunqian.ca.CertificateRepository;
import cn.yunqian.ca.SubjectSerialNumbers;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SignerKey;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.hsm.TokenPerSignerCustody;
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
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrols a signer in one step: checks the identity data, creates the signer's key in HSM
 * custody under the chosen PIN, has the internal CA certify the key and stores the signer.
 * Either all of it happens or none of it is kept: when the database write fails, the new key
 * is destroyed again.
 */
public final class SignerEnrolment {

  private static final Logger LOG = LoggerFactory.getLogger(SignerEnrolment.class);
  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(2 * 365);
  static final String SIGNATURE_IMAGE_PURPOSE = "signature-image";

  private final SignerRepository signers;
  private final KeyCustody custody;
  private final CertificateAuthority ca;
  private final PersonalDataCipher cipher;
  private final byte[] idNumberKey;
  private final WorkerExecutor hsmWorkers;
  private final long maxImageBytes;
  private final Set<String> enrolmentsInProgress = ConcurrentHashMap.newKeySet();
  private final SignerKeys keys;

  /** Enrols signers with one token each. */
  public SignerEnrolment(SignerRepository signers, SignerTokens tokens, CertificateAuthority ca,
      PersonalDataCipher cipher, byte[] idNumberKey, WorkerExecutor hsmWorkers,
      long maxImageBytes) {
    this(signers, new TokenPerSignerCustody(tokens), ca, cipher, idNumberKey, hsmWorkers,
        maxImageBytes);
  }

  public SignerEnrolment(SignerRepository signers, KeyCustody custody, CertificateAuthority ca,
      PersonalDataCipher cipher, byte[] idNumberKey, WorkerExecutor hsmWorkers,
      long maxImageBytes) {
    this.signers = signers;
    this.custody = custody;
    this.ca = ca;
    this.cipher = cipher;
    this.idNumberKey = idNumberKey.clone();
    this.hsmWorkers = hsmWorkers;
    this.maxImageBytes = maxImageBytes;
    this.keys = new SignerKeys(signers.pool(), cipher);
  }

  /**
   * Enrols the signer. Key generation runs on the HSM worker pool.
   * Fails with NAME_INVALID, ID_NUMBER_INVALID, PIN_FORMAT_INVALID, PIN_TOO_WEAK,
   * IMAGE_INVALID, ID_NUMBER_ALREADY_ENROLLED or HSM_UNAVAILABLE.
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
    String idHashHex = HexFormat.of().formatHex(idHash);
    // Claim the ID number for this request, so that parallel enrolments of one person fail at
    // once instead of each creating a token and a certificate that the insert then rejects.
    // NOTE: the claim is per gateway process; the unique index still guards several gateways.
    if (!enrolmentsInProgress.add(idHashHex)) {
      Arrays.fill(request.pin(), '\0');
      return Future.failedFuture(alreadyEnrolled());
    }
    return signers.existsWithIdNumberHash(idHash)
        .compose(exists -> {
          if (exists) {
            return Future.failedFuture(alreadyEnrolled());
          }
          return hsmWorkers.executeBlocking(() -> createKeyAndCertificate(validated, request),
              false);
        })
        .compose(issued -> store(validated, request, idHash, issued))
        .onComplete(done -> {
          enrolmentsInProgress.remove(idHashHex);
          Arrays.fill(request.pin(), '\0');
        });
  }

  private static GatewayException alreadyEnrolled() {
    return new GatewayException(ErrorCode.ID_NUMBER_ALREADY_ENROLLED,
        "A signer with this ID number is already enrolled or being enrolled");
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
      KeyCustody.NewKey created = custody.create(tokenLabel, request.pin(),
          validated.algorithm());
      SignerKey key = created.signerKey();
      String subjectSerial = SubjectSerialNumbers.derive(validated.idNumber().value(),
          idNumberKey);
      X509CertificateHolder certificate = ca.issue(key.publicKeyInfo(), validated.name(),
          subjectSerial, CERTIFICATE_VALIDITY);
      return new Issued(created.custodyKey(), subjectSerial, certificate.getEncoded());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Future<Signer> store(Validated validated, EnrolmentRequest request, byte[] idHash,
      Issued issued) {
    SignerRepository.NewSigner row = new SignerRepository.NewSigner(
        validated.id(), validated.name(), validated.personType().name(), idHash,
        validated.idNumber().masked(), issued.subjectSerial(), issued.custodyKey().label(),
        validated.algorithm().name(), issued.certificate(),
        cipher.encrypt(validated.image(), SIGNATURE_IMAGE_PURPOSE, validated.id().toString()));
    JsonObject details = new JsonObject()
        .put("tokenLabel", issued.custodyKey().label())
        .put("keyCustody", issued.custodyKey().mode().configValue())
        .put("keyAlgorithm", validated.algorithm().name())
        .put("idNumber", validated.idNumber().masked());
    return signers.pool()
        .withTransaction(conn -> SignerRepository.insert(conn, row)
            .compose(done -> CertificateRepository.insertCurrent(conn, validated.id(),
                parseCertificate(issued.certificate()), CertificateRecord.INTERNAL_CA,
                List.of()))
            .compose(done -> keys.storeNew(conn, validated.id(), issued.custodyKey(),
                validated.idNumber().birthDate()))
            .compose(done -> AuditLog.append(conn, AuditEvent.success(request.actor(),
                "SIGNER_ENROLLED", validated.id(), details))))
        .recover(e -> discardKey(issued.custodyKey(), request.pin(), e))
        .compose(done -> signers.findById(validated.id()))
        .map(found -> found.orElseThrow());
  }

  private static X509CertificateHolder parseCertificate(byte[] der) {
    try {
      return new X509CertificateHolder(der);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private <T> Future<T> discardKey(CustodyKey key, char[] pin, Throwable cause) {
    LOG.error("Storing a new signer failed; destroying the key '{}'", key.label(), cause);
    return hsmWorkers.executeBlocking(() -> {
      // NOTE: in token-per-signer custody the emptied token itself stays, because its SO PIN
      // was never kept.
      custody.destroy(key, pin);
      return null;
    }, false).transform(ignored -> Future.failedFuture(cause));
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

  private record Issued(CustodyKey custodyKey, String subjectSerial, byte[] certificate) {
  }
}
