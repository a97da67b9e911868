package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.params.KEY_DERIVATION_STRING_DATA;

/**
 * Key custody on one shared token, for HSMs with a single partition. The token stays logged in
 * with a service PIN and holds a root secret: a 256-bit AES key that is sensitive, not
 * extractable, and may only derive.
 *
 * <p>Each signer's key-encryption key (KEK) is derived inside the HSM: the JVM computes
 * {@code PBKDF2-HMAC-SHA256(PIN, salt, iterations)} (32 bytes) and the HSM encrypts it with the
 * root secret ({@code C_DeriveKey} with CKM_AES_ECB_ENCRYPT_DATA, PKCS#11 v2.40 section 2.14).
 * The result is a 256-bit session AES key that never leaves the HSM. The key pair is generated
 * in the HSM as session objects, wrapped with CKM_AES_KEY_WRAP_PAD under the KEK, and only the
 * wrapped blob is kept (in the database). To sign, the HSM unwraps the blob into a session
 * object that is sensitive and not extractable, and the handle destroys it when closed.
 *
 * <p>A wrong PIN gives a wrong KEK, and the HSM's unwrap integrity check rejects the blob:
 * SoftHSM2 2.6.1 returns CKR_GENERAL_ERROR, other HSMs may return CKR_WRAPPED_KEY_INVALID or
 * CKR_ENCRYPTED_DATA_INVALID. All three are reported as PIN_INCORRECT, so a damaged blob also
 * looks like a wrong PIN.
 *
 * <p>What this gives up against token-per-signer custody: the private key was extractable
 * (under the KEK) at enrolment and at every PIN change, so CKA_LOCAL, CKA_ALWAYS_SENSITIVE and
 * CKA_NEVER_EXTRACTABLE of the unwrapped key are false, and the PIN and its PBKDF2 output pass
 * through the JVM.
 */
public final class WrappedKeyCustody implements KeyCustody, AutoCloseable {

  /** Default PBKDF2 iteration count; about 40 ms per derivation on the development machine. */
  public static final int DEFAULT_ITERATIONS = 100_000;
  /** CKA_LABEL of the root secret in the shared token. */
  static final String ROOT_SECRET_LABEL = "pin-kek-root";

  private static final Logger LOG = LoggerFactory.getLogger(WrappedKeyCustody.class);
  private static final int AES_256_BYTES = 32;
  private static final int SALT_BYTES = 16;
  private static final int KEY_ID_BYTES = 16;
  private static final long WRAP_MECHANISM = PKCS11Constants.CKM_AES_KEY_WRAP_PAD;

  private final SessionPool pool;
  private final String tokenLabel;
  private final int iterations;
  /** Cached handle of the root secret; found again when the HSM no longer knows it. */
  private final AtomicLong rootSecret;
  private final SecureRandom random = new SecureRandom();

  private WrappedKeyCustody(SessionPool pool, String tokenLabel, int iterations,
      long rootSecret) {
    this.pool = pool;
    this.tokenLabel = tokenLabel;
    this.iterations = iterations;
    this.rootSecret = new AtomicLong(rootSecret);
  }

  /**
   * Opens the shared token, creating it and its root secret on first use (the token with a
   * random, discarded SO PIN), and logs in with {@code servicePin}.
   *
   * @param servicePin the shared token's user PIN; copied, the caller clears its array
   * @param maxSessions size of the session pool
   * @param iterations PBKDF2 iterations for new wrappings; existing blobs keep their own count
   */
  public static WrappedKeyCustody open(SignerTokens tokens, String tokenLabel,
      char[] servicePin, int maxSessions, Duration leaseTimeout, int iterations) {
    Objects.requireNonNull(servicePin, "servicePin");
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be positive, got " + iterations);
    }
    if (!tokens.exists(tokenLabel)) {
      tokens.createEmpty(tokenLabel, servicePin);
    }
    SessionPool pool = new SessionPool(tokens.module(), tokenLabel, servicePin, maxSessions,
        leaseTimeout.toMillis());
    try {
      long root = pool.call("C_FindObjects", WrappedKeyCustody::findOrCreateRootSecret);
      LOG.info("Opened wrapped-key custody on token {} with up to {} sessions", tokenLabel,
          maxSessions);
      return new WrappedKeyCustody(pool, tokenLabel, iterations, root);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  @Override
  public CustodyMode mode() {
    return CustodyMode.WRAPPED_KEY;
  }

  /** Returns the label of the shared token. */
  public String tokenLabel() {
    return tokenLabel;
  }

  /** Returns the number of sessions open on the shared token, leased or idle. */
  public int openSessions() {
    return pool.openSessions();
  }

  @Override
  public NewKey create(String label, char[] pin, KeyAlgorithm algorithm) {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(algorithm, "algorithm");
    byte[] keyId = randomBytes(KEY_ID_BYTES);
    byte[] salt = randomBytes(SALT_BYTES);
    WrappedKey wrapped = pool.call("create key", session -> {
      PKCS11KeyPair pair = TokenKeys.generateExtractableSessionPair(session, label, keyId,
          algorithm);
      try {
        SignerKey publicKey = TokenKeys.readPublicKey(session, pair.getPublicKey(), label);
        byte[] blob = wrapUnderPin(session, pair.getPrivateKey(), pin, salt, iterations);
        return new WrappedKey(label, algorithm, keyId, salt, iterations,
            publicKey.publicKeyInfo().getEncoded(), blob);
      } catch (java.io.IOException e) {
        throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
            "public key of " + label + " cannot be encoded", e);
      } finally {
        destroyQuietly(session, pair.getPrivateKey());
        destroyQuietly(session, pair.getPublicKey());
      }
    });
    LOG.info("Created wrapped {} key {} for {}", algorithm, wrapped.signerKey().keyIdHex(),
        label);
    return new NewKey(new CustodyKey(CustodyMode.WRAPPED_KEY, label, wrapped.encode()),
        wrapped.signerKey());
  }

