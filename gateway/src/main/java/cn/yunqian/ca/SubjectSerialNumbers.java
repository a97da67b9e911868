package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Derives the X.520 serialNumber attribute of a signer's certificate subject from the
 * signer's resident ID number.
 *
 * <p>A certificate is handed to every party that checks a signed bid, so it must not carry the
 * ID number itself. The attribute is still a stable identifier: the same person gets the same
 * value on every certificate of one deployment, which lets relying parties tell two people of
 * the same name apart. HMAC-SHA256 keyed with a deployment secret gives that: without the secret
 * nobody can test guesses against the value, and the 18-digit ID space is small enough that an
 * unkeyed hash could be reversed by trying every valid number.
 */
public final class SubjectSerialNumbers {

  /** Prefix that marks a value derived by this class. */
  public static final String PREFIX = "YQ-";

  /** Minimum length of the deployment secret; HMAC-SHA256 gains nothing past 32 bytes. */
  public static final int MIN_SECRET_BYTES = 32;

  private static final Pattern RESIDENT_ID = Pattern.compile("\\d{17}[\\dX]");
  private static final int OUTPUT_BYTES = 16;

  private SubjectSerialNumbers() {
  }

  /**
   * Returns "YQ-" followed by 32 lower-case hex digits: the first 128 bits of
   * HMAC-SHA256(deploymentSecret, residentIdNumber). A lower-case check character "x" is
   * treated as "X". The result is a PrintableString of 35 characters, within the 64-character
   * limit for serialNumber in RFC 5280, appendix A.
   *
   * @throws GatewayException ID_NUMBER_INVALID if the ID number is not 17 digits followed by a
   *     digit or X (the checksum is not verified here)
   * @throws IllegalArgumentException if the secret is shorter than 32 bytes
   */
  public static String derive(String residentIdNumber, byte[] deploymentSecret) {
    Objects.requireNonNull(residentIdNumber, "residentIdNumber");
    Objects.requireNonNull(deploymentSecret, "deploymentSecret");
    String normalized = residentIdNumber.strip().toUpperCase(Locale.ROOT);
    if (!RESIDENT_ID.matcher(normalized).matches()) {
      throw new GatewayException(ErrorCode.ID_NUMBER_INVALID,
          "resident ID number must be 17 digits followed by a digit or X");
    }
    if (deploymentSecret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("deployment secret must be at least "
          + MIN_SECRET_BYTES + " bytes, got " + deploymentSecret.length);
    }

    byte[] mac = hmacSha256(deploymentSecret, normalized.getBytes(StandardCharsets.US_ASCII));
    return PREFIX + HexFormat.of().formatHex(mac, 0, OUTPUT_BYTES);
  }

  private static byte[] hmacSha256(byte[] key, byte[] message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }
}
