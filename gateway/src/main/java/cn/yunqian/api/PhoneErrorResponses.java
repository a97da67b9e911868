package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Failure handler for the phone pages' endpoints: the JSON of {@link ErrorResponses} plus a
 * {@code message} in Chinese that the page shows as it is. Failures that are not a
 * {@link GatewayException} go on to the router's general handler.
 */
public final class PhoneErrorResponses {

  private static final String FALLBACK_MESSAGE = "操作失败，请稍后再试";

  private PhoneErrorResponses() {
  }

  /**
   * Writes the error response.
   *
   * @param messages the page message for each error code; others get a general one
   * @param details adds fields (and may replace the message) for particular exceptions
   */
  public static void handle(RoutingContext ctx, Map<ErrorCode, String> messages,
      BiConsumer<GatewayException, JsonObject> details) {
    Throwable failure = ctx.failure();
    if (failure instanceof DecodeException) {
      failure = new GatewayException(ErrorCode.INVALID_REQUEST,
          "The request body is not valid JSON");
    }
    if (!(failure instanceof GatewayException e) || ctx.response().headWritten()) {
      ctx.next();
      return;
    }
    JsonObject body = new JsonObject()
        .put("error", e.code().name())
        .put("reason", e.reason())
        .put("message", messages.getOrDefault(e.code(), FALLBACK_MESSAGE));
    details.accept(e, body);
    ctx.response()
        .setStatusCode(e.code().httpStatus())
        .putHeader("content-type", "application/json; charset=utf-8")
        .end(body.encode());
  }
}