  @Override
  public SigningHandle openForSigning(CustodyKey key, char[] pin) {
    WrappedKey wrapped = requireMode(key);
    Objects.requireNonNull(pin, "pin");
    for (int attempt = 1; ; attempt++) {
      Session session = pool.lease();
      long privateKey;
      try {
        privateKey = unwrapWithPin(session, wrapped, pin, false);
      } catch (PKCS11Exception e) {
        boolean lost = Pkcs11Errors.isSessionLost(e);
        pool.giveBack(session, lost);
        if (lost && attempt == 1) {
          LOG.warn("Session on token {} lost while unwrapping {} ({}); retrying", tokenLabel,
              key.label(), e.getErrorName());
          continue;
        }
        throw translateUnwrap(e, key.label());
      } catch (RuntimeException e) {
        pool.giveBack(session, false);
        throw e;
      }
      return new SigningHandle(wrapped.signerKey(), session, privateKey, lost -> {
        if (!lost) {
          destroyQuietly(session, privateKey);
        }
        pool.giveBack(session, lost);
      });
    }
  }

  @Override
  public CustodyKey changePin(CustodyKey key, char[] oldPin, char[] newPin) {
    WrappedKey wrapped = requireMode(key);
    Objects.requireNonNull(oldPin, "oldPin");
    Objects.requireNonNull(newPin, "newPin");
    byte[] salt = randomBytes(SALT_BYTES);
    byte[] blob = pool.call("change PIN", session -> {
      long privateKey = unwrapOrReject(session, wrapped, oldPin, true, key.label());
      try {
        return wrapUnderPin(session, privateKey, newPin, salt, iterations);
      } finally {
        destroyQuietly(session, privateKey);
      }
    });
    WrappedKey rewrapped = new WrappedKey(wrapped.label(), wrapped.algorithm(), wrapped.keyId(),
        salt, iterations, wrapped.publicKeyInfo(), blob);
    LOG.info("Re-wrapped the key of {} under a new PIN", key.label());
    return new CustodyKey(CustodyMode.WRAPPED_KEY, key.label(), rewrapped.encode());
  }

  /** Checks the PIN only: the key exists nowhere but in the blob, which the caller deletes. */
  @Override
  public void destroy(CustodyKey key, char[] pin) {
    WrappedKey wrapped = requireMode(key);
    pool.call("check PIN", session -> {
      destroyQuietly(session, unwrapOrReject(session, wrapped, pin, false, key.label()));
      return null;
    });
  }

  @Override
  public PrivateKeyAttributes readAttributes(CustodyKey key, char[] pin) {
    WrappedKey wrapped = requireMode(key);
    return pool.call("C_GetAttributeValue", session -> {
      long privateKey = unwrapOrReject(session, wrapped, pin, false, key.label());
      try {
        return TokenKeys.readAttributes(session, privateKey, key.label());
      } finally {
        destroyQuietly(session, privateKey);
      }
    });
  }

  /** Closes the session pool; handles still open close their sessions when they are closed. */
  @Override
  public void close() {
    pool.close();
  }

  private long unwrapOrReject(Session session, WrappedKey wrapped, char[] pin,
      boolean extractable, String label) throws PKCS11Exception {
    try {
      return unwrapWithPin(session, wrapped, pin, extractable);
    } catch (PKCS11Exception e) {
      if (Pkcs11Errors.isSessionLost(e)) {
        throw e;
      }
      throw translateUnwrap(e, label);
    }
  }

  private byte[] wrapUnderPin(Session session, long privateKey, char[] pin, byte[] salt,
      int rounds) throws PKCS11Exception {
    long kek = deriveKek(session, pin, salt, rounds);
    try {
      return session.wrapKey(new Mechanism(WRAP_MECHANISM), kek, privateKey);
    } finally {
      destroyQuietly(session, kek);
    }
  }

