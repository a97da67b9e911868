package cn.yunqian.admin;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A software CA with a root and an intermediate, standing in for a licensed CA that certifies
 * the gateway's PKCS#10 requests.
 */
final class SoftwareCa {

  private static final AtomicLong SERIAL = new AtomicLong(5000);

  private final KeyPair rootKeys;
  private final KeyPair intermediateKeys;
  final X509CertificateHolder root;
  final X509CertificateHolder intermediate;

  SoftwareCa(String name) throws Exception {
    rootKeys = ecKeys();
    intermediateKeys = ecKeys();
    Instant now = Instant.now();
    X500Name rootName = new X500Name("CN=" + name + " Root, O=Test, C=CN");
    X500Name intermediateName = new X500Name("CN=" + name + " Signing CA, O=Test, C=CN");
    root = build(rootName, rootName, spki(rootKeys), rootKeys, now.minus(Duration.ofDays(1)),
        now.plus(Duration.ofDays(3650)), new BasicConstraints(1),
        KeyUsage.keyCertSign | KeyUsage.cRLSign);
    intermediate = build(intermediateName, rootName, spki(intermediateKeys), rootKeys,
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(1825)), new BasicConstraints(0),
        KeyUsage.keyCertSign | KeyUsage.cRLSign);
  }

  /** Issues a signer certificate for {@code key} from the intermediate. */
  X509CertificateHolder issue(SubjectPublicKeyInfo key, X500Name subject, Duration validity,
      int keyUsage) throws Exception {
    Instant now = Instant.now();
    return build(subject, intermediate.getSubject(), key, intermediateKeys,
        now.minus(Duration.ofMinutes(5)), now.plus(validity), new BasicConstraints(false),
        keyUsage);
  }

  /** Issues a certificate with the given dates, for example an expired one. */
  X509CertificateHolder issueBetween(SubjectPublicKeyInfo key, X500Name subject,
      Instant notBefore, Instant notAfter) throws Exception {
    return build(subject, intermediate.getSubject(), key, intermediateKeys, notBefore, notAfter,
        new BasicConstraints(false), KeyUsage.nonRepudiation | KeyUsage.digitalSignature);
  }

  static SubjectPublicKeyInfo randomKey() throws GeneralSecurityException {
    return spki(ecKeys());
  }

  static String pem(List<X509CertificateHolder> certificates) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      for (X509CertificateHolder certificate : certificates) {
        writer.writeObject(certificate);
      }
    }
    return text.toString();
  }

  private static X509CertificateHolder build(X500Name subject, X500Name issuer,
      SubjectPublicKeyInfo key, KeyPair issuerKeys, Instant notBefore, Instant notAfter,
      BasicConstraints constraints, int keyUsage) throws IOException, OperatorCreationException {
    X509v3CertificateBuilder builder = new X509v3CertificateBuilder(issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
        subject, key);
    builder.addExtension(Extension.basicConstraints, true, constraints);
    if (keyUsage != 0) {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    }
    return builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(issuerKeys.getPrivate()));
  }

  private static SubjectPublicKeyInfo spki(KeyPair keys) {
    return SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }
}
