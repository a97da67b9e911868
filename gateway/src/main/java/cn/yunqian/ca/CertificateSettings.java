package cn.yunqian.ca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Settings of the certificate lifecycle, read from environment variables.
 *
 * @param publicBaseUrl URL under which relying parties reach this gateway, without a trailing
 *     slash; the CRL distribution point is this plus {@link CrlPublisher#PATH}
 * @param crlValidity time from thisUpdate to nextUpdate of each CRL
 * @param expiryWindow how long before notAfter the expiry job warns
 * @param expiryCheckInterval how often the expiry job runs
 * @param trustAnchorsFile PEM file with the root certificates that imported chains must reach,
 *     or empty when importing is not configured
 * @param padesLevel {@code B-B}, or {@code B-LT} to embed revocation data in signatures
 * @param officerTokensDir folder with one {@code <name>.token} file per named officer
 */
public record CertificateSettings(
    String publicBaseUrl,
    Duration crlValidity,
    Duration expiryWindow,
    Duration expiryCheckInterval,
    Optional<Path> trustAnchorsFile,
    String padesLevel,
    Path officerTokensDir) {

  /**
   * Reads {@code YUNQIAN_PUBLIC_BASE_URL} (default {@code http://<host>:<port>}),
   * {@code YUNQIAN_CRL_VALIDITY_HOURS} (24), {@code YUNQIAN_CERT_EXPIRY_WARNING_DAYS} (30),
   * {@code YUNQIAN_CERT_EXPIRY_CHECK_MINUTES} (60), {@code YUNQIAN_TRUST_ANCHORS} (default
   * {@code dataDir/trust-anchors.pem} when that file exists), {@code YUNQIAN_PADES_LEVEL}
   * ({@code B-B}) and {@code YUNQIAN_OFFICER_TOKENS_DIR} ({@code dataDir/secrets/officers}).
   */
  public static CertificateSettings fromEnvironment(Map<String, String> env, Path dataDir,
      String httpHost, int httpPort) {
    String base = env.getOrDefault("YUNQIAN_PUBLIC_BASE_URL", "http://" + httpHost + ":"
        + httpPort);
    Optional<Path> anchors = Optional.ofNullable(env.get("YUNQIAN_TRUST_ANCHORS"))
        .filter(value -> !value.isBlank())
        .map(Path::of)
        .or(() -> Optional.of(dataDir.resolve("trust-anchors.pem")).filter(Files::exists));
    String level = env.getOrDefault("YUNQIAN_PADES_LEVEL", "B-B").trim().toUpperCase(Locale.ROOT);
    if (!level.equals("B-B") && !level.equals("B-LT")) {
      throw new IllegalArgumentException("YUNQIAN_PADES_LEVEL must be B-B or B-LT, got '"
          + level + "'");
    }
    return new CertificateSettings(
        base.endsWith("/") ? base.substring(0, base.length() - 1) : base,
        Duration.ofHours(longSetting(env, "YUNQIAN_CRL_VALIDITY_HOURS", 24)),
        Duration.ofDays(longSetting(env, "YUNQIAN_CERT_EXPIRY_WARNING_DAYS", 30)),
        Duration.ofMinutes(longSetting(env, "YUNQIAN_CERT_EXPIRY_CHECK_MINUTES", 60)),
        anchors,
        level,
        Path.of(env.getOrDefault("YUNQIAN_OFFICER_TOKENS_DIR",
            dataDir.resolve("secrets").resolve("officers").toString())));
  }

  /** Returns the URL of the internal CA's CRL. */
  public String crlUrl() {
    return publicBaseUrl + CrlPublisher.PATH;
  }

  /**
   * Reads the trust anchors from {@link #trustAnchorsFile()}, or returns an empty set when none
   * is configured.
   *
   * @throws IllegalStateException if the file cannot be read or contains no certificate
   */
  public Set<TrustAnchor> loadTrustAnchors() {
    if (trustAnchorsFile.isEmpty()) {
      return Set.of();
    }
    Path file = trustAnchorsFile.get();
    try {
      byte[] pem = Files.readAllBytes(file);
      Set<TrustAnchor> anchors = new HashSet<>();
      for (var certificate : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem))) {
        anchors.add(new TrustAnchor((X509Certificate) certificate, null));
      }
      if (anchors.isEmpty()) {
        throw new IllegalStateException("trust anchor file " + file + " contains no certificate");
      }
      return anchors;
    } catch (IOException e) {
      throw new UncheckedIOException("failed to read trust anchor file " + file, e);
    } catch (CertificateException e) {
      throw new IllegalStateException("trust anchor file " + file
          + " is not a list of PEM certificates: " + e.getMessage(), e);
    }
  }

  private static long longSetting(Map<String, String> env, String name, long defaultValue) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed <= 0) {
        throw new IllegalArgumentException(name + " must be positive, got '" + value + "'");
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
    }
  }
}
