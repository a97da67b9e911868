package cn.yunqian.api;

import static cn.yunqian.testing.TestGateway.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.app.DemoSigner;
import cn.yunqian.app.Gateway;
import cn.yunqian.hsm.PrivateKeyAttributes;
import cn.yunqian.signer.Signer;
import cn.yunqian.signing.PdfTools;
import cn.yunqian.signing.SignatureVerifier;
import cn.yunqian.signing.VerifiedSignature;
import cn.yunqian.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API end to end: real SoftHSM2, real PostgreSQL, real HTTP on loopback. */
class GatewayApiTest {

  private static final String CHINESE_NAME = "欧阳娜娜";
  private static final String PIN = "250913";

  private static Gateway gateway;
  private static WebClient client;
  private static String clientToken;
  private static String officerToken;

  @TempDir
  Path work;

  @BeforeAll
  static void start() throws Exception {
    PdfTools.requireTools();
    gateway = TestGateway.start("api");
    client = WebClient.create(gateway.vertx(), new WebClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(gateway.port()));
    clientToken = gateway.services().secrets().clientToken();
    officerToken = gateway.services().secrets().officerToken();
    PdfTools.trust(gateway.services().ca().certificate(), "gateway-api-test-ca");
  }

  @AfterAll
  static void stop() {
    client.close();
    gateway.close();
  }

  @Test
  void healthReportsHsmTestSignature() {
    HttpResponse<Buffer> response = join(client.get("/health").send());
    assertEquals(200, response.statusCode());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("UP", body.getString("status"));
    assertNotNull(body.getJsonObject("hsm").getString("lastTestSignature"));
    assertEquals("UP", body.getJsonObject("database").getString("status"));
  }

  @Test
  void metricsServePrometheusText() {
    HttpResponse<Buffer> response = join(client.get("/metrics").send());
    assertEquals(200, response.statusCode());
    assertTrue(response.getHeader("content-type").startsWith("text/plain"));
    assertTrue(response.bodyAsString().contains("vertx_http_server"));
    assertTrue(response.bodyAsString().contains("yunqian_signatures"));
  }

  @Test
  void enrolsChineseSignerWithCertificate() throws Exception {
    String idNumber = idNumber("19800512", "321");
    HttpResponse<Buffer> response = enrol(CHINESE_NAME, idNumber);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(CHINESE_NAME, body.getString("name"));
    assertEquals(idNumber.substring(0, 4) + "**********" + idNumber.substring(14),
        body.getString("idNumber"));
    assertFalse(response.bodyAsString().contains(idNumber));
    assertFalse(response.bodyAsString().contains(PIN));

    X509CertificateHolder certificate = new X509CertificateHolder(
        Base64.getDecoder().decode(body.getString("certificate")));
    assertEquals(CHINESE_NAME, IETFUtils.valueToString(
        certificate.getSubject().getRDNs(BCStyle.CN)[0].getFirst().getValue()));
    String serial = IETFUtils.valueToString(
        certificate.getSubject().getRDNs(BCStyle.SERIALNUMBER)[0].getFirst().getValue());
    assertFalse(serial.contains(idNumber));
    assertEquals(gateway.services().ca().certificate().getSubject(), certificate.getIssuer());
  }

  @Test
  void enrolledKeyIsSensitiveAndNeverExtractable() {
    Signer signer = enrolNew("19751230", "135");
    PrivateKeyAttributes attributes = gateway.services().tokens()
        .readPrivateKeyAttributes(signer.tokenLabel(), PIN.toCharArray());
    assertTrue(attributes.sensitive());
    assertFalse(attributes.extractable());
    assertTrue(attributes.neverExtractable());
    assertTrue(attributes.alwaysSensitive());
    assertTrue(attributes.local());
    assertTrue(attributes.sign());
    assertFalse(attributes.decrypt());
    assertFalse(attributes.unwrap());
  }

