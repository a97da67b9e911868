package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes a signer's PIN in the HSM. The old PIN is checked by the HSM and a wrong one counts
 * toward the same lockout as signing ({@link SignerRepository#reservePinAttempt}). The new PIN
 * must follow {@link PinPolicy}, including the birth-date rule when the birth date is stored.
 * Every attempt that reaches this service is audited, without any PIN; requests that the route
 * rejects before (a missing field, a body that is not JSON) are not.
 */
public final class PinChange {

  private static final Logger LOG = LoggerFactory.getLogger(PinChange.class);
  static final String CHANGED = "PIN_CHANGED";
  static final String REJECTED = "PIN_CHANGE_REJECTED";

  private final SignerRepository signers;
  private final SignerKeys keys;
  private final KeyCustody custody;
  private final WorkerExecutor hsmWorkers;

  public PinChange(SignerRepository signers, SignerKeys keys, KeyCustody custody,
      WorkerExecutor hsmWorkers) {
    this.signers = Objects.requireNonNull(signers, "signers");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.custody = Objects.requireNonNull(custody, "custody");
    this.hsmWorkers = Objects.requireNonNull(hsmWorkers, "hsmWorkers");
  }

  /** A PIN change request; the service clears the three arrays when it completes. */
  public record Request(UUID signerId, char[] oldPin, char[] newPin, char[] newPinRepeat,
      String actor) {
  }

  /**
   * Changes the PIN. Fails with SIGNER_NOT_FOUND, SIGNER_NOT_ACTIVE, PIN_FORMAT_INVALID,
   * INVALID_REQUEST (the two new PINs differ), PIN_TOO_WEAK, PIN_INCORRECT, PIN_LOCKED or
   * HSM_UNAVAILABLE.
   */
  public Future<Void> change(Request request) {
    return loadActiveSigner(request.signerId(), request.actor())
        .compose(signer -> checkNewPin(request, signer)
            .compose(birthDate -> reserveTry(request, signer))
            .compose(triesUsed -> changeInHsm(request, signer, triesUsed)))
        .onComplete(done -> {
          Arrays.fill(request.oldPin(), '\0');
          Arrays.fill(request.newPin(), '\0');
          Arrays.fill(request.newPinRepeat(), '\0');
        });
  }

  private Future<Signer> loadActiveSigner(UUID signerId, String actor) {
    return signers.findById(signerId).compose(found -> {
      GatewayException rejection;
      if (found.isEmpty()) {
        rejection = new GatewayException(ErrorCode.SIGNER_NOT_FOUND,
            "No signer with id " + signerId);
      } else if (!found.get().isActive()) {
        rejection = new GatewayException(ErrorCode.SIGNER_NOT_ACTIVE,
            "Signer " + signerId + " cannot change its PIN: status " + found.get().status());
      } else {
        return Future.succeededFuture(found.get());
      }
      // The audit row of an unknown id has no signer_id, so the id goes into the details.
      AuditEvent event = new AuditEvent(actor, REJECTED, found.isEmpty() ? null : signerId,
          rejection.code().name(), new JsonObject().put("signerId", signerId.toString()));
      return new AuditLog(signers.pool()).record(event)
          .compose(done -> Future.failedFuture(rejection));
    });
  }

  /** Checks both PINs before a try is counted, so a malformed request costs no try. */
  private Future<LocalDate> checkNewPin(Request request, Signer signer) {
    return keys.birthDate(signer.id()).compose(birthDate -> {
      try {
        PinPolicy.requireWellFormed(request.oldPin());
        if (!Arrays.equals(request.newPin(), request.newPinRepeat())) {
          throw new GatewayException(ErrorCode.INVALID_REQUEST,
              "newPin and newPinRepeat differ; enter the new PIN twice");
        }
        if (Arrays.equals(request.oldPin(), request.newPin())) {
          throw new GatewayException(ErrorCode.PIN_TOO_WEAK,
              "The new PIN must differ from the old PIN");
        }
        PinPolicy.requireStrong(request.newPin(), birthDate.orElse(null));
        return Future.succeededFuture(birthDate.orElse(null));
      } catch (GatewayException e) {
        return audit(request, signer, e.code().name(), new JsonObject())
            .compose(done -> Future.failedFuture(e));
      }
    });
  }

  private Future<Integer> reserveTry(Request request, Signer signer) {
    return signers.reservePinAttempt(signer.id()).compose(used -> {
      if (used.isPresent()) {
        return Future.succeededFuture(used.get());
      }
      return audit(request, signer, ErrorCode.PIN_LOCKED.name(), new JsonObject())
          .compose(done -> Future.failedFuture(new GatewayException(ErrorCode.PIN_LOCKED,
              "The signer is locked after " + Signer.MAX_PIN_ATTEMPTS
                  + " wrong PINs in a row; a security officer must unlock it")));
    });
  }

  private Future<Void> changeInHsm(Request request, Signer signer, int triesUsed) {
    return keys.custodyKey(signer.id())
        .map(found -> found.orElseThrow())
        .compose(current -> hsmWorkers.executeBlocking(() -> custody.changePin(current,
                request.oldPin(), request.newPin()), false)
            .transform(result -> {
              if (result.succeeded()) {
                return recordSuccess(request, signer, current, result.result());
              }
              return recordFailure(request, signer, triesUsed, result.cause());
            }));
  }

  private Future<Void> recordSuccess(Request request, Signer signer, CustodyKey before,
      CustodyKey after) {
    JsonObject details = new JsonObject().put("keyCustody", after.mode().configValue());
    return signers.pool().withTransaction(conn -> {
      Future<Boolean> replaced = after.mode() == CustodyMode.WRAPPED_KEY
          ? SignerKeys.replaceWrappedKey(conn, signer.id(), before, after)
          : Future.succeededFuture(true);
      return replaced.compose(updated -> {
        if (!updated) {
          return Future.failedFuture(new GatewayException(ErrorCode.INVALID_REQUEST,
              "The PIN was changed by another request at the same time; try again"));
        }
        return SignerRepository.resetPinAttempts(conn, signer.id())
            .compose(done -> AuditLog.append(conn,
                AuditEvent.success(request.actor(), CHANGED, signer.id(), details)));
      });
    }).onSuccess(done -> LOG.info("PIN changed: signer='{}' custody={}", signer.id(),
        after.mode().configValue()));
  }

  private Future<Void> recordFailure(Request request, Signer signer, int triesUsed,
      Throwable failure) {
    if (failure instanceof GatewayException e && e.code() == ErrorCode.PIN_INCORRECT) {
      return rejectOldPin(request, signer, triesUsed);
    }
    // The HSM failed for a reason other than a wrong PIN, so the try is given back.
    String outcome = failure instanceof GatewayException e ? e.code().name() : "INTERNAL_ERROR";
    return keys.releasePinAttempt(signer.id())
        .compose(done -> audit(request, signer, outcome, new JsonObject()))
        .transform(ignored -> Future.failedFuture(failure));
  }

  private Future<Void> rejectOldPin(Request request, Signer signer, int triesUsed) {
    int left = Signer.MAX_PIN_ATTEMPTS - triesUsed;
    LOG.warn("Old PIN rejected by the HSM: signer='{}' attemptsLeft={}", signer.id(), left);
    Future<Void> recorded = audit(request, signer, ErrorCode.PIN_INCORRECT.name(),
        new JsonObject().put("attemptsLeft", left));
    if (left > 0) {
      return recorded.compose(done -> Future.failedFuture(new OldPinIncorrect(left)));
    }
    return recorded
        .compose(done -> signers.markLocked(signer.id()))
        .compose(done -> new AuditLog(signers.pool()).record(new AuditEvent(request.actor(),
            "SIGNER_LOCKED", signer.id(), ErrorCode.PIN_LOCKED.name(), new JsonObject())))
        .compose(done -> Future.failedFuture(new GatewayException(ErrorCode.PIN_LOCKED,
            "Wrong old PIN; the signer is now locked after " + Signer.MAX_PIN_ATTEMPTS
                + " wrong PINs in a row and a security officer must unlock it")));
  }

  /** A wrong old PIN that did not lock the signer; carries the tries left for the page. */
  public static final class OldPinIncorrect extends GatewayException {
    private final int attemptsLeft;

    OldPinIncorrect(int attemptsLeft) {
      super(ErrorCode.PIN_INCORRECT, "Wrong old PIN; " + attemptsLeft
          + " tries left before the signer is locked");
      this.attemptsLeft = attemptsLeft;
    }

    public int attemptsLeft() {
      return attemptsLeft;
    }
  }

  private Future<Void> audit(Request request, Signer signer, String outcome,
      JsonObject details) {
    return new AuditLog(signers.pool())
        .record(new AuditEvent(request.actor(), REJECTED, signer.id(), outcome, details));
  }
}
