package cn.yunqian.hsm;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Mode of keeping signers' private keys in the HSM, chosen with {@code YUNQIAN_KEY_CUSTODY}. */
public enum CustodyMode {
  /** One token per signer; the token's user PIN is the signer's PIN. The default. */
  TOKEN_PER_SIGNER("token-per-signer"),
  /** One shared token; each signer's key is stored wrapped under a key derived from the PIN. */
  WRAPPED_KEY("wrapped-key");

  private final String configValue;

  CustodyMode(String configValue) {
    this.configValue = configValue;
  }

  /** Returns the value used in configuration, for example "wrapped-key". */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses a configuration value.
   *
   * @throws IllegalArgumentException if the value names no mode
   */
  public static CustodyMode parse(String value) {
    for (CustodyMode mode : values()) {
      if (mode.configValue.equals(value == null ? null : value.trim())) {
        return mode;
      }
    }
    throw new IllegalArgumentException("unknown key custody mode '" + value + "'; expected "
        + Arrays.stream(values()).map(CustodyMode::configValue)
            .collect(Collectors.joining(" or ")));
  }
}
