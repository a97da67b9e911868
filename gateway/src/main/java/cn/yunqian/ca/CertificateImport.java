package cn.yunqian.ca;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Checks a certificate returned by an outside CA before the gateway uses it: the leaf must
 * certify the signer's HSM key, allow digitalSignature or nonRepudiation, and chain up to one
 * of the configured trust anchors at the given time.
 */
public final class CertificateImport {

  /** Maximum size of a certificate chain, in bytes of PEM or DER. */
  public static final int MAX_CHAIN_BYTES = 64 * 1024;

  private static final int DIGITAL_SIGNATURE = 0;
  private static final int NON_REPUDIATION = 1;

  private CertificateImport() {
  }

  /** The checked leaf and the certificates above it, issuer first, ending with the anchor. */
  public record Checked(X509CertificateHolder leaf, List<byte[]> issuerChain) {
  }

  /**
   * Validates {@code encoded}: one or more PEM certificates, a DER certificate, or a DER
   * PKCS#7 certs-only bundle, in any order.
   *
   * @throws GatewayException CERTIFICATE_REJECTED naming the failed check
   */
  public static Checked check(byte[] encoded, SubjectPublicKeyInfo signerKey,
      Set<TrustAnchor> anchors, Instant now) {
    if (encoded.length == 0 || encoded.length > MAX_CHAIN_BYTES) {
      throw reject("The certificate chain must be 1 to " + MAX_CHAIN_BYTES + " bytes, got "
          + encoded.length);
    }
    List<X509Certificate> certificates = parse(encoded);
    X509Certificate leaf = findLeaf(certificates, signerKey);
    requireSigningKeyUsage(leaf);
    List<X509Certificate> path = buildPath(leaf, certificates, anchors, now);
    List<byte[]> issuerChain = new ArrayList<>();
    for (X509Certificate certificate : path.subList(1, path.size())) {
      issuerChain.add(encode(certificate));
    }
    return new Checked(holder(leaf), issuerChain);
  }

  private static List<X509Certificate> parse(byte[] encoded) {
    Collection<? extends Certificate> parsed;
    try {
      parsed = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(encoded));
    } catch (CertificateException e) {
      throw reject("The body is not a PEM or DER X.509 certificate chain: " + e.getMessage());
    }
    if (parsed.isEmpty()) {
      throw reject("The body contains no X.509 certificate");
    }
    List<X509Certificate> certificates = new ArrayList<>();
    for (Certificate certificate : parsed) {
      certificates.add((X509Certificate) certificate);
    }
    return certificates;
  }

  private static X509Certificate findLeaf(List<X509Certificate> certificates,
      SubjectPublicKeyInfo signerKey) {
    for (X509Certificate certificate : certificates) {
      if (holder(certificate).getSubjectPublicKeyInfo().equals(signerKey)) {
        return certificate;
      }
    }
    throw reject("No certificate in the chain certifies the signer's HSM key; the first one is"
        + " for " + certificates.get(0).getSubjectX500Principal().getName()
        + ". Import the certificate issued for this signer's request");
  }

  private static void requireSigningKeyUsage(X509Certificate leaf) {
    boolean[] usage = leaf.getKeyUsage();
    if (usage == null) {
      throw reject("The certificate has no keyUsage extension; a signing certificate must allow"
          + " digitalSignature or nonRepudiation");
    }
    boolean signing = usage.length > NON_REPUDIATION
        && (usage[DIGITAL_SIGNATURE] || usage[NON_REPUDIATION]);
    if (!signing) {
      throw reject("The certificate's keyUsage allows neither digitalSignature nor"
          + " nonRepudiation");
    }
  }

  /** Returns the validated path: leaf first, then the issuers, then the anchor certificate. */
  private static List<X509Certificate> buildPath(X509Certificate leaf,
      List<X509Certificate> certificates, Set<TrustAnchor> anchors, Instant now) {
    if (anchors.isEmpty()) {
      throw reject("No trust anchors are configured; set YUNQIAN_TRUST_ANCHORS to a PEM file"
          + " with the licensed CA's root certificate");
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(leaf);
      PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
      parameters.addCertStore(CertStore.getInstance("Collection",
          new CollectionCertStoreParameters(certificates)));
      parameters.setDate(Date.from(now));
      // NOTE: the outside CA's revocation status is not checked at import time.
      parameters.setRevocationEnabled(false);
      PKIXCertPathBuilderResult result = (PKIXCertPathBuilderResult)
          CertPathBuilder.getInstance("PKIX").build(parameters);
      List<X509Certificate> path = new ArrayList<>();
      for (Certificate certificate : result.getCertPath().getCertificates()) {
        path.add((X509Certificate) certificate);
      }
      path.add(result.getTrustAnchor().getTrustedCert());
      return path;
    } catch (CertPathBuilderException e) {
      throw reject("The certificate chain does not verify up to a configured trust anchor at "
          + now + ": " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PKIX path building is not available in this JDK", e);
    }
  }

  private static X509CertificateHolder holder(X509Certificate certificate) {
    try {
      return new X509CertificateHolder(certificate.getEncoded());
    } catch (IOException | CertificateException e) {
      throw reject("A certificate in the chain cannot be re-encoded: " + e.getMessage());
    }
  }

  private static byte[] encode(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }

  private static GatewayException reject(String reason) {
    return new GatewayException(ErrorCode.CERTIFICATE_REJECTED, reason);
  }
}
