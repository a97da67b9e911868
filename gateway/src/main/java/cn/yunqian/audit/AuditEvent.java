package cn.yunqian.audit;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * One security-relevant action for the audit log. {@code details} must never contain a PIN,
 * an SMS code, a full ID number or a full phone number.
 *
 * @param actor who acted: {@code client:<name>}, {@code officer}, {@code demo}, {@code system}
 * @param action what was done, e.g. {@code SIGNER_ENROLLED}, {@code PIN_REJECTED}
 * @param signerId the signer concerned, or null
 * @param outcome {@code SUCCESS} or the error code
 */
public record AuditEvent(
    String actor, String action, UUID signerId, String outcome, JsonObject details) {

  public static AuditEvent success(String actor, String action, UUID signerId, JsonObject details) {
    return new AuditEvent(actor, action, signerId, "SUCCESS", details);
  }
}
