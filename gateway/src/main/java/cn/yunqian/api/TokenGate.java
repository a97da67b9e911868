package cn.yunqian.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Predicate;

/**
 * Runs before the body is read on {@code /api/*}: a request to a token-protected path must
 * carry some valid bearer token, or it is rejected with 401 before the gateway buffers up to
 * the body limit for it. Each route still checks the role it needs after this gate.
 * The phone enrolment and PIN pages authenticate with their cookies, so their paths pass
 * through.
 */
public final class TokenGate implements Handler<RoutingContext> {

  private static final List<String> PUBLIC_PREFIXES =
      List.of("/api/v1/enrolments", "/api/v1/dev/", "/api/v1/pin/");

  private final List<Predicate<String>> tokenChecks;

  /** @param tokenChecks each returns whether an Authorization header carries its token */
  public TokenGate(List<Predicate<String>> tokenChecks) {
    this.tokenChecks = List.copyOf(tokenChecks);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (PUBLIC_PREFIXES.stream().anyMatch(path::startsWith)) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (tokenChecks.stream().anyMatch(check -> check.test(header))) {
      ctx.next();
      return;
    }
    ctx.fail(401);
  }
}
