package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key custody with one token per signer, on top of {@link SignerTokens}. Each operation opens
 * its own session and closes it again, so a session that the HSM dropped costs one retry.
 */
public final class TokenPerSignerCustody implements KeyCustody {

  private static final Logger LOG = LoggerFactory.getLogger(TokenPerSignerCustody.class);

  private final SignerTokens tokens;

  public TokenPerSignerCustody(SignerTokens tokens) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
  }

  @Override
  public CustodyMode mode() {
    return CustodyMode.TOKEN_PER_SIGNER;
  }

  public SignerTokens tokens() {
    return tokens;
  }

  @Override
  public NewKey create(String label, char[] pin, KeyAlgorithm algorithm) {
    SignerKey key = tokens.create(label, pin, algorithm);
    return new NewKey(CustodyKey.token(label), key);
  }

  @Override
  public SigningHandle openForSigning(CustodyKey key, char[] pin) {
    String label = requireMode(key);
    try {
      return tokens.openForSigning(label, pin);
    } catch (GatewayException e) {
      if (!Pkcs11Errors.isSessionLost(e)) {
        throw e;
      }
      LOG.warn("Session on token {} was lost while opening it ({}); retrying once", label,
          e.getMessage());
      return tokens.openForSigning(label, pin);
    }
  }

  @Override
  public CustodyKey changePin(CustodyKey key, char[] oldPin, char[] newPin) {
    tokens.changePin(requireMode(key), oldPin, newPin);
    return key;
  }

  @Override
  public void destroy(CustodyKey key, char[] pin) {
    tokens.destroyKey(requireMode(key), pin);
  }

  @Override
  public PrivateKeyAttributes readAttributes(CustodyKey key, char[] pin) {
    return tokens.readPrivateKeyAttributes(requireMode(key), pin);
  }

  private static String requireMode(CustodyKey key) {
    Objects.requireNonNull(key, "key");
    if (key.mode() != CustodyMode.TOKEN_PER_SIGNER) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE, "key " + key.label()
          + " is in " + key.mode().configValue() + " custody, but the gateway runs"
          + " token-per-signer custody; set YUNQIAN_KEY_CUSTODY to match the stored keys");
    }
    return key.label();
  }
}
