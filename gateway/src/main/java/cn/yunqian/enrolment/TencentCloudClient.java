package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls one Tencent Cloud API 3.0 product ({@code POST /} with a JSON body, signed with
 * TC3-HMAC-SHA256) and unwraps the {@code Response} object of the reply.
 *
 * <p>Every failure (transport error, timeout, HTTP status other than 200, unreadable body, or
 * a {@code Response.Error}) fails the future with a {@link GatewayException} carrying the
 * configured error code. Its reason names the action and the provider's error code, never the
 * request parameters or the provider's message, because both may contain personal data.
 */
public final class TencentCloudClient {

  private static final Logger LOG = LoggerFactory.getLogger(TencentCloudClient.class);
  private static final String CONTENT_TYPE = "application/json; charset=utf-8";
  /**
   * Largest reply accepted. NOTE: an estimate, not a documented limit. A best frame in base64
   * is the largest part the adapters request.
   */
  static final int MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

  private final WebClient webClient;
  private final URI endpoint;
  private final String host;
  private final Api api;
  private final TencentCloudSigner signer;
  private final TencentCloudSettings settings;
  private final ErrorCode failureCode;
  private final Clock clock;

  /**
   * Identifies one product API.
   *
   * @param service the product name used in the credential scope, e.g. {@code sms}
   * @param version the API version sent as X-TC-Version, e.g. {@code 2021-01-11}
   * @param region X-TC-Region, or empty for APIs that do not take it
   */
  public record Api(String service, String version, Optional<String> region) {
  }

  /**
   * Creates a client for one product.
   *
   * @param endpoint absolute http or https URL of the product, e.g.
   *     {@code https://sms.tencentcloudapi.com}
   * @param failureCode the error code of every failure this client reports
   */
  public TencentCloudClient(WebClient webClient, String endpoint, Api api,
      TencentCloudSettings settings, ErrorCode failureCode, Clock clock) {
    this.webClient = Objects.requireNonNull(webClient, "webClient");
    this.endpoint = parseEndpoint(endpoint);
    this.host = this.endpoint.getPort() == -1 ? this.endpoint.getHost()
        : this.endpoint.getHost() + ":" + this.endpoint.getPort();
    this.api = Objects.requireNonNull(api, "api");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.signer = new TencentCloudSigner(settings.secretId(), settings.secretKey());
    this.failureCode = Objects.requireNonNull(failureCode, "failureCode");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Sends one action and returns the {@code Response} object of a successful reply. Runs on the
   * caller's event loop and does not block.
   */
  public Future<JsonObject> call(String action, JsonObject parameters) {
    String payload = parameters.encode();
    long timestamp = clock.instant().getEpochSecond();
    Map<String, String> signedHeaders = Map.of(
        "content-type", CONTENT_TYPE,
        "host", host,
        "x-tc-action", action);
    HttpRequest<Buffer> request = webClient.postAbs(endpoint.toString())
        .putHeader("Content-Type", CONTENT_TYPE)
        .putHeader("X-TC-Action", action)
        .putHeader("X-TC-Version", api.version())
        .putHeader("X-TC-Timestamp", Long.toString(timestamp))
        .putHeader("Authorization",
            signer.authorization(api.service(), timestamp, signedHeaders, payload))
        .timeout(settings.timeout().toMillis());
    api.region().ifPresent(region -> request.putHeader("X-TC-Region", region));
    return request.sendBuffer(Buffer.buffer(payload))
        .recover(error -> Future.failedFuture(transportFailure(action, error)))
        .compose(response -> unwrap(action, response));
  }

  private Future<JsonObject> unwrap(String action, HttpResponse<Buffer> response) {
    if (response.statusCode() != 200) {
      return fail(action, "HTTP " + response.statusCode(), null);
    }
    Buffer body = response.body();
    if (body == null || body.length() > MAX_RESPONSE_BYTES) {
      return fail(action, "reply empty or larger than " + MAX_RESPONSE_BYTES + " bytes", null);
    }
    JsonObject reply;
    try {
      reply = body.toJsonObject().getJsonObject("Response");
    } catch (DecodeException | ClassCastException e) {
      return fail(action, "reply is not JSON with a Response object", null);
    }
    if (reply == null) {
      return fail(action, "reply has no Response object", null);
    }
    Object requestId = reply.getValue("RequestId");
    Object error = reply.getValue("Error");
    if (error != null) {
      Object code = error instanceof JsonObject object ? object.getValue("Code") : error;
      return fail(action, "provider error " + code, requestId);
    }
    LOG.debug("[{}] {} succeeded: requestId={}", api.service(), action, requestId);
    return Future.succeededFuture(reply);
  }

  private <T> Future<T> fail(String action, String cause, Object requestId) {
    String reason = "Tencent Cloud " + api.service() + " " + action + " failed: " + cause;
    LOG.warn("[{}] {} failed: cause='{}' requestId={}", api.service(), action, cause, requestId);
    return Future.failedFuture(new GatewayException(failureCode, reason));
  }

  private GatewayException transportFailure(String action, Throwable error) {
    String cause = error instanceof TimeoutException
        ? "timed out after " + settings.timeout().toMillis() + " ms"
        : "request to " + host + " failed (" + error.getClass().getSimpleName() + ")";
    LOG.warn("[{}] {} failed: cause='{}'", api.service(), action, cause, error);
    return new GatewayException(failureCode,
        "Tencent Cloud " + api.service() + " " + action + " failed: " + cause, error);
  }

  private static URI parseEndpoint(String endpoint) {
    URI uri = URI.create(Objects.requireNonNull(endpoint, "endpoint"));
    String scheme = uri.getScheme();
    if (!("https".equals(scheme) || "http".equals(scheme)) || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "endpoint must be an absolute http or https URL, got '" + endpoint + "'");
    }
    return uri;
  }
}
