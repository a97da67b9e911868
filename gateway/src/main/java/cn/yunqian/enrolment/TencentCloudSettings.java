package cn.yunqian.enrolment;

import java.time.Duration;

/**
 * Credentials and transport settings shared by the Tencent Cloud adapters.
 *
 * @param secretId the API SecretId
 * @param secretKey the API SecretKey, read from a file and left out of {@link #toString()}
 * @param region value of X-TC-Region for APIs that require it (SMS), e.g. {@code ap-guangzhou}
 * @param timeout limit for one API call, connection included
 */
public record TencentCloudSettings(String secretId, String secretKey, String region,
    Duration timeout) {

  public static final String SECRET_ID = "YUNQIAN_TENCENTCLOUD_SECRET_ID";
  public static final String SECRET_KEY_FILE = "YUNQIAN_TENCENTCLOUD_SECRET_KEY_FILE";
  public static final String REGION = "YUNQIAN_TENCENTCLOUD_REGION";
  public static final String TIMEOUT_MILLIS = "YUNQIAN_TENCENTCLOUD_TIMEOUT_MILLIS";

  /** Reads the settings, recording problems in {@code settings} instead of throwing. */
  public static TencentCloudSettings read(ProviderSettings settings) {
    return new TencentCloudSettings(
        settings.required(SECRET_ID),
        settings.secretFromFile(SECRET_KEY_FILE),
        settings.optional(REGION, "ap-guangzhou"),
        Duration.ofMillis(settings.positiveLong(TIMEOUT_MILLIS, 10_000)));
  }

  @Override
  public String toString() {
    return "TencentCloudSettings[secretId=" + secretId + ", region=" + region
        + ", timeout=" + timeout + "]";
  }
}
