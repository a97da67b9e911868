package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.JsonBodies;
import cn.yunqian.signer.SignerKeys;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * PIN routes: {@code POST /api/v1/signers/:id/pin} changes a PIN (client token) and
 * {@code GET /api/v1/admin/locked-signers} lists locked signers (officer token). Officer unlock
 * stays at {@code POST /api/v1/admin/signers/:id/unlock}.
 */
public final class PinRoutes {

  /** Most locked signers one list returns. */
  static final int MAX_LISTED = 500;
  private static final int MAX_PIN_FIELD_LENGTH = 64;

  private final PinChange pinChange;
  private final SignerKeys keys;

  private PinRoutes(PinChange pinChange, SignerKeys keys) {
    this.pinChange = pinChange;
    this.keys = keys;
  }

  /**
   * Adds the routes. The body handler for {@code /api/*} must already be on the router.
   *
   * @param client authenticates API clients
   * @param officer authenticates security officers
   */
  public static void mount(Router router, Handler<RoutingContext> client,
      Handler<RoutingContext> officer, PinChange pinChange, SignerKeys keys) {
    PinRoutes routes = new PinRoutes(pinChange, keys);
    router.post("/api/v1/signers/:id/pin").handler(client).handler(routes::change);
    router.get("/api/v1/admin/locked-signers").handler(officer).handler(routes::listLocked);
  }

  private void change(RoutingContext ctx) {
    UUID signerId = pathId(ctx);
    JsonObject body = jsonBody(ctx);
    PinChange.Request request = new PinChange.Request(signerId,
        pinField(body, "oldPin"), pinField(body, "newPin"), pinField(body, "newPinRepeat"),
        "client");
    pinChange.change(request)
        .onSuccess(done -> ctx.response()
            .putHeader("content-type", "application/json; charset=utf-8")
            .end(new JsonObject().put("signerId", signerId.toString())
                .put("pinChanged", true).encode()))
        .onFailure(ctx::fail);
  }

  private void listLocked(RoutingContext ctx) {
    keys.locked(MAX_LISTED)
        .onSuccess(locked -> {
          JsonArray items = new JsonArray();
          for (SignerKeys.LockedSigner signer : locked) {
            items.add(new JsonObject()
                .put("id", signer.id().toString())
                .put("name", signer.displayName())
                .put("idNumber", signer.idNumberMasked())
                .put("failedPinAttempts", signer.failedPinAttempts())
                .put("lockedAt", signer.lockedAt() == null ? null
                    : signer.lockedAt().toString()));
          }
          ctx.response()
              .putHeader("content-type", "application/json; charset=utf-8")
              .end(new JsonObject().put("signers", items).put("limit", MAX_LISTED).encode());
        })
        .onFailure(ctx::fail);
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT)
        .startsWith("application/json")) {
      throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Send the PIN change as application/json");
    }
    return JsonBodies.parseObject(ctx.body().buffer());
  }

  private static char[] pinField(JsonObject body, String name) {
    Object value = body.getValue(name);
    if (value == null) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' is missing");
    }
    if (!(value instanceof String text) || text.length() > MAX_PIN_FIELD_LENGTH) {
      throw new GatewayException(ErrorCode.PIN_FORMAT_INVALID,
          "Field '" + name + "' must be a string of 6 digits");
    }
    return text.toCharArray();
  }

  private static UUID pathId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The signer id is not a UUID");
    }
  }
}
