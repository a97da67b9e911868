package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.audit.AuditEvent;
import cn.yunqian.audit.AuditLog;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts a signer's PIN tries around an operation in which the HSM checks the PIN.
 *
 * <p>A try is taken before the HSM sees the PIN, so concurrent requests can never make more
 * than {@link Signer#MAX_PIN_ATTEMPTS} tries. When the HSM accepts the PIN the count goes back
 * to zero; when it rejects the PIN the try stays used and the last one locks the signer; when
 * the operation fails before the HSM saw the PIN the try is given back.
 */
public final class PinTries {

  private static final Logger LOG = LoggerFactory.getLogger(PinTries.class);

  private final SignerRepository signers;

  public PinTries(SignerRepository signers) {
    this.signers = signers;
  }

  /**
   * Runs {@code operation}, which must call the {@link Runnable} it is given as soon as the HSM
   * has accepted the PIN. Fails with PIN_LOCKED before running it when no try is left, with
   * PIN_INCORRECT (tries left in the reason) or PIN_LOCKED (the last try) when the HSM rejects
   * the PIN, else with the operation's own failure.
   *
   * @param purpose what the PIN was for, recorded in the audit log
   */
  public <T> Future<T> attempt(Signer signer, String actor, String purpose,
      Function<Runnable, Future<T>> operation) {
    return signers.reservePinAttempt(signer.id()).compose(used -> {
      if (used.isEmpty()) {
        return audit(signer, actor, "PIN_LOCKED", "PIN_LOCKED", purpose, new JsonObject())
            .compose(done -> Future.failedFuture(new GatewayException(ErrorCode.PIN_LOCKED,
                "The signer is locked after " + Signer.MAX_PIN_ATTEMPTS
                    + " wrong PINs in a row; a security officer must unlock it")));
      }
      AtomicBoolean accepted = new AtomicBoolean();
      Future<T> result;
      try {
        result = operation.apply(() -> accepted.set(true));
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      return result.transform(outcome -> {
        if (accepted.get()) {
          Future<Void> reset = SignerRepository.resetPinAttempts(signers.pool(), signer.id());
          return outcome.succeeded()
              ? reset.map(outcome.result())
              : reset.transform(ignored -> Future.failedFuture(outcome.cause()));
        }
        if (outcome.failed() && outcome.cause() instanceof GatewayException e
            && e.code() == ErrorCode.PIN_INCORRECT) {
          return reject(signer, actor, purpose, used.get());
        }
        // The HSM never saw the PIN, so the try is given back.
        return signers.releasePinAttempt(signer.id()).transform(ignored -> outcome.succeeded()
            ? Future.succeededFuture(outcome.result())
            : Future.failedFuture(outcome.cause()));
      });
    });
  }

  private <T> Future<T> reject(Signer signer, String actor, String purpose, int triesUsed) {
    int left = Signer.MAX_PIN_ATTEMPTS - triesUsed;
    LOG.warn("PIN rejected by the HSM: signer='{}' purpose={} attemptsLeft={}", signer.id(),
        purpose, left);
    Future<Void> recorded = audit(signer, actor, "PIN_REJECTED", "PIN_INCORRECT", purpose,
        new JsonObject().put("attemptsLeft", left));
    if (left > 0) {
      return recorded.compose(done -> Future.failedFuture(new GatewayException(
          ErrorCode.PIN_INCORRECT, "Wrong PIN; " + left + (left == 1 ? " try" : " tries")
              + " left before the signer is locked")));
    }
    return recorded
        .compose(done -> signers.markLocked(signer.id()))
        .compose(done -> audit(signer, actor, "SIGNER_LOCKED", "SUCCESS", purpose,
            new JsonObject()))
        .compose(done -> Future.failedFuture(new GatewayException(ErrorCode.PIN_LOCKED,
            "Wrong PIN; the signer is now locked after " + Signer.MAX_PIN_ATTEMPTS
                + " wrong PINs in a row and a security officer must unlock it")));
  }

  private Future<Void> audit(Signer signer, String actor, String action, String outcome,
      String purpose, JsonObject details) {
    return new AuditLog(signers.pool()).record(new AuditEvent(actor, action, signer.id(),
        outcome, details.put("purpose", purpose)));
  }
}
