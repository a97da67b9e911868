package cn.yunqian.hsm;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/** Key types the gateway generates in a token, each with the signature algorithm it uses. */
public enum KeyAlgorithm {
  /** ECDSA on NIST P-256 (secp256r1) with SHA-256; the default. */
  EC_P256("SHA256withECDSA", new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256)),
  /** RSA with a 2048-bit modulus, PKCS#1 v1.5 signatures with SHA-256. */
  RSA_2048("SHA256withRSA",
      new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE));

  /** DER of the DigestInfo prefix for SHA-256 (RFC 8017, section 9.2, note 1). */
  static final byte[] SHA256_DIGEST_INFO_PREFIX = {
      0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
      0x01, 0x05, 0x00, 0x04, 0x20};


  private final String jcaSignatureAlgorithm;
  private final AlgorithmIdentifier signatureAlgorithm;

  KeyAlgorithm(String jcaSignatureAlgorithm, AlgorithmIdentifier signatureAlgorithm) {
    this.jcaSignatureAlgorithm = jcaSignatureAlgorithm;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** Returns the JCA name of the signature algorithm, for example "SHA256withECDSA". */
  public String jcaSignatureAlgorithm() {
    return jcaSignatureAlgorithm;
  }

  /** Returns the X.509 AlgorithmIdentifier of the signature algorithm. */
  public AlgorithmIdentifier signatureAlgorithm() {
    return signatureAlgorithm;
  }
}
