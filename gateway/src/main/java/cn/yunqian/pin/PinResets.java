package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.signer.Signer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forgotten-PIN resets that wait for a reviewer, because the in-page face check proves liveness
 * but cannot compare the face with the ID card. The new key is made when the signer enters the
 * new PIN, the only moment the PIN is known. Approval certifies it and makes it the signer's key
 * through {@link Rekeying#activate}; rejection discards it.
 */
final class PinResets {

  static final String PENDING = "PENDING_REVIEW";
  static final String APPROVED = "APPROVED";
  static final String REJECTED = "REJECTED";
  /** Maximum number of resets in one list. */
  static final int MAX_LISTED = 500;

  private static final Logger LOG = LoggerFactory.getLogger(PinResets.class);

  private final Pool pool;
  private final Rekeying rekeying;
  private final PersonalDataCipher cipher;
  private final SecurityNotices notices;
  private final Clock clock;

  PinResets(Pool pool, Rekeying rekeying, PersonalDataCipher cipher, SecurityNotices notices,
      Clock clock) {
    this.pool = pool;
    this.rekeying = rekeying;
    this.cipher = cipher;
    this.notices = notices;
    this.clock = clock;
  }

  /** A reset in the reviewer's view, with the masked ID number. */
  record Reset(UUID id, UUID signerId, String signerName, String idNumberMasked,
      UUID faceVerificationId, String status, String keyCustody, String keyLabel,
      String rejectionReason, OffsetDateTime createdAt, OffsetDateTime decidedAt) {

    JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("signerId", signerId.toString())
          .put("name", signerName)
          .put("idNumber", idNumberMasked)
          .put("status", status)
          .put("keyCustody", keyCustody)
          .put("rejectionReason", rejectionReason)
          .put("createdAt", createdAt.toString())
          .put("decidedAt", decidedAt == null ? null : decidedAt.toString());
    }
  }

  /**
   * Makes the new key under {@code newPin} and queues the reset, consuming the face
   * verification. The caller checked the PIN rules and clears the PIN. If queuing fails, the
   * key is destroyed again. Fails with FACE_VERIFICATION_INVALID, PIN_RESET_NOT_PENDING when
   * a reset of this signer already waits, or HSM_UNAVAILABLE.
   */
  Future<UUID> submit(Signer signer, UUID faceVerificationId, char[] newPin, String actor) {
    UUID id = UUID.randomUUID();
    return requireNoPending(signer.id())
        .compose(none -> rekeying.createKey(signer, newPin))
        .compose(key -> pool.withTransaction(conn -> consumeFace(conn, signer.id(),
                    faceVerificationId)
                .compose(done -> insert(conn, id, signer.id(), faceVerificationId, key))
                .compose(done -> AuditLog.append(conn, AuditEvent.success(actor,
                    "PIN_RESET_SUBMITTED", signer.id(), new JsonObject()
                        .put("pinResetId", id.toString())
                        .put("faceVerificationId", faceVerificationId.toString())
                        .put("keyLabel", key.custodyKey().label())))))
            .recover(e -> rekeying.discard(key, newPin, e)))
        .onSuccess(done -> LOG.info("PIN reset {} of signer {} waits for a reviewer", id,
            signer.id()))
        .compose(done -> notices.send(signer.id(), SecurityNotices.PIN_RESET_SUBMITTED))
        .map(id);
  }

  /**
   * Approves a pending reset: the new key becomes the signer's key with a new certificate, the
   * old certificate is revoked and the lockout cleared. Fails with PIN_RESET_NOT_PENDING.
   */
  Future<Reset> approve(UUID id, String actor) {
    return requirePending(id)
        .compose(row -> {
          Rekeying.NewKey key = newKey(row);
          JsonObject details = new JsonObject().put("pinResetId", id.toString())
              .put("faceVerificationId", row.getUUID("face_verification_id").toString());
          return rekeying.activate(row.getUUID("signer_id"), key, actor,
                  conn -> decide(conn, id, APPROVED, null, actor), details)
              .compose(result -> notices.send(result.signer().id(),
                  SecurityNotices.PIN_RESET));
        })
        .compose(done -> find(id))
        .map(Optional::orElseThrow);
  }

  /**
   * Rejects a pending reset with a reason of 1 to 200 characters. In wrapped-key custody the
   * new wrapped key is deleted, which discards the key. In token-per-signer custody the key
   * stays in its new token, because destroying it needs the PIN, which the gateway does not
   * keep. No signer row points to that token, so the signing API cannot reach it. Fails with
   * INVALID_REQUEST or PIN_RESET_NOT_PENDING.
   */
  Future<Reset> reject(UUID id, String reason, String actor) {
    String text = reason == null ? "" : reason.trim();
    if (text.isEmpty() || text.length() > 200) {
      return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
          "Give a rejection reason of 1 to 200 characters"));
    }
    return pool.withTransaction(conn -> decide(conn, id, REJECTED, text, actor))
        .compose(done -> find(id))
        .map(Optional::orElseThrow)
        .compose(reset -> {
          LOG.info("PIN reset {} of signer {} rejected; key {} discarded ({})", id,
              reset.signerId(), reset.keyLabel(), reset.keyCustody());
          return notices.send(reset.signerId(), SecurityNotices.PIN_RESET_REJECTED).map(reset);
        });
  }

  /** Returns whether a reset of the signer waits for a reviewer. */
  Future<Boolean> hasPending(UUID signerId) {
    return pool.preparedQuery("SELECT 1 FROM pin_resets WHERE signer_id = $1 AND status = $2")
        .execute(Tuple.of(signerId, PENDING))
        .map(rows -> rows.size() > 0);
  }

  Future<Optional<Reset>> find(UUID id) {
    return pool.preparedQuery(SELECT + " WHERE r.id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(toReset(rows.iterator().next())));
  }

  /** Lists resets with the status, oldest first. */
  Future<List<Reset>> list(String status) {
    return pool.preparedQuery(SELECT + " WHERE r.status = $1 ORDER BY r.created_at LIMIT $2")
        .execute(Tuple.of(status, MAX_LISTED))
        .map(rows -> {
          List<Reset> resets = new ArrayList<>();
          rows.forEach(row -> resets.add(toReset(row)));
          return resets;
        });
  }

  /**
   * Returns the face frame of the signer's approved phone enrolment, or empty when the signer
   * was enrolled another way or the enrolment kept no frame.
   */
  Future<Optional<byte[]>> enrolmentFace(UUID signerId) {
    return pool.preparedQuery("SELECT id, face_evidence_enc FROM enrolments"
            + " WHERE signer_id = $1 AND status = 'APPROVED'")
        .execute(Tuple.of(signerId))
        .map(rows -> {
          if (rows.size() == 0 || rows.iterator().next().getBuffer("face_evidence_enc") == null) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(cipher.decrypt(row.getBuffer("face_evidence_enc").getBytes(),
              "enrolment-face-evidence", row.getUUID("id").toString()));
        });
  }

  private static final String SELECT = "SELECT r.id, r.signer_id, s.display_name,"
      + " s.id_number_masked, r.face_verification_id, r.status, r.key_custody, r.key_label,"
      + " r.rejection_reason, r.created_at, r.decided_at"
      + " FROM pin_resets r JOIN signers s ON s.id = r.signer_id";

  private static Reset toReset(Row row) {
    return new Reset(row.getUUID("id"), row.getUUID("signer_id"),
        row.getString("display_name"), row.getString("id_number_masked"),
        row.getUUID("face_verification_id"), row.getString("status"),
        row.getString("key_custody"), row.getString("key_label"),
        row.getString("rejection_reason"), row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("decided_at"));
  }

  private Future<Void> requireNoPending(UUID signerId) {
    return hasPending(signerId).compose(pending -> pending
        ? Future.failedFuture(new GatewayException(ErrorCode.PIN_RESET_NOT_PENDING,
            "A PIN reset of this signer already waits for a reviewer"))
        : Future.succeededFuture());
  }

  private Future<Row> requirePending(UUID id) {
    return pool.preparedQuery("SELECT * FROM pin_resets WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0 || !PENDING.equals(rows.iterator().next().getString("status"))) {
            throw notPending(id);
          }
          return rows.iterator().next();
        });
  }

  private Future<Void> consumeFace(SqlConnection conn, UUID signerId, UUID faceId) {
    OffsetDateTime oldest = now().minus(Rekeying.FACE_EVIDENCE_MAX_AGE);
    return conn.preparedQuery("UPDATE face_verifications SET used_at = $4 WHERE id = $1"
            + " AND signer_id = $2 AND passed AND used_at IS NULL AND verified_at >= $3")
        .execute(Tuple.of(faceId, signerId, oldest, now()))
        .compose(rows -> rows.rowCount() == 1 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new GatewayException(ErrorCode.FACE_VERIFICATION_INVALID,
                "Face verification " + faceId + " is not a fresh, unused, passed verification"
                    + " of this signer; verify the face again")));
  }

  private Future<Void> insert(SqlConnection conn, UUID id, UUID signerId, UUID faceId,
      Rekeying.NewKey key) {
    CustodyKey custodyKey = key.custodyKey();
    byte[] wrapped = custodyKey.wrappedKey();
    return conn.preparedQuery("INSERT INTO pin_resets (id, signer_id, face_verification_id,"
            + " status, key_custody, key_label, key_algorithm, wrapped_key, public_key,"
            + " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .execute(Tuple.tuple()
            .addUUID(id)
            .addUUID(signerId)
            .addUUID(faceId)
            .addString(PENDING)
            .addString(custodyKey.mode().configValue())
            .addString(custodyKey.label())
            .addString(key.algorithm().name())
            .addBuffer(wrapped == null ? null : Buffer.buffer(wrapped))
            .addBuffer(Buffer.buffer(key.publicKeyInfo()))
            .addOffsetDateTime(now()))
        .mapEmpty();
  }

  /** Moves a pending reset to {@code status}, with its audit row, in the caller's transaction. */
  private Future<Void> decide(SqlConnection conn, UUID id, String status, String reason,
      String actor) {
    return conn.preparedQuery("UPDATE pin_resets SET status = $2, rejection_reason = $3,"
            + " decided_at = $4, decided_by = $5,"
            + " wrapped_key = CASE WHEN $2 = 'REJECTED' THEN NULL ELSE wrapped_key END"
            + " WHERE id = $1 AND status = 'PENDING_REVIEW' RETURNING signer_id, key_label")
        .execute(Tuple.of(id, status, reason, now(), actor))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(notPending(id));
          }
          Row row = rows.iterator().next();
          JsonObject details = new JsonObject().put("pinResetId", id.toString())
              .put("keyLabel", row.getString("key_label"));
          if (reason != null) {
            details.put("reason", reason);
          }
          return AuditLog.append(conn, AuditEvent.success(actor, "PIN_RESET_" + status,
              row.getUUID("signer_id"), details));
        });
  }

  private static Rekeying.NewKey newKey(Row row) {
    CustodyMode mode = CustodyMode.parse(row.getString("key_custody"));
    Buffer wrapped = row.getBuffer("wrapped_key");
    return new Rekeying.NewKey(new CustodyKey(mode, row.getString("key_label"),
            wrapped == null ? null : wrapped.getBytes()),
        KeyAlgorithm.valueOf(row.getString("key_algorithm")),
        row.getBuffer("public_key").getBytes());
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private static GatewayException notPending(UUID id) {
    return new GatewayException(ErrorCode.PIN_RESET_NOT_PENDING,
        "PIN reset " + id + " does not exist or was already decided");
  }
}
