package cn.yunqian.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.app.Gateway;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.ca.CertificateExpiryWatch;
import cn.yunqian.ca.CrlPublisher;
import cn.yunqian.ca.SigningCertificates;
import cn.yunqian.enrolment.sms.SmsSender;
import cn.yunqian.enrolment.sms.SmsTemplate;
import cn.yunqian.hsm.TestHsm;
import cn.yunqian.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certificate lifecycle through the HTTP API of a real gateway: SoftHSM2, PostgreSQL, and
 * a BouncyCastle software CA standing in for a licensed CA.
 */
class CertificateLifecycleTest {

  private static final String PIN = "246810";
  private static final String NEW_PIN = "135792";
  private static final AtomicInteger NEXT_ID = new AtomicInteger(100);
  private static final String WANG_TOKEN = "wang-officer-token-0123456789abcdef";
  private static final String LI_TOKEN = "li-officer-token-0123456789abcdef";

  @TempDir
  static Path dataDir;

  private static Gateway gateway;
  private static SoftwareCa licensedCa;
  private static HttpClient http;
  private static String base;
  private static String officerToken;
  private static String clientToken;
  private static byte[] pdf;

  @BeforeAll
  static void startGateway() throws Exception {
    TestHsm.module();
    licensedCa = new SoftwareCa("Licensed");
    Files.writeString(dataDir.resolve("trust-anchors.pem"), SoftwareCa.pem(
        List.of(licensedCa.root)));
    Path officers = Files.createDirectories(dataDir.resolve("secrets").resolve("officers"));
    Files.writeString(officers.resolve("wang.token"), WANG_TOKEN + "\n");
    Files.writeString(officers.resolve("li.token"), LI_TOKEN + "\n");
    Files.writeString(officers.resolve("short.token"), "too-short\n");
    int port = TestDatabase.freePort();
    GatewayConfig config = GatewayConfig.fromEnvironment(Map.of(
        "YUNQIAN_DATA_DIR", dataDir.toString(),
        "YUNQIAN_HTTP_PORT", Integer.toString(port),
        "YUNQIAN_PG_URL", TestDatabase.newDatabaseUrl(),
        "YUNQIAN_CA_TOKEN_LABEL", TestHsm.newLabel("ca"),
        "SOFTHSM2_CONF", System.getenv("SOFTHSM2_CONF")));
    gateway = join(Gateway.start(config));
    base = "http://127.0.0.1:" + gateway.port();
    officerToken = gateway.services().secrets().officerToken();
    clientToken = gateway.services().secrets().clientToken();
    http = HttpClient.newHttpClient();
    pdf = Files.readAllBytes(Path.of("src/test/resources/corpus/plain-one-page.pdf"));
  }

  @AfterAll
  static void stopGateway() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void issuedCertificateCarriesCrlUrl() throws Exception {
    JsonObject signer = enrol();
    X509CertificateHolder certificate = certificateOf(signer);

    CRLDistPoint points = CRLDistPoint.fromExtensions(certificate.getExtensions());
    assertNotNull(points, "no CRL distribution point extension");
    DistributionPoint point = points.getDistributionPoints()[0];
    GeneralName name = GeneralNames.getInstance(point.getDistributionPoint().getName())
        .getNames()[0];
    assertEquals(GeneralName.uniformResourceIdentifier, name.getTagNo());
    assertEquals(base + CrlPublisher.PATH, name.getName().toString());
  }

  @Test
  void revokedCertificateRejectedBeforePinTry() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    BigInteger serial = certificateOf(signer).getSerialNumber();

    HttpResponse<String> revoked = officerPost("/api/v1/admin/signers/" + id + "/revoke",
        new JsonObject().put("reason", "keyCompromise"));
    assertEquals(200, revoked.statusCode(), revoked.body());
    assertEquals("REVOKED", new JsonObject(revoked.body()).getString("status"));

    HttpResponse<String> signed = sign(id, "975310");
    assertEquals(422, signed.statusCode(), signed.body());
    JsonObject error = new JsonObject(signed.body());
    assertEquals("CERTIFICATE_NOT_VALID", error.getString("error"));
    assertTrue(error.getString("reason").contains("revoked"), error.getString("reason"));
    assertEquals(0, signerView(id).getInteger("failedPinAttempts"));

