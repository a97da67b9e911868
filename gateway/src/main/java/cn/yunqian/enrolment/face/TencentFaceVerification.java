package cn.yunqian.enrolment.face;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.enrolment.TencentCloudClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Face verification through Tencent Cloud FaceID (慧眼) H5, API version 2018-03-01:
 * {@code DetectAuth} returns a BizToken and the H5 page URL; when the phone comes back,
 * {@code GetDetectInfoEnhanced} returns the outcome. The ID number is sent to the provider but
 * never logged or put into a result.
 */
public final class TencentFaceVerification implements FaceVerificationProvider {

  /** Value of YUNQIAN_FACE_PROVIDER that selects this adapter. */
  public static final String NAME = "tencent";
  /** Product and version of the FaceID API, for {@link TencentCloudClient}. */
  public static final String SERVICE = "faceid";
  public static final String VERSION = "2018-03-01";

  private static final Logger LOG = LoggerFactory.getLogger(TencentFaceVerification.class);
  /** InfoType of GetDetectInfoEnhanced: 1 is the text result, 3 the best frame. */
  private static final String TEXT_AND_BEST_FRAME = "13";

  private final TencentCloudClient client;
  private final TencentFaceSettings settings;

  public TencentFaceVerification(TencentCloudClient client, TencentFaceSettings settings) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Calls DetectAuth. The provider sends the phone to {@code request.returnUrl()} with
   * {@code token=<BizToken>} appended when the person is done. Fails with
   * FACE_VERIFICATION_FAILED when the call fails or the reply lacks a BizToken or a usable Url.
   */
  @Override
  public Future<FaceSession> start(FaceStartRequest request) {
    Objects.requireNonNull(request, "request");
    JsonObject parameters = new JsonObject()
        .put("RuleId", settings.ruleId())
        .put("IdCard", request.idNumber())
        .put("Name", request.name())
        .put("RedirectUrl", request.returnUrl())
        .put("Extra", request.enrolmentId());
    return client.call("DetectAuth", parameters)
        .compose(response -> toSession(response, request.enrolmentId()));
  }

  /**
   * Calls GetDetectInfoEnhanced. {@code Text.ErrCode} 0 means the live face matched the ID
   * photo and any other code is a failed verification. A missing code or code 17 means the
   * person has not finished. That is also reported as not passed, and the detail states it.
   */
  @Override
  public Future<FaceResult> result(String providerSessionId) {
    Objects.requireNonNull(providerSessionId, "providerSessionId");
    JsonObject parameters = new JsonObject()
        .put("BizToken", providerSessionId)
        .put("RuleId", settings.ruleId())
        .put("InfoType", TEXT_AND_BEST_FRAME);
    return client.call("GetDetectInfoEnhanced", parameters)
        .compose(TencentFaceVerification::toFaceResult)
        .onSuccess(result -> LOG.info("[faceid] result: bizToken={} passed={} detail='{}'",
            providerSessionId, result.passed(), result.detail()));
  }

  private static Future<FaceResult> toFaceResult(JsonObject response) {
    try {
      return Future.succeededFuture(TencentDetectInfo.toFaceResult(response));
    } catch (ClassCastException e) {
      return Future.failedFuture(new GatewayException(ErrorCode.FACE_VERIFICATION_FAILED,
          "Tencent Cloud faceid GetDetectInfoEnhanced reply has fields of unexpected types", e));
    }
  }

  private Future<FaceSession> toSession(JsonObject response, String enrolmentId) {
    Object bizToken = response.getValue("BizToken");
    Object url = response.getValue("Url");
    if (!(bizToken instanceof String token) || token.isBlank() || !isWebUrl(url)) {
      return Future.failedFuture(new GatewayException(ErrorCode.FACE_VERIFICATION_FAILED,
          "Tencent Cloud faceid DetectAuth reply lacks a BizToken or an http(s) Url"));
    }
    LOG.info("[faceid] started: enrolmentId={} bizToken={} requestId={}", enrolmentId, bizToken,
        response.getString("RequestId"));
    return Future.succeededFuture(new FaceSession(token, (String) url));
  }

  private static boolean isWebUrl(Object url) {
    if (!(url instanceof String text)) {
      return false;
    }
    try {
      URI uri = new URI(text);
      return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
          && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
