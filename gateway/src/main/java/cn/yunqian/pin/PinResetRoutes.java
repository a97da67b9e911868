package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.JsonBodies;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Reviewer endpoints for forgotten-PIN resets under {@code /api/v1/admin/pin-resets}: the list,
 * one reset, its new face frame next to the enrolment's, approve and reject.
 */
final class PinResetRoutes {

  private static final String BASE = "/api/v1/admin/pin-resets";
  private static final Set<String> STATUSES = Set.of(PinResets.PENDING, PinResets.APPROVED,
      PinResets.REJECTED);

  private final PinResets resets;
  private final FaceVerifications faces;

  PinResetRoutes(PinResets resets, FaceVerifications faces) {
    this.resets = resets;
    this.faces = faces;
  }

  void mount(Router router, Handler<RoutingContext> reviewer) {
    router.route(BASE + "*").failureHandler(PinErrors::handle);
    router.get(BASE).handler(reviewer).handler(this::list);
    router.get(BASE + "/:id").handler(reviewer).handler(ctx ->
        reply(ctx, requireReset(id(ctx)).map(PinResets.Reset::toJson)));
    router.get(BASE + "/:id/face").handler(reviewer).handler(ctx -> image(ctx,
        requireReset(id(ctx)).compose(reset -> faces.frame(reset.faceVerificationId()))));
    router.get(BASE + "/:id/enrolment-face").handler(reviewer).handler(ctx -> image(ctx,
        requireReset(id(ctx)).compose(reset -> resets.enrolmentFace(reset.signerId()))));
    router.post(BASE + "/:id/approve").handler(reviewer).handler(ctx ->
        reply(ctx, resets.approve(id(ctx), "reviewer").map(PinResets.Reset::toJson)));
    router.post(BASE + "/:id/reject").handler(reviewer).handler(ctx -> {
      JsonObject body = JsonBodies.object(ctx);
      reply(ctx, resets.reject(id(ctx), JsonBodies.string(body, "reason"), "reviewer")
          .map(PinResets.Reset::toJson));
    });
  }

  private void list(RoutingContext ctx) {
    String status = Optional.ofNullable(ctx.queryParams().get("status"))
        .orElse(PinResets.PENDING);
    if (!STATUSES.contains(status)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Unknown status '" + status
          + "'; use one of " + STATUSES);
    }
    reply(ctx, resets.list(status).map(list -> {
      JsonArray items = new JsonArray();
      list.forEach(reset -> items.add(reset.toJson()));
      return new JsonObject().put("resets", items).put("limit", PinResets.MAX_LISTED);
    }));
  }

  private Future<PinResets.Reset> requireReset(UUID id) {
    return resets.find(id).map(found -> found.orElseThrow(() -> new GatewayException(
        ErrorCode.PIN_RESET_NOT_FOUND, "No PIN reset with id " + id)));
  }

  private static void image(RoutingContext ctx, Future<Optional<byte[]>> frame) {
    frame.onSuccess(found -> {
      if (found.isEmpty()) {
        // Signers enrolled through the officer API have no enrolment face frame.
        ctx.fail(new GatewayException(ErrorCode.ENROLMENT_NOT_FOUND,
            "No face frame is stored for this PIN reset"));
        return;
      }
      ctx.response()
          .putHeader("content-type", "image/jpeg")
          .putHeader("cache-control", "no-store")
          .end(Buffer.buffer(found.get()));
    }).onFailure(ctx::fail);
  }

  private static void reply(RoutingContext ctx, Future<JsonObject> result) {
    result.onSuccess(body -> PinPhoneRoutes.send(ctx, 200, body)).onFailure(ctx::fail);
  }

  private static UUID id(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The PIN reset id is not a UUID");
    }
  }
}
