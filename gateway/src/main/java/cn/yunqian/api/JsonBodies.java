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
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;

/** Reads JSON request bodies, the same way on every route. */
public final class JsonBodies {

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE)
          .build())
      .build();

  private JsonBodies() {
  }

  /**
   * Returns the body of a request that must be {@code application/json}.
   *
   * @throws GatewayException UNSUPPORTED_MEDIA_TYPE for another content type, INVALID_REQUEST
   *     for a body that is empty, not JSON, not an object or contains a NUL character
   */
  public static JsonObject object(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    if (type == null || !type.toLowerCase().startsWith("application/json")) {
      throw new GatewayException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Send this request as application/json");
    }
    return parseObject(ctx.body().buffer());
  }

  /**
   * Returns a string field, or null when it is absent.
   *
   * @throws GatewayException INVALID_REQUEST when the field is present but not a string
   */
  public static String string(JsonObject body, String name) {
    Object value = body.getValue(name);
    if (value != null && !(value instanceof String)) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name
          + "' must be a string");
    }
    return (String) value;
  }

  /**
   * Returns a string field that must be present and not empty.
   *
   * @throws GatewayException INVALID_REQUEST when it is missing, empty or not a string
   */
  public static String required(JsonObject body, String name) {
    String value = string(body, name);
    if (value == null || value.isEmpty()) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name + "' is missing");
    }
    return value;
  }

  /**
   * Decodes a required base64 field; a {@code data:...;base64,} prefix is allowed.
   *
   * @throws GatewayException PAYLOAD_TOO_LARGE over {@code maxBytes}, INVALID_REQUEST when it
   *     is missing or not base64
   */
  public static byte[] base64(JsonObject body, String name, long maxBytes) {
    return decodeBase64(required(body, name), name, maxBytes, ErrorCode.PAYLOAD_TOO_LARGE);
  }

  /**
   * Decodes base64 text, checking its decoded size against {@code maxBytes} first. Line
   * breaks are allowed; any other character outside the base64 alphabet is an error.
   */
  public static byte[] decodeBase64(String value, String name, long maxBytes,
      ErrorCode tooLarge) {
    int comma = value.startsWith("data:") ? value.indexOf(',') : -1;
    String data = comma >= 0 ? value.substring(comma + 1) : value;
    if ((long) data.length() * 3 / 4 > maxBytes + 3) {
      throw new GatewayException(tooLarge, "Field '" + name + "' is larger than " + maxBytes
          + " bytes");
    }
    try {
      return Base64.getDecoder().decode(data.replaceAll("[\\r\\n]", ""));
    } catch (IllegalArgumentException e) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "Field '" + name
          + "' is not valid base64");
    }
  }

  /**
   * Parses a JSON object. Jackson's default limit of 20 MB per string would turn a large
   * base64 PDF into a parse error, so this parser allows strings up to the body limit, which
   * BodyHandler has already enforced.
   */
  @SuppressWarnings("unchecked")
  public static JsonObject parseObject(Buffer body) {
    if (body == null || body.length() == 0) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST, "The JSON body is empty");
    }
    // PostgreSQL text columns cannot hold NUL, and no field of ours needs one.
    if (containsEscapedNul(body.getBytes())) {
      throw new GatewayException(ErrorCode.INVALID_REQUEST,
          "The JSON body contains a NUL character (\\u0000)");
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

  private static boolean containsEscapedNul(byte[] bytes) {
    byte[] escape = {'\\', 'u', '0', '0', '0', '0'};
    outer:
    for (int i = 0; i + escape.length <= bytes.length; i++) {
      for (int j = 0; j < escape.length; j++) {
        if (bytes[i + j] != escape[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
