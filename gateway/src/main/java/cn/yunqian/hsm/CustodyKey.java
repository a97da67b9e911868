package cn.yunqian.hsm;

import java.util.Objects;

/**
 * Reference to a signer's key, as the database stores it: the custody mode, the label and, in
 * wrapped-key custody only, the encoded {@link WrappedKey}. The label is the token label in
 * token-per-signer custody and the key's label in wrapped-key custody. Contains no secret that
 * works without the HSM.
 *
 * @param wrappedKey {@link WrappedKey#encode()} output, or null in token-per-signer custody
 */
public record CustodyKey(CustodyMode mode, String label, byte[] wrappedKey) {

  public CustodyKey {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(label, "label");
    if (mode == CustodyMode.WRAPPED_KEY && wrappedKey == null) {
      throw new IllegalArgumentException("wrapped-key custody needs the wrapped key of " + label);
    }
    wrappedKey = wrappedKey == null ? null : wrappedKey.clone();
  }

  /** Returns the reference to a signer token. */
  public static CustodyKey token(String tokenLabel) {
    return new CustodyKey(CustodyMode.TOKEN_PER_SIGNER, tokenLabel, null);
  }

  @Override
  public byte[] wrappedKey() {
    return wrappedKey == null ? null : wrappedKey.clone();
  }

  @Override
  public String toString() {
    return "CustodyKey[" + mode.configValue() + ", " + label + "]";
  }
}
