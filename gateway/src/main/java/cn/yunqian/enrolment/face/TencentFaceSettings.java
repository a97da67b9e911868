package cn.yunqian.enrolment.face;

import cn.yunqian.enrolment.ProviderSettings;

/**
 * Settings of the Tencent Cloud FaceID (慧眼) adapter.
 *
 * @param endpoint URL of the FaceID API
 * @param ruleId the RuleId of the verification flow configured in the FaceID console
 */
public record TencentFaceSettings(String endpoint, String ruleId) {

  public static final String ENDPOINT = "YUNQIAN_FACE_ENDPOINT";
  public static final String RULE_ID = "YUNQIAN_FACE_RULE_ID";

  /** Reads the settings, recording problems in {@code settings} instead of throwing. */
  public static TencentFaceSettings read(ProviderSettings settings) {
    return new TencentFaceSettings(
        settings.optional(ENDPOINT, "https://faceid.tencentcloudapi.com"),
        settings.required(RULE_ID));
  }
}
