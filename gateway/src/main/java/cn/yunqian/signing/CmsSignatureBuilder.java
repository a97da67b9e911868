package cn.yunqian.signing;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuerSerial;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.CollectionStore;

/**
 * Builds the detached CMS SignedData of a PAdES baseline B signature from a SHA-256 digest
 * computed here over the PDF byte ranges, so the signer only ever signs the signed attributes.
 */
final class CmsSignatureBuilder {

  private CmsSignatureBuilder() {}

  /**
   * Digests {@code content} and returns the DER-encoded CMS with the signed attributes
   * content-type, message-digest and signing-certificate-v2, without signing-time.
   * Runtime exceptions from {@code contentSigner} propagate unchanged.
   *
   * @param chain the signer certificate first, then its issuers
   */
  static byte[] build(InputStream content, ContentSigner contentSigner,
      List<X509CertificateHolder> chain) throws IOException {
    byte[] digest = sha256(content);
    X509CertificateHolder signerCertificate = chain.get(0);
    ASN1EncodableVector attributes = new ASN1EncodableVector();
    attributes.add(new Attribute(CMSAttributes.messageDigest,
        new DERSet(new DEROctetString(digest))));
    attributes.add(signingCertificateV2(signerCertificate));
    CMSAttributeTableGenerator signedAttributes =
        new WithoutSigningTime(new AttributeTable(attributes));
    try {
      SignerInfoGenerator signerInfo = new SignerInfoGeneratorBuilder(
          new JcaDigestCalculatorProviderBuilder().build())
          .setSignedAttributeGenerator(signedAttributes)
          .build(contentSigner, signerCertificate);
      CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
      generator.addSignerInfoGenerator(signerInfo);
      generator.addCertificates(new CollectionStore<>(chain));
      return generator.generate(new CMSAbsentContent(), false).getEncoded(ASN1Encoding.DER);
    } catch (OperatorCreationException | CMSException e) {
      throw new IOException("CMS signature creation failed: " + e.getMessage(), e);
    }
  }

  /** ESS signing-certificate-v2 (RFC 5035) with a SHA-256 hash and the issuer and serial. */
  private static Attribute signingCertificateV2(X509CertificateHolder certificate)
      throws IOException {
    byte[] certificateHash = sha256(certificate.getEncoded());
    IssuerSerial issuerSerial = new IssuerSerial(
        new GeneralNames(new GeneralName(certificate.getIssuer())),
        certificate.getSerialNumber());
    ESSCertIDv2 id = new ESSCertIDv2(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256),
        certificateHash, issuerSerial);
    return new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
        new DERSet(new SigningCertificateV2(new ESSCertIDv2[] {id})));
  }

  private static byte[] sha256(InputStream content) throws IOException {
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[64 * 1024];
    int n;
    while ((n = content.read(buffer)) > 0) {
      digest.update(buffer, 0, n);
    }
    return digest.digest();
  }

  private static byte[] sha256(byte[] data) {
    return newSha256().digest(data);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  /**
   * BC's default signed attributes minus signing-time, which PAdES baseline signatures must not
   * carry (ETSI EN 319 142-1, 5.2: the time goes in the /M entry instead). Because the table
   * given already contains message-digest, BC keeps our digest of the byte ranges rather than the
   * digest of the absent content.
   */
  private static final class WithoutSigningTime extends DefaultSignedAttributeTableGenerator {

    WithoutSigningTime(AttributeTable attributes) {
      super(attributes);
    }

    @Override
    public AttributeTable getAttributes(java.util.Map parameters) {
      return super.getAttributes(parameters).remove(CMSAttributes.signingTime);
    }
  }
}
