package cn.yunqian.hsm;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * HSM and key-custody settings of one gateway, read from environment variables.
 *
 * @param custodyMode raw value of {@code YUNQIAN_KEY_CUSTODY}; checked by {@link HsmConfigCheck}
 * @param libraryPath PKCS#11 library
 * @param softHsmConfig value of {@code SOFTHSM2_CONF}, if set
 * @param caPinFile file with the CA token's user PIN
 * @param servicePinFile file with the shared token's user PIN (wrapped-key custody)
 * @param sharedTokenLabel label of the shared token (wrapped-key custody)
 * @param maxSessions size of the shared token's session pool
 * @param pinKdfIterations PBKDF2 iterations for new wrappings (wrapped-key custody)
 */
public record HsmSettings(
    String custodyMode,
    Path libraryPath,
    Optional<Path> softHsmConfig,
    Path caPinFile,
    Path servicePinFile,
    String sharedTokenLabel,
    int maxSessions,
    int pinKdfIterations) {

  /** Default label of the shared token in wrapped-key custody. */
  public static final String DEFAULT_SHARED_TOKEN_LABEL = "yunqian-keys";
  /** Default session pool size; a guess that fits the gateway's worker pool, not a measurement. */
  public static final int DEFAULT_MAX_SESSIONS = 8;

  /**
   * Reads the settings: {@code YUNQIAN_KEY_CUSTODY} (default token-per-signer),
   * {@code YUNQIAN_HSM_SHARED_TOKEN}, {@code YUNQIAN_HSM_MAX_SESSIONS} and
   * {@code YUNQIAN_PIN_KDF_ITERATIONS}, plus {@code SOFTHSM2_CONF}.
   *
   * @param secretsDir folder of the PIN files, {@code dataDir/secrets}
   * @throws IllegalArgumentException if a number setting is not a whole number
   */
  public static HsmSettings fromEnvironment(Map<String, String> env, Path libraryPath,
      Path secretsDir) {
    return new HsmSettings(
        env.getOrDefault("YUNQIAN_KEY_CUSTODY", CustodyMode.TOKEN_PER_SIGNER.configValue()),
        libraryPath,
        Optional.ofNullable(env.get("SOFTHSM2_CONF")).filter(v -> !v.isBlank()).map(Path::of),
        secretsDir.resolve("ca-token.pin"),
        secretsDir.resolve("service-token.pin"),
        env.getOrDefault("YUNQIAN_HSM_SHARED_TOKEN", DEFAULT_SHARED_TOKEN_LABEL),
        intSetting(env, "YUNQIAN_HSM_MAX_SESSIONS", DEFAULT_MAX_SESSIONS),
        intSetting(env, "YUNQIAN_PIN_KDF_ITERATIONS", WrappedKeyCustody.DEFAULT_ITERATIONS));
  }

  private static int intSetting(Map<String, String> env, String name, int defaultValue) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
    }
  }
}
