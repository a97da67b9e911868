package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.util.Map;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.UUID;

/**
 * Reads named fields from either a JSON body or a multipart form, with a clear 400 for each
 * missing or malformed field. Values are never echoed back, because some of them are PINs.
 */
final class RequestFields {

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE)
          .build())
      .build();

  private final JsonObject json;
  private final RoutingContext ctx;

  private RequestFields(JsonObject json, RoutingContext ctx) {
    this.json = json;
    this.ctx = ctx;
  }

  /** Wraps the request body: JSON when the content type says so, else the form attributes. */
  static RequestFields of(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    if (type != null && type.toLowerCase().startsWith("application/json")) {
      return new RequestFields(parseObject(ctx.body().buffer()), ctx);
    }
    if (type != null && (type.toLowerCase().startsWith("multipart/form-data")
        || type.toLowerCase().startsWith("application/x-www-form-urlencoded"))) {
      return new RequestFields(null, ctx);
    }
    throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "Send the request as application/json or multipart/form-data, not " + type);
  }

  /**
   * Parses a JSON object. Jackson's default limit of 20 MB per string would turn a large
   * base64 PDF into a parse error, so this parser allows strings up to the body limit, which
   * BodyHandler has already enforced.
   */
  @SuppressWarnings("unchecked")
  static JsonObject parseObject(Buffer body) {
    if (body == null || body.length() == 0) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The JSON body is empty");
    }
    try (JsonParser parser = JSON.createParser(body.getBytes())) {
      Object value = JacksonCodec.fromParser(parser, Object.class);
      if (value instanceof JsonObject object) {
        return object;
      }
      if (value instanceof Map) {
        return new JsonObject((Map<String, Object>) value);
      }
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The JSON body must be an object");
    } catch (IOException | DecodeException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The request body is not valid JSON");
    }
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
    String value = requiredString(name);
    if ((long) value.length() * 3 / 4 > maxBytes + 3) {
      throw new GatewayException(tooLarge, "Field '" + name + "' is larger than " + maxBytes
          + " bytes");
    }
    try {
      // Line breaks are allowed; anything else outside the base64 alphabet is an error.
      return Base64.getDecoder().decode(value.replaceAll("[\\r\\n]", ""));
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' is not valid"
          + " base64");
    }
  }
}
