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
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.KeyCustody;
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
import java.util.function.Function;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-keys a signer who forgot the PIN, in either custody mode. A token's PIN cannot be reset,
 * because each token's SO PIN was discarded at creation, and a wrapped key opens only with the
 * PIN it was wrapped under. The gateway therefore makes a new key under the new PIN (a new token
 * or a new wrapped key, through {@link KeyCustody}), has the internal CA certify it, and revokes
 * the old certificate (reason superseded). The old key stays under the forgotten PIN, but the
 * gateway no longer uses it and the CRL lists its certificate.
 *
 * <p>{@link #rekey} does it at once and needs a passed face verification of the same signer,
 * made at most {@link #FACE_EVIDENCE_MAX_AGE} earlier and not used before; the re-key consumes
 * it. A reset that waits for a reviewer uses the two halves: {@link #createKey} while the PIN
 * is known, and {@link #activate} on approval.
 */
public final class Rekeying {

  /** Maximum age of a face verification that a re-key accepts. */
  public static final Duration FACE_EVIDENCE_MAX_AGE = Duration.ofMinutes(30);

  private static final Logger LOG = LoggerFactory.getLogger(Rekeying.class);
  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(2 * 365);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SignerRepository signers;
  private final KeyCustody custody;
  private final CertificateAuthority ca;
  private final CertificateLifecycle lifecycle;
  private final WorkerExecutor workers;
  private final Clock clock;

  public Rekeying(SignerRepository signers, KeyCustody custody, CertificateAuthority ca,
      CertificateLifecycle lifecycle, WorkerExecutor workers, Clock clock) {
    this.signers = signers;
    this.custody = custody;
    this.ca = ca;
    this.lifecycle = lifecycle;
    this.workers = workers;
    this.clock = clock;
  }

  /** The outcome: the signer as now stored and the certificate that was revoked, if any. */
  public record Result(Signer signer, Optional<CertificateRecord> revoked) {
  }

  /**
   * A new key made under a new PIN and not yet the signer's key.
   *
   * @param publicKeyInfo DER SubjectPublicKeyInfo, certified on activation
   */
  public record NewKey(CustodyKey custodyKey, KeyAlgorithm algorithm, byte[] publicKeyInfo) {

    public NewKey {
      publicKeyInfo = publicKeyInfo.clone();
    }

    @Override
    public byte[] publicKeyInfo() {
      return publicKeyInfo.clone();
    }
  }

  /** Re-keys with the actor {@code officer}; see {@link #rekey(UUID, char[], UUID, String)}. */
  public Future<Result> rekey(UUID signerId, char[] newPin, UUID faceEvidenceId) {
    return rekey(signerId, newPin, faceEvidenceId, "officer");
  }

  /**
   * Creates a new key under {@code newPin}, issues a certificate for it, revokes the old
   * certificate, clears the wrong-PIN count and consumes the face verification, all in one
   * transaction. If any step fails, the new key is destroyed again. Clears {@code newPin}.
   * Fails with SIGNER_NOT_FOUND, PIN_FORMAT_INVALID, PIN_TOO_WEAK, FACE_VERIFICATION_INVALID
   * or HSM_UNAVAILABLE.
   */
  public Future<Result> rekey(UUID signerId, char[] newPin, UUID faceEvidenceId, String actor) {
    return requireSigner(signerId)
        .compose(signer -> {
          requireNewPinShape(newPin);
          return requireFaceEvidence(signerId, faceEvidenceId)
              .compose(ok -> createKey(signer, newPin))
              .compose(created -> activate(signerId, created, actor,
                      conn -> consumeFaceEvidence(conn, signerId, faceEvidenceId),
                      new JsonObject().put("faceVerificationId", faceEvidenceId.toString()))
                  .recover(e -> discard(created, newPin, e)));
        })
        .onComplete(done -> Arrays.fill(newPin, '\0'));
  }

  /**
   * Creates a key for the signer under {@code newPin} in the configured custody, on a worker
   * thread. The caller keeps and clears the PIN. Fails with PIN_FORMAT_INVALID, PIN_TOO_WEAK
   * (one repeated digit or a run) or HSM_UNAVAILABLE.
   */
  public Future<NewKey> createKey(Signer signer, char[] newPin) {
    requireNewPinShape(newPin);
    KeyAlgorithm algorithm = KeyAlgorithm.valueOf(signer.keyAlgorithm());
    return workers.executeBlocking(() -> {
      KeyCustody.NewKey created = custody.create(newTokenLabel(), newPin, algorithm);
      LOG.info("Made a new {} key {} for signer {}", custody.mode().configValue(),
          created.custodyKey().label(), signer.id());
      return new NewKey(created.custodyKey(), algorithm,
          created.signerKey().publicKeyInfo().getEncoded());
    }, false);
  }

  /**
   * Makes {@code key} the signer's key: issues its certificate, then in one transaction runs
   * {@code precondition}, revokes the old certificate (reason superseded), stores the new one
   * with the key reference, clears the wrong-PIN count and writes {@code SIGNER_REKEYED}; then
   * publishes a new CRL. Does not destroy the key on failure. Fails with SIGNER_NOT_FOUND,
   * HSM_UNAVAILABLE or whatever {@code precondition} fails with.
   *
   * @param auditDetails added to the audit event's details
   */
  public Future<Result> activate(UUID signerId, NewKey key, String actor,
      Function<SqlConnection, Future<Void>> precondition, JsonObject auditDetails) {
    return requireSigner(signerId)
        .compose(signer -> subjectSerial(signerId)
            .compose(serial -> workers.executeBlocking(() -> ca.issue(
                SubjectPublicKeyInfo.getInstance(key.publicKeyInfo()), commonName(signer),
                serial, CERTIFICATE_VALIDITY), false))
            .compose(certificate -> store(signer, key, certificate, actor, precondition,
                auditDetails)))
        .compose(result -> result.revoked().isPresent()
            ? lifecycle.publishIfInternal(result.revoked().get()).map(result)
            : Future.succeededFuture(result));
  }

  /**
   * Destroys a key that never became the signer's key, while its PIN is known, and fails with
   * {@code cause}. In token-per-signer custody the emptied token stays, because its SO PIN was
   * never kept.
   */
  public <T> Future<T> discard(NewKey key, char[] pin, Throwable cause) {
    LOG.error("Re-keying failed; destroying the new key '{}'", key.custodyKey().label(), cause);
    return workers.executeBlocking(() -> {
      custody.destroy(key.custodyKey(), pin);
      return null;
    }, false).transform(ignored -> Future.failedFuture(cause));
  }

  private Future<Signer> requireSigner(UUID signerId) {
    return signers.findById(signerId).map(found -> found.orElseThrow(() ->
        new GatewayException(ErrorCode.SIGNER_NOT_FOUND, "No signer with id " + signerId)));
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

  private Future<Result> store(Signer signer, NewKey key, X509CertificateHolder certificate,
      String actor, Function<SqlConnection, Future<Void>> precondition,
      JsonObject auditDetails) {
    byte[] der = encode(certificate);
    CustodyKey custodyKey = key.custodyKey();
    byte[] wrapped = custodyKey.wrappedKey();
    return signers.pool().withTransaction(conn -> precondition.apply(conn)
        .compose(done -> CertificateRepository.revokeCurrent(conn, signer.id(),
            RevocationReason.SUPERSEDED, clock.instant()))
        .compose(revoked -> CertificateRepository.insertCurrent(conn, signer.id(),
                certificate, CertificateRecord.INTERNAL_CA, List.of())
            .compose(inserted -> conn.preparedQuery("UPDATE signers SET token_label = $2,"
                    + " key_custody = $3, wrapped_key = $4, certificate = $5,"
                    + " failed_pin_attempts = 0, locked_at = NULL, updated_at = now()"
                    + " WHERE id = $1")
                .execute(Tuple.of(signer.id(), custodyKey.label(),
                    custodyKey.mode().configValue(),
                    wrapped == null ? null : Buffer.buffer(wrapped), Buffer.buffer(der))))
            .compose(updated -> AuditLog.append(conn, AuditEvent.success(actor,
                "SIGNER_REKEYED", signer.id(), auditDetails(custodyKey, certificate, revoked)
                    .mergeIn(auditDetails))))
            .map(revoked)))
        .compose(revoked -> signers.findById(signer.id())
            .map(reloaded -> new Result(reloaded.orElseThrow(), revoked)))
        .onSuccess(result -> LOG.info("Re-keyed signer {} onto key {} ({})", signer.id(),
            custodyKey.label(), custodyKey.mode().configValue()));
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

  private OffsetDateTime oldestAcceptedEvidence() {
    return OffsetDateTime.ofInstant(clock.instant().minus(FACE_EVIDENCE_MAX_AGE),
        ZoneOffset.UTC);
  }

  private static JsonObject auditDetails(CustodyKey key, X509CertificateHolder certificate,
      Optional<CertificateRecord> revoked) {
    return new JsonObject()
        .put("tokenLabel", key.label())
        .put("keyCustody", key.mode().configValue())
        .put("serial", CertificateRecord.serialHex(certificate.getSerialNumber()))
        .put("revokedSerial", revoked.map(CertificateRecord::serial).orElse(null));
  }

  /**
   * Checks the new PIN's form and rejects repeated digits and runs. NOTE: the birth-date rule of
   * {@link PinPolicy#requireStrong} is not applied here, because the full ID number is not
   * stored. The phone's PIN page applies it before calling, from the ID number the signer typed.
   */
  static void requireNewPinShape(char[] pin) {
    PinPolicy.requireStrong(pin, (java.time.LocalDate) null);
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
}
