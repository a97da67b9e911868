package cn.yunqian.signing;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import javax.imageio.ImageIO;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** An in-memory test CA with EC P-256 and RSA-2048 signers, made with Bouncy Castle. */
final class TestPki {

  private static final AtomicLong SERIAL = new AtomicLong(1000);

  static final TestPki INSTANCE = new TestPki();

  final KeyPair caKeys;
  final X509CertificateHolder caCertificate;

  /** A signer: key pair, certificate and the chain to put into the CMS. */
  record Signer(KeyPair keys, X509CertificateHolder certificate, List<X509CertificateHolder> chain,
      String algorithm) {

    ContentSigner contentSigner() {
      try {
        return new JcaContentSignerBuilder(algorithm).build(keys.getPrivate());
      } catch (OperatorCreationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private TestPki() {
    try {
      caKeys = ecKeys();
      X500Name caName = new X500Name("CN=Yunqian Test CA,O=Yunqian Tests,C=CN");
      caCertificate = certificate(caName, caName, caKeys, caKeys, true, "SHA256withECDSA");
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  Signer ecSigner(String commonName) {
    try {
      return signer(commonName, ecKeys(), "SHA256withECDSA");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  Signer rsaSigner(String commonName) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return signer(commonName, generator.generateKeyPair(), "SHA256withRSA");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private Signer signer(String commonName, KeyPair keys, String algorithm) {
    try {
      X509CertificateHolder certificate = certificate(
          new X500Name("CN=" + commonName + ",O=评标委员会,C=CN"),
          caCertificate.getSubject(), keys, caKeys, false, "SHA256withECDSA");
      return new Signer(keys, certificate, List.of(certificate, caCertificate), algorithm);
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509CertificateHolder certificate(X500Name subject, X500Name issuer,
      KeyPair subjectKeys, KeyPair issuerKeys, boolean isCa, String algorithm)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofDays(1))),
        Date.from(now.plus(Duration.ofDays(365))), subject, subjectKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    builder.addExtension(Extension.keyUsage, true, isCa
        ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
        : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
    return builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKeys.getPrivate()));
  }

  /** Draws a 360 x 120 transparent PNG with a drawn squiggle, like a handwritten signature. */
  static byte[] signaturePng() {
    BufferedImage image = new BufferedImage(360, 120, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(10, 20, 120));
    g.setStroke(new BasicStroke(6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    int[] xs = {20, 70, 110, 150, 200, 240, 290, 340};
    int[] ys = {90, 30, 95, 25, 90, 40, 80, 35};
    g.drawPolyline(xs, ys, xs.length);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
