package cn.yunqian.app;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of one gateway process, read from environment variables.
 *
 * @param dataDir folder for the embedded database, token files, keys and uploads
 * @param httpHost address the HTTP server binds to
 * @param httpPort HTTP port; 0 picks a free one
 * @param pgUrl external PostgreSQL URL ({@code postgresql://user:password@host:port/db}); when
 *     empty the gateway starts its own embedded server under {@code dataDir/pg}
 * @param embeddedPgDir data folder of the embedded server
 * @param embeddedPgPort port of the embedded server
 * @param pkcs11Library path of the PKCS#11 library
 * @param caTokenLabel label of the HSM token that holds the internal CA's key
 * @param maxPdfBytes largest PDF accepted for signing
 * @param maxImageBytes largest handwritten signature image accepted
 * @param environment the variables the settings were read from, for the parts (HSM custody,
 *     certificates, providers) that read their own
 */
public record GatewayConfig(
    Path dataDir,
    String httpHost,
    int httpPort,
    Optional<String> pgUrl,
    Path embeddedPgDir,
    int embeddedPgPort,
    String pkcs11Library,
    String caTokenLabel,
    long maxPdfBytes,
    long maxImageBytes,
    Map<String, String> environment) {

  public static final String DEFAULT_PKCS11_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";

  /** Reads the settings from the given environment, with defaults for a development machine. */
  public static GatewayConfig fromEnvironment(Map<String, String> env) {
    Path dataDir = Path.of(env.getOrDefault("YUNQIAN_DATA_DIR", "data")).toAbsolutePath();
    return new GatewayConfig(
        dataDir,
        env.getOrDefault("YUNQIAN_HTTP_HOST", "127.0.0.1"),
        intSetting(env, "YUNQIAN_HTTP_PORT", 8080),
        Optional.ofNullable(env.get("YUNQIAN_PG_URL")).filter(url -> !url.isBlank()),
        dataDir.resolve("pg"),
        intSetting(env, "YUNQIAN_EMBEDDED_PG_PORT", 54329),
        env.getOrDefault("YUNQIAN_PKCS11_LIBRARY", DEFAULT_PKCS11_LIBRARY),
        env.getOrDefault("YUNQIAN_CA_TOKEN_LABEL", "yunqian-ca"),
        longSetting(env, "YUNQIAN_MAX_PDF_BYTES", 20L * 1024 * 1024),
        longSetting(env, "YUNQIAN_MAX_IMAGE_BYTES", 512L * 1024),
        Map.copyOf(env));
  }

  /** Returns a copy that binds to another port. */
  public GatewayConfig withHttpPort(int port) {
    return new GatewayConfig(dataDir, httpHost, port, pgUrl, embeddedPgDir, embeddedPgPort,
        pkcs11Library, caTokenLabel, maxPdfBytes, maxImageBytes, environment);
  }

  /** Returns a copy whose embedded PostgreSQL keeps its data elsewhere, on another port. */
  public GatewayConfig withEmbeddedPg(Path dir, int port) {
    return new GatewayConfig(dataDir, httpHost, httpPort, pgUrl, dir, port, pkcs11Library,
        caTokenLabel, maxPdfBytes, maxImageBytes, environment);
  }

  /** Returns the largest HTTP body: a PDF in base64 plus room for the other fields. */
  public long maxBodyBytes() {
    return maxPdfBytes * 4 / 3 + maxImageBytes * 4 / 3 + 64 * 1024;
  }

  private static int intSetting(Map<String, String> env, String name, int defaultValue) {
    return (int) longSetting(env, name, defaultValue);
  }

  private static long longSetting(Map<String, String> env, String name, long defaultValue) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
    }
  }

  /** Describes the settings, leaving out the environment and the database URL (passwords). */
  @Override
  public String toString() {
    return "GatewayConfig[dataDir=" + dataDir + ", http=" + httpHost + ":" + httpPort
        + ", database=" + (pgUrl.isPresent() ? "external" : "embedded:" + embeddedPgPort)
        + ", pkcs11Library=" + pkcs11Library + ", caTokenLabel=" + caTokenLabel + "]";
  }
}
