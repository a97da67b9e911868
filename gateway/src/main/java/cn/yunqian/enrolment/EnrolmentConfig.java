package cn.yunqian.enrolment;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of phone enrolment, read from environment variables.
 *
 * @param clock time source for link expiry, SMS code validity and rate limits
 * @param devMode {@code YUNQIAN_DEV_MODE=true}: enables the SMS outbox endpoint for tests
 * @param faceProvider {@code YUNQIAN_FACE_PROVIDER}: {@code builtin} or the name of a
 *     {@code FaceVerificationProvider}
 * @param livenessThreshold {@code YUNQIAN_FACE_LIVENESS_THRESHOLD}: lowest liveness score from
 *     the page that passes the built-in check, 0.0 to 1.0
 * @param smsDailyCapPerMobile {@code YUNQIAN_SMS_DAILY_CAP_PER_MOBILE}: codes per number in 24 h
 * @param smsDailyCapPerIp {@code YUNQIAN_SMS_DAILY_CAP_PER_IP}: codes per client address in 24 h
 * @param publicBaseUrl {@code YUNQIAN_PUBLIC_BASE_URL}: start of the links put into QR codes;
 *     when empty, the scheme and host of the reviewer's request are used
 * @param presetsFile {@code YUNQIAN_ENROLMENT_PRESETS}: optional JSON file with extra presets
 *     and per-organisation preset choices
 */
public record EnrolmentConfig(
    Clock clock,
    boolean devMode,
    String faceProvider,
    double livenessThreshold,
    int smsDailyCapPerMobile,
    int smsDailyCapPerIp,
    Optional<String> publicBaseUrl,
    Optional<Path> presetsFile) {

  /** Largest ID card photo, per side. */
  public static final long MAX_PHOTO_BYTES = 8L * 1024 * 1024;
  /** Largest face evidence frame. */
  public static final long MAX_FACE_FRAME_BYTES = 2L * 1024 * 1024;

  /** Reads the settings, with defaults for a production deployment (dev mode off). */
  public static EnrolmentConfig fromEnvironment(Map<String, String> env) {
    return new EnrolmentConfig(
        Clock.systemUTC(),
        "true".equalsIgnoreCase(env.getOrDefault("YUNQIAN_DEV_MODE", "false").trim()),
        env.getOrDefault("YUNQIAN_FACE_PROVIDER", "builtin").trim(),
        number(env, "YUNQIAN_FACE_LIVENESS_THRESHOLD", 0.8, 0, 1),
        (int) number(env, "YUNQIAN_SMS_DAILY_CAP_PER_MOBILE", 10, 1, 1000),
        (int) number(env, "YUNQIAN_SMS_DAILY_CAP_PER_IP", 50, 1, 100_000),
        Optional.ofNullable(env.get("YUNQIAN_PUBLIC_BASE_URL")).filter(url -> !url.isBlank()),
        Optional.ofNullable(env.get("YUNQIAN_ENROLMENT_PRESETS")).filter(p -> !p.isBlank())
            .map(Path::of));
  }

  /** Returns a copy with another clock and dev mode setting, for tests. */
  public EnrolmentConfig withClockAndDevMode(Clock otherClock, boolean otherDevMode) {
    return new EnrolmentConfig(otherClock, otherDevMode, faceProvider, livenessThreshold,
        smsDailyCapPerMobile, smsDailyCapPerIp, publicBaseUrl, presetsFile);
  }

  private static double number(Map<String, String> env, String name, double defaultValue,
      double min, double max) {
    String text = env.get(name);
    if (text == null || text.isBlank()) {
      return defaultValue;
    }
    double value;
    try {
      value = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, got '" + text + "'");
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max
          + ", got " + value);
    }
    return value;
  }
}
