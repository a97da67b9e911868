package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.UUID;

/**
 * Reads named fields from either a JSON body or a multipart form, with a clear 400 for each
 * missing or malformed field. Values are never echoed back, because some of them are PINs.
 */
final class RequestFields {

  private final JsonObject json;
  private final RoutingContext ctx;

  private RequestFields(JsonObject json, RoutingContext ctx) {
    this.json = json;
    this.ctx = ctx;
  }

  /** Wraps the request body: JSON when the content type is JSON, else the form attributes. */
  static RequestFields of(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    if (type != null && type.toLowerCase().startsWith("application/json")) {
      return new RequestFields(JsonBodies.parseObject(ctx.body().buffer()), ctx);
    }
    if (type != null && (type.toLowerCase().startsWith("multipart/form-data")
        || type.toLowerCase().startsWith("application/x-www-form-urlencoded"))) {
      return new RequestFields(null, ctx);
    }
    throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "Send the request as application/json or multipart/form-data"
            + (type == null ? "; the Content-Type header is missing" : ", not " + type));
  }

  boolean isJson() {
    return json != null;
  }

  JsonObject json() {
    return json;
  }

  String optionalString(String name) {
    Object value = json != null ? json.getValue(name) : ctx.request().getFormAttribute(name);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' must be a"
          + " string");
    }
    return text;
  }

  String requiredString(String name) {
    String value = optionalString(name);
    if (value == null || value.isEmpty()) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' is missing");
    }
    return value;
  }

  UUID requiredUuid(String name) {
    String value = requiredString(name);
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' is not a UUID");
    }
  }

  /** Decodes a base64 field, checking its decoded size against {@code maxBytes} first. */
  byte[] requiredBase64(String name, long maxBytes, ErrorCode tooLarge) {
    return JsonBodies.decodeBase64(requiredString(name), name, maxBytes, tooLarge);
  }

}
