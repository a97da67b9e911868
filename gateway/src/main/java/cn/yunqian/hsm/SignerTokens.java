package cn.yunqian.hsm;

import cn.yunqian.GatewayException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Token;

/**
 * Custody of signing keys with one PKCS#11 token per signer. PKCS#11 login belongs to a token,
 * so a per-signer PIN needs a token per signer, and the HSM, not the database, checks it.
 *
 * <p>Each token is initialised with a random SO PIN that is used once for {@code C_InitPIN} and
 * then cleared; it is never stored or logged, so nobody can reset a signer's PIN later. Every
 * operation on a token holds that token's lock and logs out before it returns, because a login
 * would otherwise unlock the token for every session of this process.
 *
 * <p>PIN arrays passed in stay owned by the caller, who clears them. All methods block on
 * native calls; call them from a worker thread. Failures are thrown as {@link GatewayException}:
 * PIN_INCORRECT for a wrong PIN ({@code CKR_PIN_INCORRECT}), PIN_LOCKED ({@code CKR_PIN_LOCKED}),
 * PIN_FORMAT_INVALID when the token rejects the PIN length, SIGNER_NOT_FOUND for an unknown
 * label, and HSM_UNAVAILABLE with the CKR name for other errors. This class does not count
 * wrong PINs: SoftHSM2 never locks a PIN, so the caller must.
 */
public final class SignerTokens {

  /** CKA_LABEL given to the key objects in every token. */
  public static final String KEY_OBJECT_LABEL = "signing-key";