  private long unwrapWithPin(Session session, WrappedKey wrapped, char[] pin,
      boolean extractable) throws PKCS11Exception {
    long kek = deriveKek(session, pin, wrapped.salt(), wrapped.iterations());
    try {
      long keyType = wrapped.algorithm() == KeyAlgorithm.RSA_2048
          ? PKCS11Constants.CKK_RSA : PKCS11Constants.CKK_EC;
      AttributeVector template = AttributeVector.newPrivateKey(keyType)
          .token(false)
          .private_(true)
          .sensitive(true)
          .extractable(extractable)
          .sign(true)
          .signRecover(false)
          .decrypt(false)
          .unwrap(false)
          .derive(false)
          .id(wrapped.keyId())
          .label(SignerTokens.KEY_OBJECT_LABEL);
      return session.unwrapKey(new Mechanism(WRAP_MECHANISM), kek,
          wrapped.wrappedPrivateKey(), template);
    } finally {
      destroyQuietly(session, kek);
    }
  }

  /** Derives the KEK as a session object in the HSM (see the class comment). */
  private long deriveKek(Session session, char[] pin, byte[] salt, int rounds)
      throws PKCS11Exception {
    byte[] stretched = pbkdf2(pin, salt, rounds);
    try {
      AttributeVector template = AttributeVector.newAESSecretKey()
          .valueLen(AES_256_BYTES)
          .token(false)
          .private_(true)
          .sensitive(true)
          .extractable(false)
          .wrap(true)
          .unwrap(true)
          .encrypt(false)
          .decrypt(false)
          .sign(false)
          .verify(false)
          .derive(false);
      Mechanism derive = new Mechanism(PKCS11Constants.CKM_AES_ECB_ENCRYPT_DATA,
          new KEY_DERIVATION_STRING_DATA(stretched));
      try {
        return session.deriveKey(derive, rootSecret.get(), template);
      } catch (PKCS11Exception e) {
        // SoftHSM2 2.6.1 drops every object handle of a token when its last session closes,
        // so a handle cached before a C_CloseAllSessions is stale and is looked up again.
        long code = e.getErrorCode();
        if (code != PKCS11Constants.CKR_KEY_HANDLE_INVALID
            && code != PKCS11Constants.CKR_OBJECT_HANDLE_INVALID) {
          throw e;
        }
        LOG.warn("Handle of the root secret on token {} is stale ({}); looking it up again",
            tokenLabel, e.getErrorName());
        rootSecret.set(findOrCreateRootSecret(session));
        return session.deriveKey(derive, rootSecret.get(), template);
      }
    } finally {
      Arrays.fill(stretched, (byte) 0);
    }
  }

  private static byte[] pbkdf2(char[] pin, byte[] salt, int rounds) {
    PBEKeySpec spec = new PBEKeySpec(pin, salt, rounds, AES_256_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec)
          .getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  private static long findOrCreateRootSecret(Session session) throws PKCS11Exception {
    AttributeVector search = AttributeVector.newSecretKey(PKCS11Constants.CKK_AES)
        .label(ROOT_SECRET_LABEL);
    long[] found = session.findObjectsSingle(search, 2);
    if (found.length > 1) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "the shared token contains more than one " + ROOT_SECRET_LABEL);
    }
    if (found.length == 1) {
      return found[0];
    }
    AttributeVector template = AttributeVector.newAESSecretKey()
        .valueLen(AES_256_BYTES)
        .token(true)
        .private_(true)
        .sensitive(true)
        .extractable(false)
        .derive(true)
        .encrypt(false)
        .decrypt(false)
        .wrap(false)
        .unwrap(false)
        .sign(false)
        .verify(false)
        .label(ROOT_SECRET_LABEL);
    long handle = session.generateKey(new Mechanism(PKCS11Constants.CKM_AES_KEY_GEN), template);
    LOG.info("Generated the root secret {} of wrapped-key custody", ROOT_SECRET_LABEL);
    return handle;
  }

  private static GatewayException translateUnwrap(PKCS11Exception e, String label) {
    long code = e.getErrorCode();
    if (code == PKCS11Constants.CKR_GENERAL_ERROR
        || code == PKCS11Constants.CKR_WRAPPED_KEY_INVALID
        || code == PKCS11Constants.CKR_ENCRYPTED_DATA_INVALID) {
      return new GatewayException(ErrorCode.PIN_INCORRECT, "PIN incorrect", e);
    }
    return Pkcs11Errors.translate("C_UnwrapKey", label, e);
  }

  private void destroyQuietly(Session session, long handle) {
    try {
      session.destroyObject(handle);
    } catch (PKCS11Exception e) {
      LOG.error("C_DestroyObject of a session object on token {} failed: {}", tokenLabel,
          e.getErrorName());
    }
  }

  private static WrappedKey requireMode(CustodyKey key) {
    Objects.requireNonNull(key, "key");
    if (key.mode() != CustodyMode.WRAPPED_KEY) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE, "key " + key.label()
          + " is in " + key.mode().configValue() + " custody, but the gateway runs"
          + " wrapped-key custody; set YUNQIAN_KEY_CUSTODY to match the stored keys");
    }
    return WrappedKey.decode(key.wrappedKey());
  }

  private byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }
}
