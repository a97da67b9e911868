package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.pin.PinUnlock;
import cn.yunqian.signer.EnrolmentRequest;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerRepository;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.UUID;

/**
 * Signer endpoints: enrol in one step (officer), read a signer's public record, and unlock a
 * signer after too many wrong PINs (officer).
 */
final class SignerHandler {

  private final SignerEnrolment enrolment;
  private final SignerRepository signers;
  private final PinUnlock unlock;
  private final long maxImageBytes;

  SignerHandler(SignerEnrolment enrolment, SignerRepository signers, PinUnlock unlock,
      long maxImageBytes) {
    this.enrolment = enrolment;
    this.signers = signers;
    this.unlock = unlock;
    this.maxImageBytes = maxImageBytes;
  }

  /** {@code POST /api/v1/signers}. */
  void enrol(RoutingContext ctx) {
    RequestFields fields = RequestFields.of(ctx);
    if (!fields.isJson()) {
      throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Enrolment takes application/json");
    }
    EnrolmentRequest request = new EnrolmentRequest(
        fields.requiredString("name"),
        fields.requiredString("idNumber"),
        fields.optionalString("personType"),
        fields.requiredString("pin").toCharArray(),
        fields.requiredBase64("signatureImage", maxImageBytes, ErrorCode.PAYLOAD_TOO_LARGE),
        keyAlgorithm(fields.optionalString("keyAlgorithm")),
        "officer");
    enrolment.enrol(request)
        .onSuccess(signer -> ctx.response()
            .setStatusCode(201)
            .putHeader("content-type", "application/json; charset=utf-8")
            .putHeader("location", "/api/v1/signers/" + signer.id())
            .end(view(signer).encode()))
        .onFailure(ctx::fail);
  }

  /** {@code GET /api/v1/signers/:id}. */
  void get(RoutingContext ctx) {
    UUID id = pathId(ctx);
    signers.findById(id)
        .onSuccess(found -> {
          if (found.isEmpty()) {
            ctx.fail(new GatewayException(ErrorCode.SIGNER_NOT_FOUND, "No signer with id " + id));
            return;
          }
          ctx.response()
              .putHeader("content-type", "application/json; charset=utf-8")
              .end(view(found.get()).encode());
        })
        .onFailure(ctx::fail);
  }

  /** {@code POST /api/v1/admin/signers/:id/unlock}. */
  void unlock(RoutingContext ctx) {
    UUID id = pathId(ctx);
    JsonObject body = ctx.body().length() <= 0 ? new JsonObject()
        : JsonBodies.parseObject(ctx.body().buffer());
    unlock.unlock(id, "officer", body.getString("reason"))
        .onSuccess(signer -> ctx.response()
            .putHeader("content-type", "application/json; charset=utf-8")
            .end(view(signer).encode()))
        .onFailure(ctx::fail);
  }

  private static UUID pathId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The signer id is not a UUID");
    }
  }

  private static KeyAlgorithm keyAlgorithm(String text) {
    if (text == null) {
      return KeyAlgorithm.EC_P256;
    }
    try {
      return KeyAlgorithm.valueOf(text.trim().toUpperCase());
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "Unknown keyAlgorithm '" + text + "'; expected EC_P256 or RSA_2048");
    }
  }

  /** Builds the public view of a signer, without hashes, image or token label. */
  static JsonObject view(Signer signer) {
    return new JsonObject()
        .put("id", signer.id().toString())
        .put("name", signer.displayName())
        .put("personType", signer.personType())
        .put("idNumber", signer.idNumberMasked())
        .put("keyAlgorithm", signer.keyAlgorithm())
        .put("status", signer.isLocked() ? "PIN_LOCKED" : signer.status())
        .put("failedPinAttempts", signer.failedPinAttempts())
        .put("certificate", signer.certificate() == null ? null
            : Base64.getEncoder().encodeToString(signer.certificate()));
  }
}
