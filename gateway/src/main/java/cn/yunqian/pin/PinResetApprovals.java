package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Bookkeeping of the officer-side PIN reset: approvals by named officers of one fresh, passed
 * face verification of the signer. The reset is ready when {@link #REQUIRED_OFFICERS} distinct
 * officers approved the same verification. NOTE: nothing performs the reset yet, because the
 * gateway discards every token's SO PIN; see hsm-config/README.md, section "Forgotten PIN".
 */
public final class PinResetApprovals {

  /** Distinct officers who must approve one reset. */
  public static final int REQUIRED_OFFICERS = 2;

  private final Pool pool;
  private final Clock clock;

  public PinResetApprovals(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** The officers who approved a reset so far, in order of approval. */
  public record Status(UUID signerId, UUID faceVerificationId, List<String> officers) {

    public boolean isApproved() {
      return officers.size() >= REQUIRED_OFFICERS;
    }
  }

  /**
   * Records that {@code officer} approves a PIN reset of the signer backed by the face
   * verification. Approving twice is recorded once. Fails with FACE_VERIFICATION_INVALID when
   * the verification did not pass, belongs to another signer, is older than
   * {@link Rekeying#FACE_EVIDENCE_MAX_AGE} or was used.
   */
  public Future<Status> approve(UUID signerId, UUID faceVerificationId, String officer) {
    OffsetDateTime oldest = OffsetDateTime.ofInstant(
        clock.instant().minus(Rekeying.FACE_EVIDENCE_MAX_AGE), ZoneOffset.UTC);
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT 1 FROM face_verifications"
                + " WHERE id = $1 AND signer_id = $2 AND passed AND used_at IS NULL"
                + " AND verified_at >= $3 FOR UPDATE")
            .execute(Tuple.of(faceVerificationId, signerId, oldest))
            .compose(rows -> {
              if (rows.size() == 0) {
                return Future.failedFuture(new GatewayException(
                    ErrorCode.FACE_VERIFICATION_INVALID, "Face verification "
                        + faceVerificationId + " is not a fresh, unused, passed verification"
                        + " of signer " + signerId + "; verify the signer's face again"));
              }
              return conn.preparedQuery("INSERT INTO pin_reset_approvals"
                      + " (face_verification_id, officer, signer_id) VALUES ($1, $2, $3)"
                      + " ON CONFLICT DO NOTHING")
                  .execute(Tuple.of(faceVerificationId, officer, signerId));
            })
            .compose(inserted -> inserted.rowCount() == 0
                ? Future.succeededFuture()
                : AuditLog.append(conn, AuditEvent.success("officer:" + officer,
                    "PIN_RESET_APPROVED", signerId, new JsonObject()
                        .put("faceVerificationId", faceVerificationId.toString()))))
            .compose(done -> conn.preparedQuery("SELECT officer FROM pin_reset_approvals"
                    + " WHERE face_verification_id = $1 ORDER BY approved_at, officer")
                .execute(Tuple.of(faceVerificationId))))
        .map(rows -> {
          List<String> officers = new ArrayList<>();
          for (Row row : rows) {
            officers.add(row.getString("officer"));
          }
          return new Status(signerId, faceVerificationId, officers);
        });
  }
}
