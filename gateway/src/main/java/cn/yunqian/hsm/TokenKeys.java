package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.Session;

/** Key and certificate objects inside one token, reached through a logged-in session. */
final class TokenKeys {

  private static final BigInteger RSA_PUBLIC_EXPONENT = BigInteger.valueOf(65537);
  private static final int RSA_MODULUS_BITS = 2048;
  private static final int P256_POINT_LENGTH = 65;

  private TokenKeys() {
  }

  /**
   * Generates a key pair in the token. Every usage attribute is set explicitly because
   * SoftHSM2 2.6 turns on CKA_DECRYPT and CKA_UNWRAP (and CKA_ENCRYPT and CKA_WRAP on the
   * public key) when a template leaves them out.
   */
  static SignerKey generate(Session session, String label, byte[] keyId,
      KeyAlgorithm algorithm) {
    generatePair(session, label, keyPairTemplate(algorithm, keyId, true), algorithm);
    return readPublicKey(session, label);
  }

  /**
   * Generates a key pair as session objects whose private key is sensitive but extractable, so
   * that it can be wrapped once. Returns the two object handles; the caller destroys them.
   */
  static PKCS11KeyPair generateExtractableSessionPair(Session session, String label,
      byte[] keyId, KeyAlgorithm algorithm) {
    KeyPairTemplate template = keyPairTemplate(algorithm, keyId, false);
    template.privateKey().extractable(true);
    return generatePair(session, label, template, algorithm);
  }

  private static KeyPairTemplate keyPairTemplate(KeyAlgorithm algorithm, byte[] keyId,
      boolean tokenObjects) {
    boolean rsa = algorithm == KeyAlgorithm.RSA_2048;
    KeyPairTemplate template = new KeyPairTemplate(rsa ? PKCS11Constants.CKK_RSA
        : PKCS11Constants.CKK_EC);
    template.privateKey()
        .token(tokenObjects)
        .private_(true)
        .sensitive(true)
        .extractable(false)
        .sign(true)
        .signRecover(false)
        .decrypt(false)
        .unwrap(false)
        .derive(false)
        .id(keyId)
        .label(SignerTokens.KEY_OBJECT_LABEL);
    template.publicKey()
        .token(tokenObjects)
        .private_(false)
        .verify(true)
        .encrypt(false)
        .wrap(false)
        .derive(false)
        .id(keyId)
        .label(SignerTokens.KEY_OBJECT_LABEL);
    if (rsa) {
      template.publicKey()
          .verifyRecover(false)
          .modulusBits(RSA_MODULUS_BITS)
          .publicExponent(RSA_PUBLIC_EXPONENT);
    } else {
      template.publicKey().ecParams(SignerTokens.p256OidDer());
    }
    return template;
  }

  private static PKCS11KeyPair generatePair(Session session, String label,
      KeyPairTemplate template, KeyAlgorithm algorithm) {
    long mechanism = algorithm == KeyAlgorithm.RSA_2048
        ? PKCS11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN : PKCS11Constants.CKM_EC_KEY_PAIR_GEN;
    try {
      return session.generateKeyPair(new Mechanism(mechanism), template);
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_GenerateKeyPair", label, e);
    }
  }

  /** Reads the token's only public key object. */
  static SignerKey readPublicKey(Session session, String label) {
    long handle = findOne(session, AttributeVector.newPublicKey(), label, "public key");
    return readPublicKey(session, handle, label);
  }

