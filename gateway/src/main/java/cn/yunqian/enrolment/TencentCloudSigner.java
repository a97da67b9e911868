package cn.yunqian.enrolment;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs Tencent Cloud API 3.0 requests with TC3-HMAC-SHA256 (Tencent Cloud document
 * "签名方法 v3"). Only the form the gateway sends is supported: {@code POST /} with an empty
 * query string and a JSON body. Used by both the SMS and the face-verification adapters.
 */
public final class TencentCloudSigner {

  public static final String ALGORITHM = "TC3-HMAC-SHA256";
  private static final String TERMINATOR = "tc3_request";
  private static final DateTimeFormatter UTC_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

  private final String secretId;
  private final byte[] secretKey;

  /**
   * Creates a signer for one key pair.
   *
   * @param secretId the SecretId, which goes into the Authorization header in clear
   * @param secretKey the SecretKey, which never leaves this object
   */
  public TencentCloudSigner(String secretId, String secretKey) {
    this.secretId = Objects.requireNonNull(secretId, "secretId");
    this.secretKey = Objects.requireNonNull(secretKey, "secretKey")
        .getBytes(StandardCharsets.UTF_8);
  }

  public String secretId() {
    return secretId;
  }

  /**
   * Builds the Authorization header value for a {@code POST /} request.
   *
   * @param service the product part of the host name, e.g. {@code sms} or {@code faceid}
   * @param timestamp the request time in Unix seconds, sent as X-TC-Timestamp
   * @param signedHeaders the headers to sign by name, exactly as sent; names are lower-cased
   * @param payload the request body as sent
   */
  public String authorization(String service, long timestamp, Map<String, String> signedHeaders,
      String payload) {
    SortedMap<String, String> headers = lowerCaseNames(signedHeaders);
    String date = utcDate(timestamp);
    String signature = signature(service, timestamp, canonicalRequest(headers, payload));
    return ALGORITHM
        + " Credential=" + secretId + "/" + credentialScope(date, service)
        + ", SignedHeaders=" + String.join(";", headers.keySet())
        + ", Signature=" + signature;
  }

  /**
   * Computes the hex signature of a canonical request. The stand-in servers of the tests call
   * this with the canonical request rebuilt from what they received.
   */
  public String signature(String service, long timestamp, String canonicalRequest) {
    String date = utcDate(timestamp);
    byte[] dateKey = hmacSha256(("TC3" + new String(secretKey, StandardCharsets.UTF_8))
        .getBytes(StandardCharsets.UTF_8), date);
    byte[] serviceKey = hmacSha256(dateKey, service);
    byte[] signingKey = hmacSha256(serviceKey, TERMINATOR);
    String stringToSign = stringToSign(service, timestamp, canonicalRequest);
    return HexFormat.of().formatHex(hmacSha256(signingKey, stringToSign));
  }

  /**
   * Builds the canonical request of a {@code POST /} with an empty query string: method, URI,
   * query, one {@code name:value} line per signed header in name order, the signed header names
   * and the SHA-256 of the payload, joined by newlines. The document lower-cases and trims both
   * the name and the value of each header line.
   */
  public static String canonicalRequest(Map<String, String> signedHeaders, String payload) {
    SortedMap<String, String> headers = lowerCaseNames(signedHeaders);
    StringBuilder canonicalHeaders = new StringBuilder();
    headers.forEach((name, value) ->
        canonicalHeaders.append(name).append(':')
            .append(value.trim().toLowerCase(Locale.ROOT)).append('\n'));
    return "POST\n/\n\n"
        + canonicalHeaders + "\n"
        + String.join(";", headers.keySet()) + "\n"
        + sha256Hex(payload);
  }

  /** Builds the string to sign: algorithm, timestamp, credential scope and request digest. */
  public static String stringToSign(String service, long timestamp, String canonicalRequest) {
    return ALGORITHM + "\n"
        + timestamp + "\n"
        + credentialScope(utcDate(timestamp), service) + "\n"
        + sha256Hex(canonicalRequest);
  }

  /** Returns the UTC date of a Unix timestamp, as the credential scope requires. */
  public static String utcDate(long timestamp) {
    return UTC_DATE.format(Instant.ofEpochSecond(timestamp));
  }

  /** Returns the lower-case hex SHA-256 of the UTF-8 bytes of {@code text}. */
  public static String sha256Hex(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available in this JDK", e);
    }
  }

  @Override
  public String toString() {
    return "TencentCloudSigner[secretId=" + secretId + "]";
  }

  private static String credentialScope(String date, String service) {
    return date + "/" + service + "/" + TERMINATOR;
  }

  private static SortedMap<String, String> lowerCaseNames(Map<String, String> headers) {
    SortedMap<String, String> sorted = new TreeMap<>();
    headers.forEach((name, value) -> sorted.put(name.toLowerCase(Locale.ROOT), value));
    return sorted;
  }

  private static byte[] hmacSha256(byte[] key, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }
}