  private static final Logger LOG = LoggerFactory.getLogger(SignerTokens.class);
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,32}");
  private static final byte[] P256_OID_DER = {
      0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
  private static final int KEY_ID_BYTES = 16;
  private static final int SO_PIN_RANDOM_BYTES = 24;

  private final HsmModule module;
  private final long lockTimeoutMillis;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param module the initialised PKCS#11 library
   * @param lockTimeout longest wait for a token that another caller is using
   */
  public SignerTokens(HsmModule module, Duration lockTimeout) {
    this.module = Objects.requireNonNull(module, "module");
    this.lockTimeoutMillis = lockTimeout.toMillis();
  }

  public HsmModule module() {
    return module;
  }

  /** Returns whether an initialised token with this label exists. */
  public boolean exists(String tokenLabel) {
    return module.findToken(requireValidLabel(tokenLabel)).isPresent();
  }

  /**
   * Creates a token for one signer and generates its key pair inside it. Steps:
   * {@code C_InitToken} on the free slot with a random SO PIN, SO login, {@code C_InitPIN}
   * with {@code pin}, user login, key generation, logout.
   *
   * <p>The private key is a token object that is private, sensitive and never extractable, and
   * may only sign. The public key may only verify.
   *
   * <p>NOTE: if a step after {@code C_InitToken} fails, the token stays behind without a usable
   * key and its label stays taken, because nobody knows its SO PIN any more. Retry with a new
   * label.
   *
   * @throws IllegalArgumentException if the label is not 1 to 32 characters of
   *     {@code [A-Za-z0-9._-]} or is already taken
   */
  public SignerKey create(String tokenLabel, char[] pin, KeyAlgorithm algorithm) {
    requireValidLabel(tokenLabel);
    Objects.requireNonNull(pin, "pin");
    Objects.requireNonNull(algorithm, "algorithm");
    long start = System.nanoTime();
    char[] soPin = newSoPin();
    Token token;
    try {
      token = module.initializeToken(tokenLabel, soPin);
    } catch (RuntimeException e) {
      Arrays.fill(soPin, '\0');
      throw e;
    }

    try (HsmModule.TokenLock lock = module.lockToken(tokenLabel, lockTimeoutMillis)) {
      Session session = Sessions.openReadWrite(token, tokenLabel);
      try {
        setUserPin(session, soPin, pin, tokenLabel);
        Sessions.login(session, PKCS11Constants.CKU_USER, pin, tokenLabel);
        SignerKey key = TokenKeys.generate(session, tokenLabel, newKeyId(), algorithm);
        LOG.info("Created token {} with {} key {} in {} ms", tokenLabel, algorithm,
            key.keyIdHex(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return key;
      } finally {
        Sessions.logoutAndClose(session, tokenLabel);
      }
    } finally {
      Arrays.fill(soPin, '\0');
    }
  }

  /**
   * Creates a token with the user PIN {@code pin} and no key, for the shared token of
   * wrapped-key custody. The SO PIN is random and discarded, as for signer tokens.
   */
  void createEmpty(String tokenLabel, char[] pin) {
    requireValidLabel(tokenLabel);
    char[] soPin = newSoPin();
    try {
      Token token = module.initializeToken(tokenLabel, soPin);
      try (HsmModule.TokenLock lock = module.lockToken(tokenLabel, lockTimeoutMillis)) {
        Session session = Sessions.openReadWrite(token, tokenLabel);
        try {
          setUserPin(session, soPin, pin, tokenLabel);
        } finally {
          Sessions.logoutAndClose(session, tokenLabel);
        }
      }
      LOG.info("Created the empty token {}", tokenLabel);
    } finally {
      Arrays.fill(soPin, '\0');
    }
  }

  /**
   * Locks the token, logs in with {@code pin} and returns a handle for signing. The caller
   * must close the handle, which logs out and releases the lock; other callers of the same
   * token wait meanwhile, up to the lock timeout.
   */
  public SigningHandle openForSigning(String tokenLabel, char[] pin) {
    requireValidLabel(tokenLabel);
    Objects.requireNonNull(pin, "pin");
    Token token = module.token(tokenLabel);
    HsmModule.TokenLock lock = module.lockToken(tokenLabel, lockTimeoutMillis);
    Session session = null;
    try {
      session = Sessions.openReadWrite(token, tokenLabel);
      Sessions.login(session, PKCS11Constants.CKU_USER, pin, tokenLabel);
      SignerKey key = TokenKeys.readPublicKey(session, tokenLabel);
      long privateKey = TokenKeys.findPrivateKey(session, tokenLabel);
      return new SigningHandle(key, session, privateKey, lock);
    } catch (RuntimeException e) {
      if (session != null) {
        Sessions.logoutAndClose(session, tokenLabel);
      }
      lock.close();
      throw e;
    }
  }

  /**
   * Changes the user PIN with {@code C_SetPIN}. The old PIN stops working at once.
   *
   * @throws GatewayException PIN_INCORRECT if {@code oldPin} is wrong
   */
  public void changePin(String tokenLabel, char[] oldPin, char[] newPin) {
    requireValidLabel(tokenLabel);
    Objects.requireNonNull(oldPin, "oldPin");
    Objects.requireNonNull(newPin, "newPin");
    try (TokenSession use = loggedIn(tokenLabel, oldPin)) {
      use.session().setPIN(oldPin, newPin);
      LOG.info("Changed the user PIN of token {}", tokenLabel);
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_SetPIN", tokenLabel, e);
    }
  }

  /** Reads the security attributes of the token's private key; tests use it. */
  public PrivateKeyAttributes readPrivateKeyAttributes(String tokenLabel, char[] pin) {
    requireValidLabel(tokenLabel);
    Objects.requireNonNull(pin, "pin");
    try (TokenSession use = loggedIn(tokenLabel, pin)) {
      long handle = TokenKeys.findPrivateKey(use.session(), tokenLabel);
      return TokenKeys.readAttributes(use.session(), handle, tokenLabel);
    }
  }

  /**
   * Destroys the key pair and any certificate in the token, for example when an enrolment is
   * rejected. The token itself stays, with its PIN, and no longer holds a key.
   */
  public void destroyKey(String tokenLabel, char[] pin) {
    requireValidLabel(tokenLabel);
    Objects.requireNonNull(pin, "pin");
    try (TokenSession use = loggedIn(tokenLabel, pin)) {
      int destroyed = TokenKeys.destroyAll(use.session(), tokenLabel);
      LOG.info("Destroyed {} objects in token {}", destroyed, tokenLabel);
    }
  }

  /**
   * Reads the public key of a token. Public key objects are public, so no PIN is needed.
   *
   * @throws GatewayException SIGNER_NOT_FOUND if the token or its key is missing
   */
  public SignerKey readPublicKey(String tokenLabel) {
    requireValidLabel(tokenLabel);
    Token token = module.token(tokenLabel);
    try (HsmModule.TokenLock lock = module.lockToken(tokenLabel, lockTimeoutMillis)) {
      Session session = Sessions.openReadWrite(token, tokenLabel);
      try {
        return TokenKeys.readPublicKey(session, tokenLabel);
      } finally {
        Sessions.logoutAndClose(session, tokenLabel);
      }
    }
  }

  /**
   * Stores a DER X.509 certificate in the token as a public CKO_CERTIFICATE object with the
   * key's CKA_ID, so that the token carries its own certificate.
   */
  public void storeCertificate(String tokenLabel, char[] pin, byte[] certificateDer,
      byte[] subjectDer) {
    requireValidLabel(tokenLabel);
    Objects.requireNonNull(pin, "pin");
    try (TokenSession use = loggedIn(tokenLabel, pin)) {
      SignerKey key = TokenKeys.readPublicKey(use.session(), tokenLabel);
      AttributeVector template = AttributeVector.newX509Certificate()
          .token(true)
          .private_(false)
          .id(key.keyId())
          .label(KEY_OBJECT_LABEL)
          .subject(subjectDer)
          .value(certificateDer);
      use.session().createObject(template);
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_CreateObject", tokenLabel, e);
    }
  }

  /** Reads the DER X.509 certificate stored in the token, if there is one. */
  public Optional<byte[]> readCertificate(String tokenLabel) {
    requireValidLabel(tokenLabel);
    Token token = module.token(tokenLabel);
    try (HsmModule.TokenLock lock = module.lockToken(tokenLabel, lockTimeoutMillis)) {
      Session session = Sessions.openReadWrite(token, tokenLabel);
      try {
        return TokenKeys.readCertificate(session, tokenLabel);
      } finally {
        Sessions.logoutAndClose(session, tokenLabel);
      }
    }
  }

  private TokenSession loggedIn(String tokenLabel, char[] pin) {
    Token token = module.token(tokenLabel);
    HsmModule.TokenLock lock = module.lockToken(tokenLabel, lockTimeoutMillis);
    Session session = null;
    try {
      session = Sessions.openReadWrite(token, tokenLabel);
      Sessions.login(session, PKCS11Constants.CKU_USER, pin, tokenLabel);
      return new TokenSession(tokenLabel, session, lock);
    } catch (RuntimeException e) {
      if (session != null) {
        Sessions.logoutAndClose(session, tokenLabel);
      }
      lock.close();
      throw e;
    }
  }

  private static void setUserPin(Session session, char[] soPin, char[] pin, String label) {
    Sessions.login(session, PKCS11Constants.CKU_SO, soPin, label);
    try {
      session.initPIN(pin);
      session.logout();
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_InitPIN", label, e);
    }
  }

  private char[] newSoPin() {
    byte[] bytes = new byte[SO_PIN_RANDOM_BYTES];
    random.nextBytes(bytes);
    byte[] encoded = Base64.getUrlEncoder().withoutPadding().encode(bytes);
    char[] soPin = new char[encoded.length];
    for (int i = 0; i < encoded.length; i++) {
      soPin[i] = (char) encoded[i];
    }
    Arrays.fill(bytes, (byte) 0);
    Arrays.fill(encoded, (byte) 0);
    return soPin;
  }

  private byte[] newKeyId() {
    byte[] id = new byte[KEY_ID_BYTES];
    random.nextBytes(id);
    return id;
  }

  static byte[] p256OidDer() {
    return P256_OID_DER.clone();
  }

  private static String requireValidLabel(String tokenLabel) {
    Objects.requireNonNull(tokenLabel, "tokenLabel");
    if (!LABEL.matcher(tokenLabel).matches()) {
      throw new IllegalArgumentException("token label must be 1 to 32 characters of "
          + "[A-Za-z0-9._-], got \"" + tokenLabel + "\"");
    }
    return tokenLabel;
  }

  /** A logged-in session that holds its token lock until it is closed. */
  private record TokenSession(String label, Session session, HsmModule.TokenLock lock)
      implements AutoCloseable {
    @Override
    public void close() {
      try {
        Sessions.logoutAndClose(session, label);
      } finally {
        lock.close();
      }
    }
  }
}
