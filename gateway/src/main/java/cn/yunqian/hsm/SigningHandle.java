package cn.yunqian.hsm;

import cn.yunqian.GatewayException;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/**
 * A private key that is open for signing by one caller. In token-per-signer custody the token is
 * logged in and locked, and closing the handle logs it out, closes its session and releases the
 * lock. In wrapped-key custody the key is an unwrapped session object, and closing the handle
 * destroys it and returns the session to its pool. Either way the key is never left usable for
 * a later caller. Not thread-safe: one caller signs with one handle at a time.
 */
public final class SigningHandle implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SigningHandle.class);

  private final SignerKey key;
  private final Session session;
  private final long privateKeyHandle;
  private final Release release;
  private boolean sessionLost;
  private boolean closed;

  SigningHandle(SignerKey key, Session session, long privateKeyHandle, HsmModule.TokenLock lock) {
    this(key, session, privateKeyHandle, lost -> {
      try {
        Sessions.logoutAndClose(session, key.tokenLabel());
      } finally {
        lock.close();
      }
    });
  }

  SigningHandle(SignerKey key, Session session, long privateKeyHandle, Release release) {
    this.key = key;
    this.session = session;
    this.privateKeyHandle = privateKeyHandle;
    this.release = release;
  }

  /** Clean-up that runs once when the handle closes. */
  @FunctionalInterface
  interface Release {
    /**
     * Releases the session and the key.
     *
     * @param sessionLost whether a call on the session failed because the HSM has closed the
     *     session, so it must not be reused
     */
    void release(boolean sessionLost);
  }

  /** Returns the key this handle signs with, including its public key. */
  public SignerKey key() {
    return key;
  }

  /**
   * Returns a BouncyCastle ContentSigner that hashes in Java with SHA-256 and signs the digest
   * in the token. ECDSA signatures are returned DER-encoded (the token returns raw r||s).
   * Each call returns a fresh signer; each signer produces one signature.
   */
  public ContentSigner contentSigner() {
    return new TokenContentSigner();
  }

  /**
   * Signs {@code data} with SHA-256 and the token key, returning the signature in the encoding
   * that JCA {@code Signature} with {@link KeyAlgorithm#jcaSignatureAlgorithm()} verifies.
   *
   * @throws GatewayException HSM_UNAVAILABLE if the token fails to sign
   */
  public byte[] sign(byte[] data) {
    return signDigest(sha256().digest(data));
  }

  /** Returns the token's private key object handle, for tests of the session state. */
  long privateKeyHandle() {
    return privateKeyHandle;
  }

  private byte[] signDigest(byte[] digest) {
    ensureOpen();
    try {
      if (key.algorithm() == KeyAlgorithm.RSA_2048) {
        byte[] digestInfo = concat(KeyAlgorithm.SHA256_DIGEST_INFO_PREFIX, digest);
        return session.signSingle(new Mechanism(PKCS11Constants.CKM_RSA_PKCS), privateKeyHandle,
            digestInfo);
      }
      byte[] signature = session.signSingle(new Mechanism(PKCS11Constants.CKM_ECDSA),
          privateKeyHandle, digest);
      return toDerEcdsaSignature(signature);
    } catch (PKCS11Exception e) {
      sessionLost |= Pkcs11Errors.isSessionLost(e);
      throw Pkcs11Errors.translate("C_Sign", key.tokenLabel(), e);
    }
  }

  /**
   * Releases the key and its session (see the class comment). Failures are logged and not
   * thrown, because a caller closing in a finally block cannot act on them.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    release.release(sessionLost);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("signing handle for token " + key.tokenLabel()
          + " is closed");
    }
  }

  /**
   * Converts a raw ECDSA signature r||s (PKCS#11 v2.40, section 2.3.1) into the DER
   * SEQUENCE { r INTEGER, s INTEGER } that X.509 and CMS use. A signature that already is a
   * DER sequence (a wrapper may convert it, and then it is not 64 bytes long for P-256) is
   * returned unchanged.
   */
  static byte[] toDerEcdsaSignature(byte[] signature) {
    if (signature.length != 64 && signature[0] == 0x30) {
      return signature;
    }
    int half = signature.length / 2;
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, half));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, half, signature.length));
    ASN1EncodableVector rs = new ASN1EncodableVector(2);
    rs.add(new ASN1Integer(r));
    rs.add(new ASN1Integer(s));
    try {
      return new DERSequence(rs).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("failed to DER-encode an ECDSA signature", e);
    }
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] joined = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, joined, first.length, second.length);
    return joined;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  private final class TokenContentSigner implements ContentSigner {
    private final MessageDigest digest = sha256();
    private final OutputStream stream = new OutputStream() {
      @Override
      public void write(int b) {
        digest.update((byte) b);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
      }
    };

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
      return key.algorithm().signatureAlgorithm();
    }

    @Override
    public OutputStream getOutputStream() {
      return stream;
    }

    @Override
    public byte[] getSignature() {
      LOG.debug("Signing a SHA-256 digest with token {}", key.tokenLabel());
      return signDigest(digest.digest());
    }
  }

  /** Returns the handle state for logs; contains no secret. */
  @Override
  public String toString() {
    return "SigningHandle[token=" + key.tokenLabel() + ", closed=" + closed + "]";
  }
}