    X509CRL crl = fetchCrl();
    assertNotNull(crl.getRevokedCertificate(serial), "CRL does not list " + serial);
    assertEquals(1, crl.getRevokedCertificate(serial).getRevocationReason().ordinal());
  }

  @Test
  void crlVerifiesAgainstCaCertificate() throws Exception {
    X509CRL crl = fetchCrl();
    X509Certificate caCertificate = caCertificate();

    crl.verify(caCertificate.getPublicKey());
    assertEquals(caCertificate.getSubjectX500Principal(), crl.getIssuerX500Principal());
    assertNotNull(crl.getNextUpdate());
    assertTrue(crl.getNextUpdate().toInstant().isAfter(Instant.now()));
  }

  @Test
  void crlRenewedAtHalfValidity() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    Gateway.Services services = gateway.services();
    CrlPublisher publisher = new CrlPublisher(services.ca(),
        services.certificates().certificates(), services.workers(), clock, Duration.ofHours(2));
    CrlPublisher.Published first = join(publisher.current());

    clock.advance(Duration.ofMinutes(59));
    CrlPublisher.Published beforeHalf = join(publisher.current());
    clock.advance(Duration.ofMinutes(2));
    CrlPublisher.Published afterHalf = join(publisher.current());

    assertEquals(first.thisUpdate(), beforeHalf.thisUpdate());
    assertTrue(afterHalf.thisUpdate().isAfter(first.thisUpdate()));
    assertEquals(afterHalf.thisUpdate().plus(Duration.ofHours(2)), afterHalf.nextUpdate());
    X509CRL renewed = (X509CRL) CertificateFactory.getInstance("X.509")
        .generateCRL(new ByteArrayInputStream(afterHalf.der()));
    renewed.verify(caCertificate().getPublicKey());
  }

  @Test
  void expiredCertificateRejectedAtSigning() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    X509CertificateHolder current = certificateOf(signer);
    X509CertificateHolder expired = licensedCa.issueBetween(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Instant.now().minus(Duration.ofDays(400)),
        Instant.now().minus(Duration.ofDays(1)));
    join(gateway.services().database().pool()
        .preparedQuery("UPDATE signers SET certificate = $2 WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(id),
            Buffer.buffer(expired.getEncoded()))));

    HttpResponse<String> signed = sign(id, PIN);

    assertEquals(422, signed.statusCode(), signed.body());
    JsonObject error = new JsonObject(signed.body());
    assertEquals("CERTIFICATE_NOT_VALID", error.getString("error"));
    assertTrue(error.getString("reason").contains("expired"), error.getString("reason"));
    assertEquals(0, signerView(id).getInteger("failedPinAttempts"));
  }

  @Test
  void requestRoundTripThroughLicensedCa() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    X509CertificateHolder internal = certificateOf(signer);

    HttpResponse<String> created = officerPost("/api/v1/admin/signers/" + id + "/csr",
        new JsonObject().put("pin", PIN));
    assertEquals(201, created.statusCode(), created.body());
    HttpResponse<String> downloaded = officerGet("/api/v1/admin/signers/" + id + "/csr");
    assertEquals(200, downloaded.statusCode(), downloaded.body());
    assertEquals(new JsonObject(created.body()).getString("csr"), downloaded.body());
    PKCS10CertificationRequest request = parseRequest(downloaded.body());
    assertTrue(request.isSignatureValid(new JcaContentVerifierProviderBuilder()
        .build(new JcaPKCS10CertificationRequest(request).getPublicKey())));
    assertEquals(internal.getSubjectPublicKeyInfo(), request.getSubjectPublicKeyInfo());
    assertEquals(internal.getSubject(), request.getSubject());

    X509CertificateHolder issued = licensedCa.issue(request.getSubjectPublicKeyInfo(),
        request.getSubject(), Duration.ofDays(365),
        KeyUsage.nonRepudiation | KeyUsage.digitalSignature);
    HttpResponse<String> imported = importChain(id,
        SoftwareCa.pem(List.of(issued, licensedCa.intermediate)));
    assertEquals(201, imported.statusCode(), imported.body());
    assertEquals("IMPORTED", new JsonObject(imported.body()).getString("source"));

    HttpResponse<byte[]> signed = signBytes(id, PIN);
    assertEquals(200, signed.statusCode(), new String(signed.body()));
    List<X509CertificateHolder> embedded = embeddedCertificates(signed.body());
    assertEquals(issued.getSerialNumber(), signerCertificate(signed.body()).getSerialNumber());
    assertTrue(embedded.contains(licensedCa.intermediate), "intermediate not embedded");
    assertTrue(embedded.contains(licensedCa.root), "root not embedded");
  }

  @Test
  void importAcceptsDerPkcs7Bundle() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    X509CertificateHolder current = certificateOf(signer);
    X509CertificateHolder issued = licensedCa.issue(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Duration.ofDays(365), KeyUsage.digitalSignature);
    CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
    generator.addCertificates(new JcaCertStore(List.of(licensedCa.intermediate, issued)));
    byte[] bundle = generator.generate(new CMSAbsentContent()).getEncoded();

    HttpResponse<String> imported = http.send(HttpRequest.newBuilder(
            URI.create(base + "/api/v1/admin/signers/" + id + "/certificate"))
        .header("authorization", "Bearer " + officerToken)
        .header("content-type", "application/pkcs7-mime")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bundle))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(201, imported.statusCode(), imported.body());
    assertEquals(issued.getSerialNumber().toString(16),
        new JsonObject(imported.body()).getString("serial"));
    assertArrayEquals(issued.getEncoded(), certificateOf(signerView(id)).getEncoded());
  }

  @Test
  void importWithWrongKeyRejected() throws Exception {
    String id = enrol().getString("id");
    X509CertificateHolder other = licensedCa.issue(SoftwareCa.randomKey(),
        new X500Name("CN=Someone Else, C=CN"), Duration.ofDays(365), KeyUsage.nonRepudiation);

    HttpResponse<String> imported = importChain(id,
        SoftwareCa.pem(List.of(other, licensedCa.intermediate)));

    assertRejected(imported, "HSM key");
  }

  @Test
  void importWithUntrustedChainRejected() throws Exception {
    JsonObject signer = enrol();
    X509CertificateHolder current = certificateOf(signer);
    SoftwareCa stranger = new SoftwareCa("Stranger");
    X509CertificateHolder issued = stranger.issue(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Duration.ofDays(365), KeyUsage.nonRepudiation);

    HttpResponse<String> imported = importChain(signer.getString("id"),
        SoftwareCa.pem(List.of(issued, stranger.intermediate, stranger.root)));

    assertRejected(imported, "trust anchor");
  }

  @Test
  void importWithMissingIntermediateRejected() throws Exception {
    JsonObject signer = enrol();
    X509CertificateHolder current = certificateOf(signer);
    X509CertificateHolder issued = licensedCa.issue(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Duration.ofDays(365), KeyUsage.nonRepudiation);

    HttpResponse<String> imported = importChain(signer.getString("id"),
        SoftwareCa.pem(List.of(issued)));

    assertRejected(imported, "trust anchor");
  }

  @Test
  void importWithoutSigningUsageRejected() throws Exception {
    JsonObject signer = enrol();
    X509CertificateHolder current = certificateOf(signer);
    X509CertificateHolder issued = licensedCa.issue(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Duration.ofDays(365), KeyUsage.keyEncipherment);

    HttpResponse<String> imported = importChain(signer.getString("id"),
        SoftwareCa.pem(List.of(issued, licensedCa.intermediate)));

    assertRejected(imported, "keyUsage");
  }

  @Test
  void importOfGarbageRejected() throws Exception {
    String id = enrol().getString("id");

    HttpResponse<String> imported = importChain(id, "not a certificate");

    assertRejected(imported, "PEM or DER");
  }

  @Test
  void expiryWarningRecordedOnce() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    X509CertificateHolder current = certificateOf(signer);
    X509CertificateHolder shortLived = licensedCa.issue(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Duration.ofDays(10), KeyUsage.nonRepudiation);
    assertEquals(201, importChain(id,
        SoftwareCa.pem(List.of(shortLived, licensedCa.intermediate))).statusCode());

    join(gateway.services().certificates().expiry().check());
    join(gateway.services().certificates().expiry().check());

    assertEquals(1, auditCount(id, "CERTIFICATE_EXPIRING"));
    HttpResponse<String> listed = officerGet("/api/v1/admin/certificates/expiring");
    assertEquals(200, listed.statusCode(), listed.body());
    String serial = shortLived.getSerialNumber().toString(16);
    assertTrue(new JsonObject(listed.body()).getJsonArray("certificates").stream()
        .map(JsonObject.class::cast)
        .anyMatch(entry -> serial.equals(entry.getString("serial"))), listed.body());
  }

  @Test
  void expiryWarningTextsSigner() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    X509CertificateHolder current = certificateOf(signer);
    X509CertificateHolder shortLived = licensedCa.issue(current.getSubjectPublicKeyInfo(),
        current.getSubject(), Duration.ofDays(5), KeyUsage.nonRepudiation);
    assertEquals(201, importChain(id,
        SoftwareCa.pem(List.of(shortLived, licensedCa.intermediate))).statusCode());
    List<String> sent = new CopyOnWriteArrayList<>();
    SmsSender outbox = new SmsSender() {
      @Override
      public String name() {
        return "test-outbox";
      }

      @Override
      public Future<Void> send(String mobile, SmsTemplate template,
          Map<String, String> parameters) {
        sent.add(mobile + " " + template + " " + parameters.get("event"));
        return Future.succeededFuture();
      }
    };
    UUID signerId = UUID.fromString(id);
    CertificateExpiryWatch watch = new CertificateExpiryWatch(
        gateway.services().certificates().certificates(), Duration.ofDays(7),
        Clock.systemUTC(), Optional.of(outbox),
        requested -> Future.succeededFuture(requested.equals(signerId)
            ? Optional.of("13800138000") : Optional.empty()));

    join(watch.check());
    join(watch.check());

    assertEquals(List.of("13800138000 SECURITY_NOTICE CERTIFICATE_EXPIRING"), sent);
    assertEquals(1, auditCount(id, "CERTIFICATE_EXPIRING"));
  }

  @Test
  void rekeyReplacesPinAndCertificate() throws Exception {
    JsonObject signer = enrol();
    String id = signer.getString("id");
    BigInteger oldSerial = certificateOf(signer).getSerialNumber();
    lockWithWrongPins(id);
    UUID face = insertFaceVerification(id, true, Instant.now());

    HttpResponse<String> rekeyed = officerPost("/api/v1/admin/signers/" + id + "/rekey",
        new JsonObject().put("pin", NEW_PIN).put("faceVerificationId", face.toString()));

    assertEquals(200, rekeyed.statusCode(), rekeyed.body());
    JsonObject view = signerView(id);
    assertEquals(0, view.getInteger("failedPinAttempts"));
    X509CertificateHolder newCertificate = certificateOf(view);
    assertFalse(newCertificate.getSerialNumber().equals(oldSerial));
    assertNotNull(fetchCrl().getRevokedCertificate(oldSerial), "old certificate not in CRL");

    HttpResponse<String> withOldPin = sign(id, PIN);
    assertEquals(403, withOldPin.statusCode(), withOldPin.body());
    assertEquals("PIN_INCORRECT", new JsonObject(withOldPin.body()).getString("error"));
    HttpResponse<byte[]> withNewPin = signBytes(id, NEW_PIN);
    assertEquals(200, withNewPin.statusCode(), new String(withNewPin.body()));
    assertEquals(newCertificate.getSerialNumber(),
        signerCertificate(withNewPin.body()).getSerialNumber());
  }

  @Test
  void rekeyConsumesFaceVerification() throws Exception {
    String id = enrol().getString("id");
    UUID face = insertFaceVerification(id, true, Instant.now());
    JsonObject body = new JsonObject().put("pin", NEW_PIN)
        .put("faceVerificationId", face.toString());
    assertEquals(200, officerPost("/api/v1/admin/signers/" + id + "/rekey", body).statusCode());

    HttpResponse<String> again = officerPost("/api/v1/admin/signers/" + id + "/rekey", body);

    assertEquals(403, again.statusCode(), again.body());
    assertEquals("FACE_VERIFICATION_INVALID", new JsonObject(again.body()).getString("error"));
  }

  @Test
  void rekeyRejectsFailedStaleOrForeignFace() throws Exception {
    String id = enrol().getString("id");
    String otherId = enrol().getString("id");
    BigInteger serial = certificateOf(signerView(id)).getSerialNumber();
    List<UUID> invalid = List.of(
        insertFaceVerification(id, false, Instant.now()),
        insertFaceVerification(id, true, Instant.now().minus(Duration.ofHours(2))),
        insertFaceVerification(otherId, true, Instant.now()),
        UUID.randomUUID());

    for (UUID face : invalid) {
      HttpResponse<String> response = officerPost("/api/v1/admin/signers/" + id + "/rekey",
          new JsonObject().put("pin", NEW_PIN).put("faceVerificationId", face.toString()));
      assertEquals(403, response.statusCode(), response.body());
      assertEquals("FACE_VERIFICATION_INVALID",
          new JsonObject(response.body()).getString("error"));
    }
    assertEquals(serial, certificateOf(signerView(id)).getSerialNumber());
    assertEquals(200, signBytes(id, PIN).statusCode());
  }

  @Test
  void longTermLevelAddsDssWithCrl() throws Exception {
    String id = enrol().getString("id");
    HttpResponse<byte[]> signed = signBytes(id, PIN);
    assertEquals(200, signed.statusCode(), new String(signed.body()));
    Gateway.Services services = gateway.services();
    SigningCertificates longTerm = new SigningCertificates(services.certificates().certificates(),
        services.ca(), services.certificates().crl(), "B-LT", services.workers(),
        Clock.systemUTC());
    List<X509CertificateHolder> chain = List.of(signerCertificate(signed.body()),
        services.ca().certificate());

    byte[] withDss = join(longTerm.addValidationData(signed.body(), chain));

    assertArrayEquals(signed.body(),
        Arrays.copyOf(withDss, signed.body().length), "signed bytes changed");
    try (PDDocument document = Loader.loadPDF(withDss)) {
      COSDictionary dss = document.getDocumentCatalog().getCOSObject()
          .getCOSDictionary(COSName.getPDFName("DSS"));
      assertNotNull(dss, "no /DSS in the catalog");
      COSArray crls = dss.getCOSArray(COSName.getPDFName("CRLs"));
      assertEquals(1, crls.size());
      byte[] crlDer;
      try (var in = ((COSStream) crls.getObject(0)).createInputStream()) {
        crlDer = in.readAllBytes();
      }
      X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
          .generateCRL(new ByteArrayInputStream(crlDer));
      crl.verify(caCertificate().getPublicKey());
      assertEquals(2, dss.getCOSArray(COSName.getPDFName("Certs")).size());
    }
    String pdfsig = pdfsig(withDss);
    // NOTE: pdfsig 22.12 reports "Unknown issue with Certificate" for gateway-CA certificates
    // with or without this update, so only the signature status is checked here.
    assertTrue(pdfsig.contains("Signature Validation: Signature is Valid"), pdfsig);
    assertFalse(pdfsig.contains("- Total document signed"), pdfsig);
  }

  @Test
  void resetNeedsTwoDistinctOfficers() throws Exception {
    String id = enrol().getString("id");
    UUID face = insertFaceVerification(id, true, Instant.now());
    String path = "/api/v1/admin/signers/" + id + "/pin-reset-approvals";
    JsonObject body = new JsonObject().put("faceVerificationId", face.toString());

    JsonObject first = new JsonObject(postAs(WANG_TOKEN, path, body).body());
    JsonObject repeated = new JsonObject(postAs(WANG_TOKEN, path, body).body());
    JsonObject second = new JsonObject(postAs(LI_TOKEN, path, body).body());

    assertFalse(first.getBoolean("approved"));
    assertEquals(List.of("wang"), first.getJsonArray("officers").getList());
    assertFalse(repeated.getBoolean("approved"));
    assertEquals(1, repeated.getJsonArray("officers").size());
    assertTrue(second.getBoolean("approved"));
    assertEquals(2, second.getJsonArray("officers").size());
    assertEquals(2, auditCount(id, "PIN_RESET_APPROVED"));
  }

  @Test
  void resetApprovalNeedsNamedOfficer() throws Exception {
    String id = enrol().getString("id");
    UUID face = insertFaceVerification(id, true, Instant.now());
    String path = "/api/v1/admin/signers/" + id + "/pin-reset-approvals";
    JsonObject body = new JsonObject().put("faceVerificationId", face.toString());

    assertEquals(401, postAs(officerToken, path, body).statusCode());
    assertEquals(401, postAs("too-short", path, body).statusCode());
    HttpResponse<String> stale = postAs(WANG_TOKEN, path, new JsonObject().put(
        "faceVerificationId", insertFaceVerification(id, true,
            Instant.now().minus(Duration.ofHours(1))).toString()));
    assertEquals(403, stale.statusCode(), stale.body());
    assertEquals(0, auditCount(id, "PIN_RESET_APPROVED"));
  }

  @Test
  void csrWithWrongPinCountsTry() throws Exception {
    String id = enrol().getString("id");

    HttpResponse<String> created = officerPost("/api/v1/admin/signers/" + id + "/csr",
        new JsonObject().put("pin", "975310"));

    assertEquals(403, created.statusCode(), created.body());
    assertEquals(1, signerView(id).getInteger("failedPinAttempts"));
    assertEquals(1, auditCount(id, "PIN_REJECTED"));
    HttpResponse<String> none = officerGet("/api/v1/admin/signers/" + id + "/csr");
    assertEquals(404, none.statusCode(), none.body());
  }

  @Test
  void officerRoutesNeedOfficerToken() throws Exception {
    String id = enrol().getString("id");
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create(base + "/api/v1/admin/signers/" + id + "/revoke"))
        .header("authorization", "Bearer " + clientToken)
        .POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(401, response.statusCode());
    assertNull(signerView(id).getValue("revokedAt"));
  }

  private static void assertRejected(HttpResponse<String> response, String reasonPart) {
    assertEquals(422, response.statusCode(), response.body());
    JsonObject error = new JsonObject(response.body());
    assertEquals("CERTIFICATE_REJECTED", error.getString("error"));
    assertTrue(error.getString("reason").contains(reasonPart), error.getString("reason"));
  }

  private static void lockWithWrongPins(String id) throws Exception {
    for (int i = 0; i < 5; i++) {
      sign(id, "975310");
    }
    assertEquals("PIN_LOCKED", signerView(id).getString("status"));
  }

  private static UUID insertFaceVerification(String signerId, boolean passed, Instant at) {
    UUID id = UUID.randomUUID();
    join(gateway.services().database().pool()
        .preparedQuery("INSERT INTO face_verifications (id, signer_id, passed, verified_at)"
            + " VALUES ($1, $2, $3, $4)")
        .execute(Tuple.of(id, UUID.fromString(signerId), passed,
            OffsetDateTime.ofInstant(at, ZoneOffset.UTC))));
    return id;
  }

  private static long auditCount(String signerId, String action) {
    return join(gateway.services().database().pool()
        .preparedQuery("SELECT count(*) FROM audit_events WHERE signer_id = $1 AND action = $2")
        .execute(Tuple.of(UUID.fromString(signerId), action)))
        .iterator().next().getLong(0);
  }

  private static JsonObject enrol() throws Exception {
    JsonObject body = new JsonObject()
        .put("name", "测试签名人")
        .put("idNumber", nextIdNumber())
        .put("pin", PIN)
        .put("signatureImage", Base64.getEncoder().encodeToString(signaturePng()));
    HttpResponse<String> response = officerPost("/api/v1/signers", body);
    assertEquals(201, response.statusCode(), response.body());
    return new JsonObject(response.body());
  }

  private static JsonObject signerView(String id) throws Exception {
    HttpResponse<String> response = officerGet("/api/v1/admin/signers/" + id);
    assertEquals(200, response.statusCode(), response.body());
    return new JsonObject(response.body());
  }

  private static X509CertificateHolder certificateOf(JsonObject signer) throws Exception {
    return new X509CertificateHolder(Base64.getDecoder().decode(signer.getString("certificate")));
  }

  private static HttpResponse<String> sign(String id, String pin) throws Exception {
    return http.send(signRequest(id, pin), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<byte[]> signBytes(String id, String pin) throws Exception {
    return http.send(signRequest(id, pin), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpRequest signRequest(String id, String pin) {
    JsonObject body = new JsonObject()
        .put("signerId", id)
        .put("pin", pin)
        .put("pdf", Base64.getEncoder().encodeToString(pdf))
        .put("placement", new JsonObject().put("page", 1).put("x", 50).put("y", 50)
            .put("width", 120).put("height", 50));
    return HttpRequest.newBuilder(URI.create(base + "/api/v1/signatures"))
        .header("authorization", "Bearer " + clientToken)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
  }

  private static HttpResponse<String> importChain(String id, String pem) throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create(base + "/api/v1/admin/signers/" + id + "/certificate"))
        .header("authorization", "Bearer " + officerToken)
        .header("content-type", "application/x-pem-file")
        .POST(HttpRequest.BodyPublishers.ofString(pem))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> officerPost(String path, JsonObject body)
      throws Exception {
    return postAs(officerToken, path, body);
  }

  private static HttpResponse<String> postAs(String token, String path, JsonObject body)
      throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("authorization", "Bearer " + token)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> officerGet(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("authorization", "Bearer " + officerToken)
        .GET()
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static X509CRL fetchCrl() throws Exception {
    HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
        URI.create(base + CrlPublisher.PATH)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    assertEquals("application/pkix-crl",
        response.headers().firstValue("content-type").orElse(""));
    return (X509CRL) CertificateFactory.getInstance("X.509")
        .generateCRL(new ByteArrayInputStream(response.body()));
  }

  private static X509Certificate caCertificate() throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
        Files.newInputStream(dataDir.resolve("ca-certificate.pem")));
  }

  /** Runs pdfsig with an NSS database that trusts the gateway's CA certificate. */
  private static String pdfsig(byte[] signedPdf) throws Exception {
    Path nss = Files.createTempDirectory(dataDir, "nss");
    run("certutil", "-N", "--empty-password", "-d", "sql:" + nss);
    Path ca = dataDir.resolve("ca-certificate.der");
    Files.write(ca, caCertificate().getEncoded());
    run("certutil", "-A", "-n", "yunqian-ca", "-t", "C,C,C", "-i", ca.toString(), "-d",
        "sql:" + nss);
    Path file = Files.createTempFile(dataDir, "signed", ".pdf");
    Files.write(file, signedPdf);
    return run("pdfsig", "-nssdir", "sql:" + nss, "-no-ocsp", file.toString());
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
    return output;
  }

  private static PKCS10CertificationRequest parseRequest(String pem) throws Exception {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return (PKCS10CertificationRequest) parser.readObject();
    }
  }

  private static CMSSignedData lastSignature(byte[] signedPdf) throws Exception {
    try (PDDocument document = Loader.loadPDF(signedPdf)) {
      List<PDSignature> signatures = document.getSignatureDictionaries();
      PDSignature last = signatures.get(signatures.size() - 1);
      // The /Contents string is zero-padded after the DER, so read only the first object.
      try (ASN1InputStream in = new ASN1InputStream(last.getContents(signedPdf))) {
        return new CMSSignedData(ContentInfo.getInstance(in.readObject()));
      }
    }
  }

  private static X509CertificateHolder signerCertificate(byte[] signedPdf) throws Exception {
    CMSSignedData cms = lastSignature(signedPdf);
    SignerInformation info = cms.getSignerInfos().getSigners().iterator().next();
    @SuppressWarnings("unchecked")
    var matches = cms.getCertificates().getMatches(info.getSID());
    return (X509CertificateHolder) matches.iterator().next();
  }

  private static List<X509CertificateHolder> embeddedCertificates(byte[] signedPdf)
      throws Exception {
    @SuppressWarnings("unchecked")
    var all = lastSignature(signedPdf).getCertificates().getMatches(null);
    return all.stream().map(X509CertificateHolder.class::cast).toList();
  }

  /** Returns a valid GB 11643 number born 1980-01-01, different on every call. */
  private static String nextIdNumber() {
    String body = "11010519800101" + String.format("%03d", NEXT_ID.incrementAndGet());
    int[] weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += (body.charAt(i) - '0') * weights[i];
    }
    return body + "10X98765432".charAt(sum % 11);
  }

  private static byte[] signaturePng() throws Exception {
    BufferedImage image = new BufferedImage(120, 50, BufferedImage.TYPE_INT_ARGB);
    var graphics = image.createGraphics();
    graphics.setColor(java.awt.Color.BLACK);
    graphics.drawLine(5, 40, 110, 10);
    graphics.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** A clock that tests move forward by hand. */
  private static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      now = start;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private static <T> T join(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
