package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateLifecycle;
import cn.yunqian.ca.CertificateRecord;
import cn.yunqian.ca.CertificateRepository;
import cn.yunqian.ca.RevocationReason;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.SignerKey;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-keys a signer who forgot the PIN. A token's PIN cannot be reset, because each token's SO
 * PIN was discarded at creation. The gateway therefore makes a new token and key under the new
 * PIN, has the internal CA certify it, and revokes the old certificate (reason superseded). The
 * old token keeps its key under the forgotten PIN, but the gateway no longer uses it and the
 * CRL lists its certificate.
 *
 * <p>A re-key needs a passed face verification of the same signer, made at most
 * {@link #FACE_EVIDENCE_MAX_AGE} earlier and not used before; the re-key consumes it.
 */
public final class Rekeying {

  /** Maximum age of a face verification that a re-key accepts. */
  public static final Duration FACE_EVIDENCE_MAX_AGE = Duration.ofMinutes(30);

  private static final Logger LOG = LoggerFactory.getLogger(Rekeying.class);
  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(2 * 365);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SignerRepository signers;
  private final SignerTokens tokens;
  private final CertificateAuthority ca;
  private final CertificateLifecycle lifecycle;
  private final WorkerExecutor workers;
  private final Clock clock;

  public Rekeying(SignerRepository signers, SignerTokens tokens, CertificateAuthority ca,
      CertificateLifecycle lifecycle, WorkerExecutor workers, Clock clock) {
    this.signers = signers;
    this.tokens = tokens;
    this.ca = ca;
    this.lifecycle = lifecycle;
    this.workers = workers;
    this.clock = clock;
  }

  /** The outcome: the signer as now stored and the certificate that was revoked, if any. */
  public record Result(Signer signer, Optional<CertificateRecord> revoked) {
  }

  /** Re-keys with the actor {@code officer}; see {@link #rekey(UUID, char[], UUID, String)}. */
  public Future<Result> rekey(UUID signerId, char[] newPin, UUID faceEvidenceId) {
    return rekey(signerId, newPin, faceEvidenceId, "officer");
  }

  /**
   * Creates a new token and key under {@code newPin}, issues a certificate for it, revokes the
   * old certificate, clears the wrong-PIN count and consumes the face verification, all in one
   * transaction. If any step fails, the new key is destroyed again. Clears {@code newPin}. Fails with
   * SIGNER_NOT_FOUND, PIN_FORMAT_INVALID, PIN_TOO_WEAK, FACE_VERIFICATION_INVALID or
   * HSM_UNAVAILABLE.
   */
  public Future<Result> rekey(UUID signerId, char[] newPin, UUID faceEvidenceId, String actor) {
    return signers.findById(signerId)
        .compose(found -> {
          Signer signer = found.orElseThrow(() -> new GatewayException(
              ErrorCode.SIGNER_NOT_FOUND, "No signer with id " + signerId));
          requireNewPinShape(newPin);
          return requireFaceEvidence(signerId, faceEvidenceId)
              .compose(ok -> subjectSerial(signerId))
              .compose(serial -> workers.executeBlocking(() -> createKey(signer, serial,
                  newPin), false))
              .compose(created -> store(signer, created, faceEvidenceId, actor)
                  .recover(e -> discard(created.tokenLabel(), newPin, e)));
        })
        .compose(result -> result.revoked().isPresent()
            ? lifecycle.publishIfInternal(result.revoked().get()).map(result)
            : Future.succeededFuture(result))
        .onComplete(done -> Arrays.fill(newPin, '\0'));
  }

  private Future<Void> requireFaceEvidence(UUID signerId, UUID evidenceId) {
    return signers.pool().preparedQuery("SELECT 1 FROM face_verifications WHERE id = $1"
            + " AND signer_id = $2 AND passed AND used_at IS NULL AND verified_at >= $3")
        .execute(Tuple.of(evidenceId, signerId, oldestAcceptedEvidence()))
        .map(rows -> {
          if (rows.size() == 0) {
            throw faceEvidenceInvalid(evidenceId);
          }
          return null;
        });
  }

  private Future<String> subjectSerial(UUID signerId) {
    return signers.pool().preparedQuery("SELECT subject_serial FROM signers WHERE id = $1")
        .execute(Tuple.of(signerId))
        .map(rows -> rows.iterator().next().getString("subject_serial"));
  }

  private Created createKey(Signer signer, String subjectSerial, char[] newPin) {
    String label = newTokenLabel();
    KeyAlgorithm algorithm = KeyAlgorithm.valueOf(signer.keyAlgorithm());
    SignerKey key = tokens.create(label, newPin, algorithm);
    try {
      X509CertificateHolder certificate = ca.issue(key.publicKeyInfo(),
          commonName(signer), subjectSerial, CERTIFICATE_VALIDITY);
      LOG.info("Re-keyed signer {} onto token {}", signer.id(), label);
      return new Created(label, certificate);
    } catch (RuntimeException e) {
      try {
        tokens.destroyKey(label, newPin);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private Future<Result> store(Signer signer, Created created, UUID faceEvidenceId,
      String actor) {
    byte[] der = encode(created.certificate());
    return signers.pool().withTransaction(conn -> consumeFaceEvidence(conn, signer.id(),
            faceEvidenceId)
        .compose(done -> CertificateRepository.revokeCurrent(conn, signer.id(),
            RevocationReason.SUPERSEDED, clock.instant()))
        .compose(revoked -> CertificateRepository.insertCurrent(conn, signer.id(),
                created.certificate(), CertificateRecord.INTERNAL_CA, List.of())
            .compose(inserted -> conn.preparedQuery("UPDATE signers SET token_label = $2,"
                    + " certificate = $3, failed_pin_attempts = 0, locked_at = NULL,"
                    + " updated_at = now() WHERE id = $1")
                .execute(Tuple.of(signer.id(), created.tokenLabel(), Buffer.buffer(der))))
            .compose(updated -> AuditLog.append(conn, AuditEvent.success(actor,
                "SIGNER_REKEYED", signer.id(), auditDetails(created, revoked,
                    faceEvidenceId))))
            .map(revoked)))
        .compose(revoked -> signers.findById(signer.id())
            .map(reloaded -> new Result(reloaded.orElseThrow(), revoked)));
  }

  private Future<Void> consumeFaceEvidence(SqlConnection conn, UUID signerId, UUID evidenceId) {
    return conn.preparedQuery("UPDATE face_verifications SET used_at = now() WHERE id = $1"
            + " AND signer_id = $2 AND passed AND used_at IS NULL AND verified_at >= $3")
        .execute(Tuple.of(evidenceId, signerId, oldestAcceptedEvidence()))
        .map(rows -> {
          if (rows.rowCount() == 0) {
            throw faceEvidenceInvalid(evidenceId);
          }
          return null;
        });
  }

  private <T> Future<T> discard(String tokenLabel, char[] newPin, Throwable cause) {
    LOG.error("Storing the re-key failed; destroying the new key on token '{}'", tokenLabel,
        cause);
    return workers.executeBlocking(() -> {
      // NOTE: the emptied token itself stays, because its SO PIN was never kept.
      tokens.destroyKey(tokenLabel, newPin);
      return null;
    }, false).transform(ignored -> Future.failedFuture(cause));
  }

  private OffsetDateTime oldestAcceptedEvidence() {
    return OffsetDateTime.ofInstant(clock.instant().minus(FACE_EVIDENCE_MAX_AGE),
        ZoneOffset.UTC);
  }

  private static JsonObject auditDetails(Created created, Optional<CertificateRecord> revoked,
      UUID faceEvidenceId) {
    return new JsonObject()
        .put("tokenLabel", created.tokenLabel())
        .put("serial", CertificateRecord.serialHex(created.certificate().getSerialNumber()))
        .put("revokedSerial", revoked.map(CertificateRecord::serial).orElse(null))
        .put("faceVerificationId", faceEvidenceId.toString());
  }

  /**
   * Checks the new PIN's form and rejects repeated digits and runs. NOTE: the birth-date rule of
   * {@link PinPolicy#requireStrong} is not applied, because the full ID number is not stored.
   */
  private static void requireNewPinShape(char[] pin) {
    PinPolicy.requireWellFormed(pin);
    boolean repeated = true;
    boolean ascending = true;
    boolean descending = true;
    for (int i = 1; i < pin.length; i++) {
      repeated &= pin[i] == pin[0];
      ascending &= pin[i] - pin[i - 1] == 1;
      descending &= pin[i] - pin[i - 1] == -1;
    }
    if (repeated || ascending || descending) {
      throw new GatewayException(ErrorCode.PIN_TOO_WEAK,
          "The PIN must not be one repeated digit or a run such as 123456");
    }
  }

  private static String commonName(Signer signer) {
    return signer.displayName();
  }

  private static String newTokenLabel() {
    byte[] random = new byte[15];
    RANDOM.nextBytes(random);
    return "yq-" + HexFormat.of().formatHex(random).substring(0, 29);
  }

  private static byte[] encode(X509CertificateHolder certificate) {
    try {
      return certificate.getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException("failed to encode the new certificate", e);
    }
  }

  private static GatewayException faceEvidenceInvalid(UUID evidenceId) {
    return new GatewayException(ErrorCode.FACE_VERIFICATION_INVALID, "Face verification "
        + evidenceId + " is not a passed verification of this signer from the last "
        + FACE_EVIDENCE_MAX_AGE.toMinutes() + " minutes, or it was already used;"
        + " verify the signer's face again");
  }

  private record Created(String tokenLabel, X509CertificateHolder certificate) {
  }
}
