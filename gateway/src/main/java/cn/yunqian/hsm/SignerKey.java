package cn.yunqian.hsm;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * A key pair generated in a signer token: where it lives and its public half.
 *
 * @param tokenLabel label of the token that contains the private key
 * @param keyId CKA_ID shared by the private and the public key object
 * @param algorithm key type and signature algorithm
 * @param publicKeyInfo public key as read back from the token
 */
public record SignerKey(String tokenLabel, byte[] keyId, KeyAlgorithm algorithm,
    SubjectPublicKeyInfo publicKeyInfo) {

  public SignerKey {
    keyId = keyId.clone();
  }

  @Override
  public byte[] keyId() {
    return keyId.clone();
  }

  /** Returns the CKA_ID as lower-case hex. */
  public String keyIdHex() {
    return HexFormat.of().formatHex(keyId);
  }

  /** Converts the public key to a JCA key, for example to verify with {@code Signature}. */
  public PublicKey publicKey() {
    String keyAlgorithm = algorithm == KeyAlgorithm.RSA_2048 ? "RSA" : "EC";
    try {
      return KeyFactory.getInstance(keyAlgorithm)
          .generatePublic(new X509EncodedKeySpec(publicKeyInfo.getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("public key of token " + tokenLabel + " is not valid", e);
    }
  }

  @Override
  public String toString() {
    return "SignerKey[token=" + tokenLabel + ", id=" + keyIdHex() + ", " + algorithm + "]";
  }
}
