package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into a JSON body {@code {"error": CODE, "reason": "..."}}. A client never
 * sees a stack trace: unexpected failures are logged with an incident id and the response
 * carries only that id.
 */
public final class ErrorResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

  private ErrorResponses() {
  }

  /** Router failure handler. */
  public static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof GatewayException e) {
      send(ctx, e.code(), e.reason());
    } else if (failure instanceof DecodeException) {
      send(ctx, ErrorCode.INVALID_REQUEST, "The request body is not valid JSON");
    } else if (failure == null) {
      sendForStatus(ctx, ctx.statusCode());
    } else if (ctx.response().closed()) {
      LOG.warn("Client closed the connection: method={} path='{}' cause='{}'",
          ctx.request().method(), ctx.normalizedPath(), failure.toString());
    } else if (failure instanceof IOException
        && String.valueOf(failure.getMessage()).contains("exceed allowed maximum capacity")) {
      // Netty's form decoder limits a single form field (not a file part) to 8 KB.
      send(ctx, ErrorCode.PAYLOAD_TOO_LARGE, "A form field is larger than 8 KB; send files such"
          + " as the PDF as file parts of the multipart form");
    } else {
      String incident = UUID.randomUUID().toString();
      LOG.error("[{}] Request failed: method={} path='{}'", incident, ctx.request().method(),
          ctx.normalizedPath(), failure);
      send(ctx, ErrorCode.INTERNAL_ERROR,
          "Internal error; the gateway log has the details under incident " + incident);
    }
  }

  /** Writes the error response unless one was already started. */
  public static void send(RoutingContext ctx, ErrorCode code, String reason) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response()
        .setStatusCode(code.httpStatus())
        .putHeader("content-type", "application/json; charset=utf-8")
        .end(new JsonObject().put("error", code.name()).put("reason", reason).encode());
  }

  private static void sendForStatus(RoutingContext ctx, int status) {
    switch (status) {
      case 401 -> sendStatus(ctx, 401, "UNAUTHORIZED",
          "Missing or wrong bearer token in the Authorization header");
      case 404 -> sendStatus(ctx, 404, "NOT_FOUND", "No such resource: " + ctx.normalizedPath());
      case 405 -> sendStatus(ctx, 405, "METHOD_NOT_ALLOWED",
          "Method " + ctx.request().method() + " is not allowed on " + ctx.normalizedPath());
      case 413 -> send(ctx, ErrorCode.PAYLOAD_TOO_LARGE,
          "The request body is larger than the gateway accepts");
      case 415 -> send(ctx, ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Send application/json or multipart/form-data");
      default -> sendStatus(ctx, status < 400 ? 500 : status, "HTTP_" + status,
          "The request failed with HTTP status " + status);
    }
  }

  private static void sendStatus(RoutingContext ctx, int status, String error, String reason) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json; charset=utf-8")
        .end(new JsonObject().put("error", error).put("reason", reason).encode());
  }
}