  /** Reads the public key object with this handle. */
  static SignerKey readPublicKey(Session session, long handle, String label) {
    try {
      AttributeVector common = session.getAttrValues(handle, PKCS11Constants.CKA_KEY_TYPE,
          PKCS11Constants.CKA_ID);
      byte[] keyId = common.id();
      if (common.keyType() == PKCS11Constants.CKK_RSA) {
        AttributeVector rsa = session.getAttrValues(handle, PKCS11Constants.CKA_MODULUS,
            PKCS11Constants.CKA_PUBLIC_EXPONENT);
        RSAPublicKey publicKey = new RSAPublicKey(rsa.modulus(), rsa.publicExponent());
        SubjectPublicKeyInfo info = new SubjectPublicKeyInfo(
            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
            publicKey);
        return new SignerKey(label, keyId, KeyAlgorithm.RSA_2048, info);
      }
      AttributeVector ec = session.getAttrValues(handle, PKCS11Constants.CKA_EC_PARAMS,
          PKCS11Constants.CKA_EC_POINT);
      if (!Arrays.equals(ec.ecParams(), SignerTokens.p256OidDer())) {
        throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
            "key in token " + label + " is not on curve P-256");
      }
      SubjectPublicKeyInfo info = new SubjectPublicKeyInfo(
          new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
              new ASN1ObjectIdentifier("1.2.840.10045.3.1.7")),
          uncompressedPoint(ec.ecPoint(), label));
      return new SignerKey(label, keyId, KeyAlgorithm.EC_P256, info);
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_GetAttributeValue", label, e);
    } catch (IOException e) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "token " + label + " returned an RSA public key that cannot be encoded", e);
    }
  }

  /** Finds the token's only private key object; only visible after a user login. */
  static long findPrivateKey(Session session, String label) {
    return findOne(session, AttributeVector.newPrivateKey(), label, "private key");
  }

  static PrivateKeyAttributes readAttributes(Session session, long handle, String label) {
    try {
      AttributeVector values = session.getAttrValues(handle,
          PKCS11Constants.CKA_SENSITIVE, PKCS11Constants.CKA_EXTRACTABLE,
          PKCS11Constants.CKA_ALWAYS_SENSITIVE, PKCS11Constants.CKA_NEVER_EXTRACTABLE,
          PKCS11Constants.CKA_LOCAL, PKCS11Constants.CKA_SIGN, PKCS11Constants.CKA_DECRYPT,
          PKCS11Constants.CKA_UNWRAP, PKCS11Constants.CKA_DERIVE);
      return new PrivateKeyAttributes(
          isTrue(values.sensitive()),
          isTrue(values.extractable()),
          isTrue(values.alwaysSensitive()),
          isTrue(values.neverExtractable()),
          isTrue(values.local()),
          isTrue(values.sign()),
          isTrue(values.decrypt()),
          isTrue(values.unwrap()),
          isTrue(values.derive()));
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_GetAttributeValue", label, e);
    }
  }

  /** Destroys every key and certificate object in the token and returns how many. */
  static int destroyAll(Session session, String label) {
    int destroyed = 0;
    AttributeVector[] templates = {AttributeVector.newPrivateKey(),
        AttributeVector.newPublicKey(), AttributeVector.newX509Certificate()};
    try {
      for (AttributeVector template : templates) {
        for (long handle : session.findAllObjectsSingle(template)) {
          session.destroyObject(handle);
          destroyed++;
        }
      }
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_DestroyObject", label, e);
    }
    return destroyed;
  }

  static Optional<byte[]> readCertificate(Session session, String label) {
    try {
      long[] handles = session.findObjectsSingle(AttributeVector.newX509Certificate(), 2);
      if (handles.length == 0) {
        return Optional.empty();
      }
      return Optional.of(session.getAttrValues(handles[0], PKCS11Constants.CKA_VALUE).value());
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_FindObjects", label, e);
    }
  }

  private static long findOne(Session session, AttributeVector template, String label,
      String what) {
    long[] handles;
    try {
      handles = session.findObjectsSingle(template, 2);
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_FindObjects", label, e);
    }
    if (handles.length == 0) {
      throw new GatewayException(ErrorCode.SIGNER_NOT_FOUND,
          "token " + label + " contains no " + what);
    }
    if (handles.length > 1) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "token " + label + " contains more than one " + what);
    }
    return handles[0];
  }

  /**
   * Returns the uncompressed point from CKA_EC_POINT. PKCS#11 v2.40 specifies a DER OCTET
   * STRING around the point; a bare point is accepted as well, because some wrappers unwrap it.
   */
  private static byte[] uncompressedPoint(byte[] ecPoint, String label) {
    if (ecPoint.length == P256_POINT_LENGTH && ecPoint[0] == 0x04) {
      return ecPoint;
    }
    try {
      byte[] point = ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(ecPoint))
          .getOctets();
      if (point.length == P256_POINT_LENGTH && point[0] == 0x04) {
        return point;
      }
    } catch (IOException | IllegalArgumentException e) {
      // Falls through to the error below.
    }
    throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
        "token " + label + " returned an EC point that is not an uncompressed P-256 point");
  }

  private static boolean isTrue(Boolean value) {
    return Boolean.TRUE.equals(value);
  }
}
