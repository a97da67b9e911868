package cn.yunqian.hsm;

import cn.yunqian.GatewayException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health check that makes a real signature with a token key and verifies it with the token's
 * public key, rather than only checking that a session opens. Use the CA token or a dedicated
 * health token; a signer's token is the wrong choice because its PIN is not available.
 */
public final class HsmHealthCheck {

  private static final Logger LOG = LoggerFactory.getLogger(HsmHealthCheck.class);
  private static final int CHALLENGE_BYTES = 32;

  private final SignerTokens tokens;
  private final String tokenLabel;
  private final Supplier<char[]> pinSource;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param pinSource returns a fresh copy of the token's user PIN on each call; the check
   *     clears that copy after use
   */
  public HsmHealthCheck(SignerTokens tokens, String tokenLabel, Supplier<char[]> pinSource) {
    this.tokens = Objects.requireNonNull(tokens, "tokens");
    this.tokenLabel = Objects.requireNonNull(tokenLabel, "tokenLabel");
    this.pinSource = Objects.requireNonNull(pinSource, "pinSource");
  }

  /** Outcome of one check: whether it passed, how long it took, and a reason if it failed. */
  public record Result(boolean healthy, long elapsedMillis, String detail) {
  }

  /**
   * Signs a random challenge on the token and verifies the signature. Blocks on the HSM; run it
   * on a worker thread. HSM failures ({@link GatewayException}) are not thrown but returned as
   * an unhealthy result whose detail starts with the error code.
   */
  public Result check() {
    long start = System.nanoTime();
    byte[] challenge = new byte[CHALLENGE_BYTES];
    random.nextBytes(challenge);
    char[] pin = pinSource.get();
    try (SigningHandle handle = tokens.openForSigning(tokenLabel, pin)) {
      byte[] signature = handle.sign(challenge);
      boolean valid = verify(handle.key(), challenge, signature);
      String detail = valid ? "ok" : "signature from token " + tokenLabel + " did not verify";
      return finish(valid, start, detail);
    } catch (GatewayException e) {
      return finish(false, start, e.code() + ": " + e.getMessage());
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private Result finish(boolean healthy, long startNanos, String detail) {
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    if (!healthy) {
      LOG.error("HSM health check on token {} failed after {} ms: {}", tokenLabel, elapsed,
          detail);
    }
    return new Result(healthy, elapsed, detail);
  }

  private static boolean verify(SignerKey key, byte[] data, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance(key.algorithm().jcaSignatureAlgorithm());
      verifier.initVerify(key.publicKey());
      verifier.update(data);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      LOG.error("Verifying the health check signature of token {} failed", key.tokenLabel(), e);
      return false;
    }
  }
}
