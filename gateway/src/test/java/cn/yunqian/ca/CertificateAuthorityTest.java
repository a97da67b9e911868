package cn.yunqian.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.hsm.HsmHealthCheck;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.SignerKey;
import cn.yunqian.hsm.SignerTokens;
import cn.yunqian.hsm.TestHsm;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

  private static final String ID_NUMBER = "11010519491231002X";
  private static final byte[] SECRET =
      "test deployment secret, 32 bytes or more".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  static Path dataDir;

  private static SignerTokens tokens;
  private static CertificateAuthority ca;
  private static CaSettings settings;

  @BeforeAll
  static void openCa() {
    tokens = TestHsm.signerTokens();
    Path pinFile = dataDir.resolve("ca-token.pin");
    assertTrue(CaPinFile.createIfMissing(pinFile));
    settings = new CaSettings(TestHsm.newLabel("ca"), pinFile, "云签 Test CA",
        Duration.ofDays(3650));
    ca = CertificateAuthority.openOrCreate(tokens, settings);
  }

  @Test
  void caCertificateIsSelfSignedCa() throws Exception {
    X509CertificateHolder caCertificate = ca.certificate();

    assertTrue(caCertificate.isSignatureValid(verifierFor(caCertificate)));
    BasicConstraints constraints = BasicConstraints.fromExtensions(caCertificate.getExtensions());
    assertTrue(constraints.isCA());
    assertTrue(caCertificate.getExtension(Extension.basicConstraints).isCritical());
    KeyUsage usage = KeyUsage.fromExtensions(caCertificate.getExtensions());
    assertTrue(usage.hasUsages(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    assertFalse(usage.hasUsages(KeyUsage.digitalSignature));
    assertNotNull(SubjectKeyIdentifier.fromExtensions(caCertificate.getExtensions()));
  }

  @Test
  void reopeningKeepsCaCertificate() {
    CertificateAuthority reopened = CertificateAuthority.openOrCreate(tokens, settings);

    assertEquals(ca.certificate(), reopened.certificate());
  }

  @Test
  void issuedCertificateVerifiesAgainstCa() throws Exception {
    SignerKey signer = tokens.create(TestHsm.newLabel("sig"), "123456".toCharArray(),
        KeyAlgorithm.EC_P256);
    String attribute = SubjectSerialNumbers.derive(ID_NUMBER, SECRET);

    X509CertificateHolder issued = ca.issue(signer.publicKeyInfo(), "张三丰", attribute,
        Duration.ofDays(365));

    assertTrue(issued.isSignatureValid(verifierFor(ca.certificate())));
    assertEquals(ca.certificate().getSubject(), issued.getIssuer());
    assertEquals(signer.publicKeyInfo(), issued.getSubjectPublicKeyInfo());
    X509Certificate jdkCertificate = toJdk(issued);
    jdkCertificate.verify(toJdk(ca.certificate()).getPublicKey());
    jdkCertificate.checkValidity();
  }

  @Test
  void issuedSubjectHasChineseNameAndPseudonym() {
    SignerKey signer = tokens.create(TestHsm.newLabel("subj"), "123456".toCharArray(),
        KeyAlgorithm.EC_P256);
    String attribute = SubjectSerialNumbers.derive(ID_NUMBER, SECRET);

    X509CertificateHolder issued = ca.issue(signer.publicKeyInfo(), "张三丰", attribute,
        Duration.ofDays(365));

    RDN[] names = issued.getSubject().getRDNs(BCStyle.CN);
    assertEquals(1, names.length);
    assertTrue(names[0].getFirst().getValue() instanceof DERUTF8String, "CN must be UTF8String");
    assertEquals("张三丰", ((ASN1String) names[0].getFirst().getValue()).getString());
    RDN[] serialNumbers = issued.getSubject().getRDNs(BCStyle.SERIALNUMBER);
    assertEquals(1, serialNumbers.length);
    String serialNumber = ((ASN1String) serialNumbers[0].getFirst().getValue()).getString();
    assertEquals(attribute, serialNumber);
    assertFalse(serialNumber.contains(ID_NUMBER), "serialNumber must not contain the ID number");
    assertEquals("CN", ((ASN1String) issued.getSubject().getRDNs(BCStyle.C)[0].getFirst()
        .getValue()).getString());
  }

  @Test
  void issuedCertificateHasSigningExtensions() {
    SignerKey signer = tokens.create(TestHsm.newLabel("ext"), "123456".toCharArray(),
        KeyAlgorithm.RSA_2048);

    X509CertificateHolder issued = ca.issue(signer.publicKeyInfo(), "李四",
        SubjectSerialNumbers.derive("110105194912310021", SECRET), Duration.ofDays(30));

    KeyUsage usage = KeyUsage.fromExtensions(issued.getExtensions());
    assertTrue(usage.hasUsages(KeyUsage.nonRepudiation | KeyUsage.digitalSignature));
    assertFalse(usage.hasUsages(KeyUsage.keyCertSign));
    assertTrue(issued.getExtension(Extension.keyUsage).isCritical());
    byte[] caKeyId = SubjectKeyIdentifier.fromExtensions(ca.certificate().getExtensions())
        .getKeyIdentifier();
    assertArrayEquals(caKeyId, AuthorityKeyIdentifier.fromExtensions(issued.getExtensions())
        .getKeyIdentifier());
    assertNotNull(SubjectKeyIdentifier.fromExtensions(issued.getExtensions()));
    assertFalse(BasicConstraints.fromExtensions(issued.getExtensions()).isCA());
    assertEquals(1, issued.getSerialNumber().signum());
    assertEquals(16, issued.getSerialNumber().toByteArray().length);
  }

  @Test
  void issueRejectsValidityBeyondCa() {
    SignerKey signer = tokens.create(TestHsm.newLabel("long"), "123456".toCharArray(),
        KeyAlgorithm.EC_P256);

    assertThrows(IllegalArgumentException.class, () -> ca.issue(signer.publicKeyInfo(), "王五",
        "YQ-00", Duration.ofDays(20_000)));
  }

  @Test
  void issueRejectsBlankName() {
    SignerKey signer = tokens.create(TestHsm.newLabel("blank"), "123456".toCharArray(),
        KeyAlgorithm.EC_P256);

    GatewayException blank = assertThrows(GatewayException.class,
        () -> ca.issue(signer.publicKeyInfo(), " ", "YQ-00", Duration.ofDays(1)));

    assertEquals(ErrorCode.NAME_INVALID, blank.code());
  }

  @Test
  void caHealthCheckPasses() {
    HsmHealthCheck.Result result = ca.healthCheck().check();

    assertTrue(result.healthy(), result.detail());
  }

  @Test
  void pinFileIsOwnerOnly() throws Exception {
    String permissions = PosixFilePermissions.toString(
        Files.getPosixFilePermissions(settings.pinFile()));

    assertEquals("rw-------", permissions);
  }

  @Test
  void groupReadablePinFileIsRejected() throws Exception {
    Path pinFile = dataDir.resolve("open.pin");
    Files.writeString(pinFile, "123456");
    Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-r-----"));

    IllegalStateException rejected = assertThrows(IllegalStateException.class,
        () -> CaPinFile.read(pinFile));

    assertTrue(rejected.getMessage().contains("chmod 600"), rejected.getMessage());
  }

  private static ContentVerifierProvider verifierFor(
      X509CertificateHolder issuer) throws Exception {
    return new JcaContentVerifierProviderBuilder().build(issuer);
  }

  private static X509Certificate toJdk(X509CertificateHolder holder) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    return (X509Certificate) factory.generateCertificate(
        new ByteArrayInputStream(holder.getEncoded()));
  }
}
