package cn.yunqian.web;

import cn.yunqian.app.Gateway;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.enrolment.EnrolmentConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The real gateway, started in this test JVM once and shared by the browser test classes: its
 * own data folder, CA token and database (see {@link cn.yunqian.testing.TestGateway}), dev mode
 * (SMS codes readable from the dev outbox) and a free loopback port.
 */
final class TestGateway {

  private static TestGateway shared;

  private final Gateway gateway;
  private final Path dataDir;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private TestGateway(Gateway gateway, Path dataDir) {
    this.gateway = gateway;
    this.dataDir = dataDir;
  }

  /** Returns the shared gateway, starting it on first use; it stops when the JVM exits. */
  static synchronized TestGateway shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared.gateway::close));
    }
    return shared;
  }

  private static TestGateway start() {
    Map<String, String> env = Map.of("YUNQIAN_DEV_MODE", "true");
    GatewayConfig config = cn.yunqian.testing.TestGateway.config("browser", env);
    Gateway gateway = Gateway.start(config, EnrolmentConfig.fromEnvironment(env))
        .toCompletionStage().toCompletableFuture().join();
    return new TestGateway(gateway, config.dataDir());
  }

  /** Returns the running gateway, for tests that reach its services directly. */
  Gateway gateway() {
    return gateway;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + gateway.port();
  }

  String reviewerToken() {
    return secret("reviewer-api.token");
  }

  String clientToken() {
    return secret("client-api.token");
  }

  private String secret(String file) {
    try {
      return Files.readString(dataDir.resolve("secrets").resolve(file), StandardCharsets.US_ASCII)
          .trim();
    } catch (IOException e) {
      throw new UncheckedIOException("the gateway did not create secrets/" + file, e);
    }
  }

  /** Returns the last SMS code that dev mode recorded for the number, waiting up to 5 s. */
  String lastSmsCode(String mobile) throws Exception {
    String path = "/api/v1/dev/sms-outbox?mobile=" + URLEncoder.encode(mobile,
        StandardCharsets.UTF_8);
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      HttpResponse<String> response = send(HttpRequest.newBuilder(uri(path)).GET(), null);
      if (response.statusCode() == 200) {
        return new JsonObject(response.body()).getString("code");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no SMS code for " + mobile + " in the dev outbox: HTTP "
            + response.statusCode() + " " + response.body());
      }
      Thread.sleep(200);
    }
  }

  /** Sends a JSON request with the bearer token and returns the response, whatever its status. */
  HttpResponse<String> json(String method, String path, String token, JsonObject body)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
        .method(method, body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()))
        .header("content-type", "application/json");
    return send(request, token);
  }

  /** Sends a JSON request and returns the binary response body, failing on a non-2xx status. */
  byte[] jsonForBytes(String path, String token, JsonObject body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(uri(path))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .header("content-type", "application/json")
        .header("authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(60))
        .build();
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() / 100 != 2) {
      throw new AssertionError(path + " returned HTTP " + response.statusCode() + ": "
          + new String(response.body(), StandardCharsets.UTF_8));
    }
    return response.body();
  }

  private HttpResponse<String> send(HttpRequest.Builder request, String token) throws Exception {
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private URI uri(String path) {
    return URI.create(baseUrl() + path);
  }
}