  @Test
  void signsJsonRequestNearKeyword() throws Exception {
    Signer signer = enrolNew("19820203", "246");
    byte[] input = TestGateway.corpusFile("chinese-text-cjk-font.pdf");
    JsonObject request = new JsonObject()
        .put("signerId", signer.id().toString())
        .put("pin", PIN)
        .put("pdf", Base64.getEncoder().encodeToString(input))
        .put("placement", new JsonObject().put("keyword", "这是第二行"));
    HttpResponse<Buffer> response = join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .sendJsonObject(request));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("application/pdf", response.getHeader("content-type"));
    assertNotNull(response.getHeader("x-yunqian-signature-id"));
    assertSignedBy(input, response.body().getBytes(), CHINESE_NAME);
  }

  @Test
  void signsMultipartRequestOnPage() throws Exception {
    Signer signer = enrolNew("19900707", "357");
    Path pdf = work.resolve("in.pdf");
    byte[] input = TestGateway.corpusFile("plain-one-page.pdf");
    Files.write(pdf, input);
    MultipartForm form = MultipartForm.create()
        .attribute("signerId", signer.id().toString())
        .attribute("pin", PIN)
        .attribute("page", "1")
        .attribute("x", "300")
        .attribute("y", "80")
        .attribute("width", "160")
        .attribute("height", "64")
        .binaryFileUpload("pdf", "in.pdf", pdf.toString(), "application/pdf");
    HttpResponse<Buffer> response = join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .sendMultipartForm(form));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertSignedBy(input, response.body().getBytes(), CHINESE_NAME);
  }

  @Test
  void fiveWrongPinsLockUntilOfficerUnlocks() {
    Signer signer = enrolNew("19850101", "468");
    for (int attempt = 1; attempt <= 4; attempt++) {
      HttpResponse<Buffer> wrong = sign(signer.id(), "975310");
      assertEquals(403, wrong.statusCode(), wrong.bodyAsString());
      assertEquals("PIN_INCORRECT", wrong.bodyAsJsonObject().getString("error"));
      int left = 5 - attempt;
      assertTrue(wrong.bodyAsJsonObject().getString("reason")
          .contains(left + (left == 1 ? " try left" : " tries left")));
    }
    HttpResponse<Buffer> fifth = sign(signer.id(), "975310");
    assertEquals(423, fifth.statusCode());
    assertEquals("PIN_LOCKED", fifth.bodyAsJsonObject().getString("error"));

    HttpResponse<Buffer> rightButLocked = sign(signer.id(), PIN);
    assertEquals(423, rightButLocked.statusCode());

    HttpResponse<Buffer> unlocked = join(client
        .post("/api/v1/admin/signers/" + signer.id() + "/unlock")
        .bearerTokenAuthentication(officerToken)
        .sendJsonObject(new JsonObject().put("reason", "identity checked by phone")));
    assertEquals(200, unlocked.statusCode(), unlocked.bodyAsString());
    assertEquals(0, unlocked.bodyAsJsonObject().getInteger("failedPinAttempts"));
    assertEquals(200, sign(signer.id(), PIN).statusCode());
  }

  @Test
  void concurrentWrongPinsNeverExceedLimit() {
    Signer signer = enrolNew("19880808", "579");
    List<Future<HttpResponse<Buffer>>> requests = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      requests.add(client.post("/api/v1/signatures")
          .bearerTokenAuthentication(clientToken)
          .sendJsonObject(signRequest(signer.id(), "864209")));
    }
    join(Future.join(requests));
    long rejectedByHsm = requests.stream()
        .filter(request -> request.result().statusCode() == 403).count();
    long locked = requests.stream()
        .filter(request -> request.result().statusCode() == 423).count();
    assertEquals(4, rejectedByHsm);
    assertEquals(8, locked);
    long hsmTries = join(gateway.services().signers().pool()
        .query("SELECT count(*) FROM audit_events WHERE action = 'PIN_REJECTED' AND signer_id = '"
            + signer.id() + "'").execute()).iterator().next().getLong(0);
    assertEquals(5, hsmTries);
  }

  @Test
  void rejectedPdfDoesNotUseAPinTry() {
    Signer signer = enrolNew("19700315", "680");
    JsonObject notPdf = signRequest(signer.id(), "975310")
        .put("pdf", Base64.getEncoder().encodeToString("hello, not a PDF".getBytes()));
    HttpResponse<Buffer> response = join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .sendJsonObject(notPdf));
    assertEquals(415, response.statusCode());
    assertEquals("NOT_A_PDF", response.bodyAsJsonObject().getString("error"));
    assertEquals(0, reload(signer).failedPinAttempts());
  }

  @Test
  void missingKeywordIsNamed() {
    Signer signer = enrolNew("19660606", "791");
    JsonObject request = signRequest(signer.id(), PIN)
        .put("placement", new JsonObject().put("keyword", "评标委员会成员签字"));
    HttpResponse<Buffer> response = join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .sendJsonObject(request));
    assertEquals(422, response.statusCode());
    assertEquals("KEYWORD_NOT_FOUND", response.bodyAsJsonObject().getString("error"));
    assertTrue(response.bodyAsJsonObject().getString("reason").contains("评标委员会成员签字"));
  }

  @Test
  void badRequestsGetClearErrors() {
    Signer signer = enrolNew("19721111", "802");
    assertError(join(client.post("/api/v1/signatures").sendJsonObject(new JsonObject())),
        401, "UNAUTHORIZED");
    assertError(join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(officerToken)
        .sendJsonObject(new JsonObject())), 401, "UNAUTHORIZED");
    assertError(join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer("{not json"))), 400, "INVALID_REQUEST");
    assertError(join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer("[1, 2]"))), 400, "INVALID_REQUEST");
    assertError(join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .putHeader("content-type", "text/plain")
        .sendBuffer(Buffer.buffer("x"))), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertError(post(signRequest(UUID.randomUUID(), PIN)), 404, "SIGNER_NOT_FOUND");
    assertError(post(signRequest(signer.id(), "12ab56")), 400, "PIN_FORMAT_INVALID");
    assertError(post(signRequest(signer.id(), PIN).put("signerId", "nope")), 400,
        "INVALID_REQUEST");
    assertError(post(signRequest(signer.id(), PIN).put("pdf", "***")), 400, "INVALID_REQUEST");
    assertError(post(signRequest(signer.id(), PIN).put("placement", new JsonObject()
        .put("page", 1).put("x", 10))), 400, "PLACEMENT_INVALID");
    assertError(post(signRequest(signer.id(), PIN).put("placement", new JsonObject()
        .put("page", 9).put("x", 10).put("y", 10).put("width", 100).put("height", 40))), 422,
        "PAGE_OUT_OF_RANGE");
    assertError(post(signRequest(signer.id(), PIN).put("pdf", Base64.getEncoder()
        .encodeToString(TestGateway.corpusFile("encrypted-password-user.pdf")))), 422,
        "PDF_PASSWORD_REQUIRED");
    assertError(post(signRequest(signer.id(), PIN).put("pdf", Base64.getEncoder()
        .encodeToString(TestGateway.corpusFile("truncated.pdf")))), 422, "PDF_DAMAGED");
    assertError(join(client.get("/api/v1/nothing-here").bearerTokenAuthentication(clientToken)
        .send()), 404, "NOT_FOUND");
    assertEquals(0, reload(signer).failedPinAttempts());
  }

  @Test
  void oversizedPdfIsRejected() {
    Signer signer = enrolNew("19790909", "913");
    byte[] huge = new byte[(int) gateway.services().config().maxPdfBytes() + 1];
    byte[] header = "%PDF-1.7\n".getBytes();
    System.arraycopy(header, 0, huge, 0, header.length);
    assertError(post(signRequest(signer.id(), PIN)
        .put("pdf", Base64.getEncoder().encodeToString(huge))), 413, "PDF_TOO_LARGE");
  }

  @Test
  void enrolmentRejectsBadInputAndKeepsNothing() {
    long before = signerCount();
    String id = idNumber("19810101", "024");
    assertError(enrol("王芳1", id), 400, "NAME_INVALID");
    assertError(enrol("张三", id.substring(0, 17) + (id.charAt(17) == '1' ? '2' : '1')), 400,
        "ID_NUMBER_INVALID");
    assertError(join(client.post("/api/v1/signers").bearerTokenAuthentication(officerToken)
        .sendJsonObject(enrolRequest("张三", id).put("pin", "123456"))), 400, "PIN_TOO_WEAK");
    assertError(join(client.post("/api/v1/signers").bearerTokenAuthentication(officerToken)
        .sendJsonObject(enrolRequest("张三", id).put("signatureImage",
            Base64.getEncoder().encodeToString("GIF89a....".getBytes())))), 400, "IMAGE_INVALID");
    assertError(join(client.post("/api/v1/signers").bearerTokenAuthentication(clientToken)
        .sendJsonObject(enrolRequest("张三", id))), 401, "UNAUTHORIZED");
    assertEquals(201, enrol("张三", id).statusCode());
    assertError(enrol("张三", id), 409, "ID_NUMBER_ALREADY_ENROLLED");
    assertEquals(before + 1, signerCount());
  }

  @Test
  void parallelSameIdEnrolmentMakesOneSigner() {
    long before = signerCount();
    String id = idNumber("19830303", "146");
    List<Future<HttpResponse<Buffer>>> requests = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      requests.add(client.post("/api/v1/signers").bearerTokenAuthentication(officerToken)
          .sendJsonObject(enrolRequest("王五", id)));
    }
    join(Future.join(requests));
    long created = requests.stream().filter(r -> r.result().statusCode() == 201).count();
    long rejected = requests.stream().filter(r -> r.result().statusCode() == 409).count();
    assertEquals(1, created);
    assertEquals(5, rejected);
    assertEquals(before + 1, signerCount());
  }

  @Test
  void unauthenticatedBodyIsNotRead() {
    HttpResponse<Buffer> response = join(client.post("/api/v1/signatures")
        .putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer(new byte[4 * 1024 * 1024])));
    assertEquals(401, response.statusCode());
    assertError(join(client.post("/api/v1/admin/signers/" + UUID.randomUUID() + "/unlock")
        .bearerTokenAuthentication(clientToken).send()), 401, "UNAUTHORIZED");
  }

  @Test
  void healthAnswersHead() {
    assertEquals(200, join(client.head("/health").send()).statusCode());
  }

  @Test
  void placementErrorCostsNoPinTry() {
    Signer signer = enrolNew("19690909", "257");
    JsonObject request = signRequest(signer.id(), "975310")
        .put("placement", new JsonObject().put("keyword", "不存在的关键字"));
    assertError(post(request), 422, "KEYWORD_NOT_FOUND");
    assertEquals(0, reload(signer).failedPinAttempts());
  }

  @Test
  void loopingPageTreeIsDamaged() {
    Signer signer = enrolNew("19680808", "368");
    String pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        + "2 0 obj << /Type /Pages /Kids [2 0 R] /Count 1 >> endobj\n";
    int xref = pdf.length();
    pdf += "xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
        + "trailer << /Size 3 /Root 1 0 R >>\nstartxref\n" + xref + "\n%%EOF\n";
    assertError(post(signRequest(signer.id(), PIN).put("pdf", Base64.getEncoder()
        .encodeToString(pdf.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))), 422,
        "PDF_DAMAGED");
    assertEquals(0, reload(signer).failedPinAttempts());
  }

  @Test
  void databaseHoldsNoFullIdNumberOrPin() {
    String id = idNumber("19770707", "135");
    assertEquals(201, enrol("李四", id).statusCode());
    String dump = join(gateway.services().signers().pool()
        .query("SELECT string_agg(t::text, '|') FROM signers t").execute())
        .iterator().next().getString(0);
    String audit = join(gateway.services().signers().pool()
        .query("SELECT string_agg(details || actor || action, '|') FROM audit_events")
        .execute()).iterator().next().getString(0);
    assertFalse(dump.contains(id));
    assertFalse(dump.contains(id.substring(6, 14)));
    assertFalse(audit.contains(id));
    assertFalse(audit.contains(PIN));
  }

  private void assertSignedBy(byte[] input, byte[] output, String name) throws Exception {
    assertArrayEquals(input, Arrays.copyOf(output, input.length));
    List<VerifiedSignature> signatures = SignatureVerifier.verify(output, null);
    VerifiedSignature last = signatures.get(signatures.size() - 1);
    assertTrue(last.cryptographicallyValid(), last.failure());
    assertTrue(SignatureVerifier.lastCoversWholeDocument(signatures));
    X509CertificateHolder certificate = last.signerCertificate();
    assertEquals(name, IETFUtils.valueToString(
        certificate.getSubject().getRDNs(BCStyle.CN)[0].getFirst().getValue()));
    assertTrue(certificate.isSignatureValid(new org.bouncycastle.operator.jcajce
        .JcaContentVerifierProviderBuilder().build(gateway.services().ca().certificate())));

    Path file = work.resolve("signed.pdf");
    Files.write(file, output);
    List<PdfTools.PdfsigSignature> pdfsig = PdfTools.pdfsig(file, null);
    PdfTools.PdfsigSignature newest = pdfsig.get(pdfsig.size() - 1);
    String text = PdfTools.pdfsigOutput(file, null);
    assertTrue(newest.valid(), text);
    assertTrue(newest.totalDocumentSigned(), text);
    String checked = PdfTools.pdfsigWithCertificateCheck(file);
    assertTrue(checked.contains("Certificate Validation: Certificate is Trusted"), checked);
  }

  private Signer enrolNew(String birthDate, String sequence) {
    HttpResponse<Buffer> response = enrol(CHINESE_NAME, idNumber(birthDate, sequence));
    assertEquals(201, response.statusCode(), response.bodyAsString());
    return reload(UUID.fromString(response.bodyAsJsonObject().getString("id")));
  }

  private Signer reload(Signer signer) {
    return reload(signer.id());
  }

  private Signer reload(UUID id) {
    return join(gateway.services().signers().findById(id)).orElseThrow();
  }

  private long signerCount() {
    return join(gateway.services().signers().pool().query("SELECT count(*) FROM signers")
        .execute()).iterator().next().getLong(0);
  }

  private HttpResponse<Buffer> enrol(String name, String idNumber) {
    return join(client.post("/api/v1/signers")
        .bearerTokenAuthentication(officerToken)
        .sendJsonObject(enrolRequest(name, idNumber)));
  }

  private static JsonObject enrolRequest(String name, String idNumber) {
    return new JsonObject()
        .put("name", name)
        .put("idNumber", idNumber)
        .put("personType", "专家")
        .put("pin", PIN)
        .put("signatureImage", Base64.getEncoder().encodeToString(
            new DemoSigner().signatureImage()));
  }

  private HttpResponse<Buffer> sign(UUID signerId, String pin) {
    return post(signRequest(signerId, pin));
  }

  private HttpResponse<Buffer> post(JsonObject request) {
    return join(client.post("/api/v1/signatures")
        .bearerTokenAuthentication(clientToken)
        .sendJsonObject(request));
  }

  private static JsonObject signRequest(UUID signerId, String pin) {
    return new JsonObject()
        .put("signerId", signerId.toString())
        .put("pin", pin)
        .put("pdf", Base64.getEncoder().encodeToString(
            TestGateway.corpusFile("plain-one-page.pdf")))
        .put("placement", new JsonObject().put("page", 1).put("x", 36).put("y", 36)
            .put("width", 150).put("height", 62));
  }

  private static void assertError(HttpResponse<Buffer> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(code, body.getString("error"), response.bodyAsString());
    assertFalse(body.getString("reason", "").isBlank());
    assertFalse(response.bodyAsString().contains("Exception"), response.bodyAsString());
  }

  /** Builds a valid ID number in 北京市东城区 with the given birth date and sequence. */
  private static String idNumber(String birthDate, String sequence) {
    String first17 = "110101" + birthDate + sequence;
    return first17 + cn.yunqian.identity.ResidentIdNumber.checkCharacter(first17);
  }
}
