package cn.yunqian.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Lets a request through only with {@code Authorization: Bearer <token>} for the given token.
 * Compares in constant time; the token never appears in a log or a response.
 */
public final class BearerAuth implements Handler<RoutingContext> {

  /** Key under which the caller's role name is put into the routing context. */
  public static final String ROLE = "yunqian.role";

  private final String role;
  private final byte[] expected;

  public BearerAuth(String role, String token) {
    this.role = role;
    this.expected = token.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (accepts(ctx.request().getHeader("Authorization"))) {
      ctx.put(ROLE, role);
      ctx.next();
      return;
    }
    ctx.fail(401);
  }

  /** Returns whether the Authorization header carries this role's token. */
  public boolean accepts(String authorizationHeader) {
    if (authorizationHeader == null
        || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] presented = authorizationHeader.substring(7).trim()
        .getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, presented);
  }
}
