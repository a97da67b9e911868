package cn.yunqian.enrolment;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for one Tencent Cloud API 3.0 product on loopback. It rebuilds the canonical
 * request from the headers and body it received, checks the TC3-HMAC-SHA256 signature, the
 * credential scope, the timestamp and the version header, and replies with the vendor's error
 * body {@code AuthFailure.SignatureFailure} when any check fails. Otherwise it replies with
 * what the test set for the action.
 */
public final class TencentCloudStandIn implements AutoCloseable {

  public static final String SECRET_ID = "AKIDstandin0000000000000000000000000";
  public static final String SECRET_KEY = "standin-secret-key-0123456789abcdef";

  private static final Pattern AUTHORIZATION = Pattern.compile(
      "TC3-HMAC-SHA256 Credential=([^/]+)/(\\d{4}-\\d{2}-\\d{2})/([a-z]+)/tc3_request, "
          + "SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})");
  /** Allowed difference between X-TC-Timestamp and the stand-in's clock, in seconds. */
  private static final long MAX_SKEW_SECONDS = 300;

  /** One received request that passed the signature check. */
  public record Received(String action, MultiMap headers, JsonObject body) {
  }

  /** A reply: an HTTP status and a body, or no reply at all when {@code hang} is true. */
  public record Reply(int status, String body, boolean hang) {
    public static Reply json(JsonObject response) {
      return new Reply(200, new JsonObject().put("Response", response).encode(), false);
    }

    public static Reply error(String code, String message) {
      return json(new JsonObject()
          .put("Error", new JsonObject().put("Code", code).put("Message", message))
          .put("RequestId", UUID.randomUUID().toString()));
    }
  }

  private final String service;
  private final String version;
  private final HttpServer server;
  private final Map<String, Reply> replies = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<String> rejected = new CopyOnWriteArrayList<>();

  private TencentCloudStandIn(String service, String version, HttpServer server) {
    this.service = service;
    this.version = version;
    this.server = server;
  }

  /** Starts a stand-in on 127.0.0.1 on a free port. */
  public static TencentCloudStandIn start(Vertx vertx, String service, String version) {
    HttpServer server = vertx.createHttpServer();
    TencentCloudStandIn standIn = new TencentCloudStandIn(service, version, server);
    server.requestHandler(request -> request.body()
        .onSuccess(body -> standIn.handle(request, body)));
    server.listen(0, "127.0.0.1").await();
    return standIn;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Sets the reply to every later request for {@code action}. */
  public void reply(String action, Reply reply) {
    replies.put(action, reply);
  }

  /** Requests that passed the signature check, oldest first. */
  public List<Received> received() {
    return received;
  }

  /** Reasons of the requests that failed a check. */
  public List<String> rejected() {
    return rejected;
  }

  @Override
  public void close() {
    server.close().await();
  }

  private void handle(HttpServerRequest request, Buffer body) {
    String problem = checkRequest(request, body.toString());
    if (problem != null) {
      rejected.add(problem);
      Reply reply = Reply.error("AuthFailure.SignatureFailure", problem);
      request.response().setStatusCode(reply.status()).end(reply.body());
      return;
    }
    String action = request.getHeader("X-TC-Action");
    received.add(new Received(action, request.headers(), body.toJsonObject()));
    Reply reply = replies.getOrDefault(action,
        Reply.error("InvalidAction", "no reply set for " + action));
    if (!reply.hang()) {
      request.response().setStatusCode(reply.status())
          .putHeader("Content-Type", "application/json")
          .end(reply.body());
    }
  }

  /** Returns why the request fails the vendor's checks, or null when it passes. */
  private String checkRequest(HttpServerRequest request, String body) {
    Matcher authorization = AUTHORIZATION.matcher(
        String.valueOf(request.getHeader("Authorization")));
    if (!"POST".equals(request.method().name()) || !"/".equals(request.uri())) {
      return "expected POST /, got " + request.method() + " " + request.uri();
    }
    if (!authorization.matches()) {
      return "Authorization header malformed";
    }

    long timestamp;
    try {
      timestamp = Long.parseLong(String.valueOf(request.getHeader("X-TC-Timestamp")));
    } catch (NumberFormatException e) {
      return "X-TC-Timestamp missing or not a number";
    }
    if (Math.abs(Instant.now().getEpochSecond() - timestamp) > MAX_SKEW_SECONDS) {
      return "X-TC-Timestamp too far from now";
    }
    if (!SECRET_ID.equals(authorization.group(1))
        || !TencentCloudSigner.utcDate(timestamp).equals(authorization.group(2))
        || !service.equals(authorization.group(3))) {
      return "credential scope does not match";
    }
    if (!version.equals(request.getHeader("X-TC-Version"))) {
      return "X-TC-Version is not " + version;
    }

    List<String> signedNames = List.of(authorization.group(4).split(";"));
    if (!signedNames.contains("content-type") || !signedNames.contains("host")) {
      return "content-type and host must be signed";
    }
    Map<String, String> signedHeaders = new TreeMap<>();
    for (String name : signedNames) {
      signedHeaders.put(name, String.valueOf(request.getHeader(name)));
    }

    String expected = new TencentCloudSigner(SECRET_ID, SECRET_KEY).signature(service, timestamp,
        TencentCloudSigner.canonicalRequest(signedHeaders, body));
    return expected.equals(authorization.group(5)) ? null : "signature does not match";
  }
}
