package cn.yunqian.api;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.signing.Placement;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads where the visible signature goes: a {@code keyword}, an existing signature
 * {@code field}, or {@code page} with {@code x}, {@code y}, {@code width}, {@code height} in PDF
 * points. In JSON these sit in a {@code placement} object; in a form they are plain fields.
 */
final class PlacementParser {

  private PlacementParser() {
  }

  static Placement parse(RequestFields fields, RoutingContext ctx) {
    if (fields.isJson()) {
      Object placement = fields.json().getValue("placement");
      if (placement == null) {
        throw missing();
      }
      if (!(placement instanceof JsonObject object)) {
        throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
            "The placement must be a JSON object with 'keyword', 'field' or 'page'");
      }
      return fromLookup(name -> object.getValue(name));
    }
    return fromLookup(name -> ctx.request().getFormAttribute(name));
  }

  private static Placement fromLookup(java.util.function.Function<String, Object> lookup) {
    Object keyword = lookup.apply("keyword");
    Object field = lookup.apply("field");
    Object page = lookup.apply("page");
    int given = (keyword != null ? 1 : 0) + (field != null ? 1 : 0) + (page != null ? 1 : 0);
    if (given == 0) {
      throw missing();
    }
    if (given > 1) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "Give exactly one of 'keyword', 'field' or 'page' with a rectangle");
    }
    if (keyword != null) {
      return new Placement.NearKeyword(text(keyword, "keyword"));
    }
    if (field != null) {
      return new Placement.InField(text(field, "field"));
    }
    double pageNumber = number(page, "page");
    if (pageNumber != Math.rint(pageNumber) || pageNumber < 1 || pageNumber > 100_000) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "Placement 'page' must be a whole number from 1");
    }
    return new Placement.OnPage((int) pageNumber, (float) number(lookup.apply("x"), "x"),
        (float) number(lookup.apply("y"), "y"), (float) number(lookup.apply("width"), "width"),
        (float) number(lookup.apply("height"), "height"));
  }

  private static String text(Object value, String name) {
    String text = String.valueOf(value).trim();
    if (text.isEmpty() || text.length() > 200) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "Placement '" + name + "' must be 1 to 200 characters");
    }
    return text;
  }

  private static double number(Object value, String name) {
    if (value == null) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "Placement '" + name + "' is missing");
    }
    try {
      double number = value instanceof Number n ? n.doubleValue()
          : Double.parseDouble(value.toString().trim());
      if (!Double.isFinite(number)) {
        throw new NumberFormatException();
      }
      return number;
    } catch (NumberFormatException e) {
      throw new GatewayException(ErrorCode.PLACEMENT_INVALID,
          "Placement '" + name + "' must be a number");
    }
  }

  private static GatewayException missing() {
    return new GatewayException(ErrorCode.PLACEMENT_INVALID, "The placement is missing: give"
        + " 'keyword', 'field', or 'page' with 'x', 'y', 'width' and 'height'");
  }
}
