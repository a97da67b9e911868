package cn.yunqian.enrolment;

import cn.yunqian.ErrorCode;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.enrolment.face.TencentFaceSettings;
import cn.yunqian.enrolment.face.TencentFaceVerification;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.enrolment.sms.TencentSmsSender;
import cn.yunqian.enrolment.sms.TencentSmsSettings;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the vendor adapters that YUNQIAN_SMS_PROVIDER and YUNQIAN_FACE_PROVIDER select.
 * Other provider names (the development outbox, the built-in face check) belong to the
 * enrolment engine, so for them these methods return an empty result and leave the choice to
 * the caller.
 */
public final class VendorProviders {

  public static final String SMS_PROVIDER = "YUNQIAN_SMS_PROVIDER";
  public static final String FACE_PROVIDER = "YUNQIAN_FACE_PROVIDER";

  private VendorProviders() {
  }

  /**
   * Returns the SMS adapter named by YUNQIAN_SMS_PROVIDER, or empty when it names no vendor
   * adapter.
   *
   * @throws IllegalArgumentException listing every missing or invalid setting of the adapter
   */
  public static Optional<SmsSender> smsSender(Vertx vertx, Map<String, String> env) {
    if (!TencentSmsSender.NAME.equals(env.get(SMS_PROVIDER))) {
      return Optional.empty();
    }
    ProviderSettings settings = new ProviderSettings(env);
    TencentCloudSettings cloud = TencentCloudSettings.read(settings);
    TencentSmsSettings sms = TencentSmsSettings.read(settings);
    settings.check("Tencent Cloud SMS");
    TencentCloudClient client = new TencentCloudClient(WebClient.create(vertx), sms.endpoint(),
        new TencentCloudClient.Api(TencentSmsSender.SERVICE, TencentSmsSender.VERSION,
            Optional.of(cloud.region())),
        cloud, ErrorCode.SMS_SEND_FAILED, Clock.systemUTC());
    return Optional.of(new TencentSmsSender(client, sms));
  }

  /**
   * Returns the face-verification adapter named by YUNQIAN_FACE_PROVIDER, or empty when it
   * names no vendor adapter.
   *
   * @throws IllegalArgumentException listing every missing or invalid setting of the adapter
   */
  public static Optional<FaceVerificationProvider> faceProvider(Vertx vertx,
      Map<String, String> env) {
    if (!TencentFaceVerification.NAME.equals(env.get(FACE_PROVIDER))) {
      return Optional.empty();
    }
    ProviderSettings settings = new ProviderSettings(env);
    TencentCloudSettings cloud = TencentCloudSettings.read(settings);
    TencentFaceSettings face = TencentFaceSettings.read(settings);
    settings.check("Tencent Cloud FaceID");
    // FaceID DetectAuth and GetDetectInfoEnhanced take no X-TC-Region.
    TencentCloudClient client = new TencentCloudClient(WebClient.create(vertx), face.endpoint(),
        new TencentCloudClient.Api(TencentFaceVerification.SERVICE,
            TencentFaceVerification.VERSION, Optional.empty()),
        cloud, ErrorCode.FACE_VERIFICATION_FAILED, Clock.systemUTC());
    return Optional.of(new TencentFaceVerification(client, face));
  }
}
