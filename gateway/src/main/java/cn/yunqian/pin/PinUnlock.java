package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** Clears a signer's wrong-PIN count, as a security officer does after checking who asks. */
public final class PinUnlock {

  private final SignerRepository signers;

  public PinUnlock(SignerRepository signers) {
    this.signers = signers;
  }

  /**
   * Unlocks the signer and records who did it. Fails with SIGNER_NOT_FOUND.
   *
   * @param reason the officer's note, kept in the audit log
   */
  public Future<Signer> unlock(UUID signerId, String actor, String reason) {
    return signers.findById(signerId).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(new GatewayException(ErrorCode.SIGNER_NOT_FOUND,
            "No signer with id " + signerId));
      }
      JsonObject details = new JsonObject()
          .put("failedPinAttempts", found.get().failedPinAttempts())
          .put("reason", reason == null ? "" : reason);
      return signers.pool()
          .withTransaction(conn -> SignerRepository.resetPinAttempts(conn, signerId)
              .compose(done -> AuditLog.append(conn,
                  AuditEvent.success(actor, "SIGNER_UNLOCKED", signerId, details))))
          .compose(done -> signers.findById(signerId))
          .map(reloaded -> reloaded.orElseThrow());
    });
  }
}
