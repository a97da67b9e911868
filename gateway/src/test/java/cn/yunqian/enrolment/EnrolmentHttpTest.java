package cn.yunqian.enrolment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.app.Gateway;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.signing.SignatureVerifier;
import cn.yunqian.signing.VerifiedSignature;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Drives the enrolment API of a real gateway (SoftHSM2, PostgreSQL) over loopback HTTP. */
class EnrolmentHttpTest {

  private static final MutableClock CLOCK =
      new MutableClock(Instant.parse("2026-06-01T08:00:00Z"));
  /** Last 8 digits of the next test mobile number; random so reruns start elsewhere. */
  private static final AtomicInteger MOBILES =
      new AtomicInteger((int) (Math.random() * 1_000_000) * 10);
  private static Gateway gateway;
  private static WebClient client;
  private static String reviewerToken;
  private static String clientToken;

  @BeforeAll
  static void startGateway() {
    EnrolmentConfig config = EnrolmentConfig.fromEnvironment(Map.of())
        .withClockAndDevMode(CLOCK, true);
    gateway = TestGateways.start(config, Map.of());
    reviewerToken = gateway.services().secrets().reviewerToken();
    clientToken = gateway.services().secrets().clientToken();
    client = WebClient.create(gateway.vertx(), new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(gateway.port()));
  }

  @AfterAll
  static void stopGateway() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void phoneFirstWalksToApprovedSignerThatSigns() throws Exception {
    String idNumber = newIdNumber("440305", "19800212");
    Phone phone = startEnrolment("phone-first");
    String mobile = newMobile();
    smsLogin(phone, mobile);
    expectState(phone.multipart("id-card", idCardForm(jpeg(800, 500), png(800, 500))), "identity");
    expectState(phone.post("identity", new JsonObject().put("personType", "专家")
        .put("name", "王芳").put("idNumber", idNumber)), "region");
    expectState(phone.post("region", new JsonObject().put("countyCode", "440305")), "pin");
    expectState(phone.post("pin", pin("250913")), "face");
    expectState(phone.post("face", face(0.95, 1)), "signature");
    expectState(phone.post("signature", signature(3)), "review");

    JsonObject submitted = phone.post("submit", new JsonObject()).bodyAsJsonObject();
    assertEquals("PENDING_REVIEW", submitted.getString("status"));
    assertEquals("4403**********" + idNumber.substring(14), submitted.getString("idNumber"));
    assertEquals(mobile.substring(0, 3) + "****" + mobile.substring(7),
        submitted.getString("mobile"));

    String id = submitted.getString("id");
    HttpResponse<Buffer> photo = reviewer("GET", "/api/v1/admin/enrolments/" + id
        + "/id-card/front", null);
    assertEquals(200, photo.statusCode());
    assertEquals("image/jpeg", photo.getHeader("content-type"));
    assertEquals("no-store", photo.getHeader("cache-control"));
    HttpResponse<Buffer> approved = reviewer("POST", "/api/v1/admin/enrolments/" + id
        + "/approve", null);
    assertEquals(200, approved.statusCode(), approved.bodyAsString());
    JsonObject record = approved.bodyAsJsonObject();
    assertEquals("APPROVED", record.getString("status"));
    assertEquals(1, count("SELECT count(*) FROM signers WHERE status = 'ACTIVE' AND id = '"
        + record.getString("signerId") + "'"));
    assertTrue(gateway.services().tokens().exists(EnrolmentSteps.tokenLabel(
        java.util.UUID.fromString(record.getString("signerId")))));
    assertEquals("APPROVED", outboxResult(mobile));

    signAndVerify(record.getString("signerId"), "250913", "王芳");
    String metrics = client.get("/metrics").send().await().bodyAsString();
    assertTrue(metrics.contains("enrolment_started_total{preset=\"phone-first\"}"), metrics);
    assertTrue(metrics.contains("enrolment_completed_total{outcome=\"approved\"}"), metrics);
  }

  @Test
  void signatureFirstNeedsReviewWithBuiltinFace() throws Exception {
    Phone phone = startEnrolment("signature-first");
    String mobile = newMobile();
    expectState(phone.post("signature", signature(4)), "identity");
    assertEquals(200, phone.post("sms/request", new JsonObject().put("mobile", mobile))
        .statusCode());
    expectState(phone.post("identity", new JsonObject().put("personType", "代理")
        .put("name", "李雷").put("idNumber", newIdNumber("110101", "19750503"))
        .put("mobile", mobile).put("code", outboxCode(mobile))), "face");
    expectState(phone.post("face", face(0.9, 1)), "pin");
    expectState(phone.post("pin", pin("480271")), "review");
    JsonObject submitted = phone.post("submit", new JsonObject()).bodyAsJsonObject();
    assertEquals("PENDING_REVIEW", submitted.getString("status"));
    HttpResponse<Buffer> approved = reviewer("POST", "/api/v1/admin/enrolments/"
        + submitted.getString("id") + "/approve", null);
    assertEquals(200, approved.statusCode(), approved.bodyAsString());
    JsonObject done = approved.bodyAsJsonObject();
    assertEquals("APPROVED", done.getString("status"));
    assertEquals("result", done.getString("current"));
    String signerId = gateway.services().signers().pool()
        .preparedQuery("SELECT signer_id FROM enrolments WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(java.util.UUID.fromString(done.getString("id"))))
        .await().iterator().next().getUUID(0).toString();
    signAndVerify(signerId, "480271", "李雷");
  }

  @Test
  void threeStepGoesBackPostponesAndResumes() throws Exception {
    Phone phone = startEnrolment("three-step");
    assertError(phone.post("region", new JsonObject().put("countyCode", "440305")), 409,
        "STEP_OUT_OF_ORDER");
    assertError(phone.post("sms/request", new JsonObject().put("mobile", newMobile())), 409,
        "STEP_OUT_OF_ORDER");
    assertError(phone.post("submit", new JsonObject()), 409, "STEP_OUT_OF_ORDER");
    expectState(phone.post("signature", signature(2)), "identity");
    expectState(phone.post("back", new JsonObject()), "signature");
    expectState(phone.post("signature", signature(2)), "identity");
    expectState(phone.post("identity", new JsonObject().put("personType", "监督")
        .put("name", "张伟").put("idNumber", newIdNumber("310101", "19881120"))), "face");
    JsonObject postponed = phone.post("face/postpone", new JsonObject()).bodyAsJsonObject();
    assertEquals("FACE_POSTPONED", postponed.getString("status"));

    HttpResponse<Buffer> noCookie = client.get("/api/v1/enrolments/current").send().await();
    assertEquals(404, noCookie.statusCode());
    assertEquals("ENROLMENT_NOT_FOUND", noCookie.bodyAsJsonObject().getString("error"));
    HttpResponse<Buffer> resumed = client.post("/api/v1/enrolments")
        .putHeader("cookie", EnrolmentRoutes.COOKIE + "=" + phone.cookie)
        .sendJsonObject(new JsonObject().put("link", phone.link)).await();
    assertEquals(200, resumed.statusCode());
    assertEquals(phone.id, resumed.bodyAsJsonObject().getString("id"));
    assertEquals("face", resumed.bodyAsJsonObject().getString("current"));

    expectState(phone.post("face", face(0.99, 1)), "pin");
    expectState(phone.post("pin", pin("735194")), "review");
    assertError(phone.post("back", new JsonObject()), 409, "STEP_OUT_OF_ORDER");
    assertEquals("PENDING_REVIEW", phone.post("submit", new JsonObject()).bodyAsJsonObject()
        .getString("status"));
  }

  @Test
  void badInputLeavesNoSigner() throws Exception {
    long signersBefore = count("SELECT count(*) FROM signers");
    long tokensBefore = tokenCount();
    Phone phone = startEnrolment("phone-first");
    String mobile = newMobile();

    assertError(phone.post("region", new JsonObject().put("countyCode", "440305")), 409,
        "STEP_OUT_OF_ORDER");
    assertError(phone.post("sms/request", new JsonObject().put("mobile", "12345678901")), 400,
        "MOBILE_INVALID");
    assertEquals(200, phone.post("sms/request", new JsonObject().put("mobile", mobile))
        .statusCode());
    assertError(phone.post("sms/request", new JsonObject().put("mobile", mobile)), 429,
        "SMS_RATE_LIMITED");
    String right = outboxCode(mobile);
    String wrong = right.equals("000000") ? "111111" : "000000";
    for (int left = 4; left >= 0; left--) {
      HttpResponse<Buffer> response = phone.post("sms/verify", new JsonObject()
          .put("mobile", mobile).put("code", wrong));
      assertError(response, 400, "SMS_CODE_INCORRECT");
      assertEquals(left, response.bodyAsJsonObject().getInteger("triesLeft"));
      assertNotNull(response.bodyAsJsonObject().getString("message"));
    }
    assertError(phone.post("sms/verify", new JsonObject().put("mobile", mobile)
        .put("code", right)), 400, "SMS_CODE_EXPIRED");

    CLOCK.advance(Duration.ofSeconds(61));
    assertEquals(200, phone.post("sms/request", new JsonObject().put("mobile", mobile))
        .statusCode());
    CLOCK.advance(Duration.ofMinutes(6));
    assertError(phone.post("sms/verify", new JsonObject().put("mobile", mobile)
        .put("code", outboxCode(mobile))), 400, "SMS_CODE_EXPIRED");
    smsLogin(phone, mobile);

    assertError(phone.multipart("id-card", idCardForm(new byte[9 * 1024 * 1024], png(800, 500))),
        413, "PAYLOAD_TOO_LARGE");
    assertError(phone.multipart("id-card", idCardForm("not an image".getBytes(),
        png(800, 500))), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectState(phone.multipart("id-card", idCardForm(png(800, 500), heic())), "identity");
    assertError(phone.post("identity", new JsonObject().put("name", "王芳")
        .put("idNumber", "440305198002120000")), 400, "ID_NUMBER_INVALID");
    String idNumber = newIdNumber("440305", "19900101");
    expectState(phone.post("identity", new JsonObject().put("name", "赵敏")
        .put("idNumber", idNumber)), "region");
    assertError(phone.post("region", new JsonObject().put("countyCode", "449999")), 400,
        "REGION_INVALID");
    expectState(phone.post("region", new JsonObject().put("countyCode", "110101")), "pin");
    assertError(phone.post("pin", new JsonObject().put("pin", "250913")
        .put("pinRepeat", "250914")), 400, "PIN_MISMATCH");
    assertError(phone.post("pin", pin("123456")), 400, "PIN_TOO_WEAK");
    assertError(phone.post("pin", pin("900101")), 400, "PIN_TOO_WEAK");
    assertEquals(tokensBefore, tokenCount(), "no token made by a rejected PIN");
    expectState(phone.post("pin", pin("250913")), "face");
    assertError(phone.post("face", face(0.95, 1).put("consent", false)), 400,
        "FACE_CONSENT_REQUIRED");
    assertError(phone.post("face", face(0.95, 0)), 422, "FACE_NOT_DETECTED");
    assertEquals("没有检测到人脸", phone.post("face", face(0.95, 0)).bodyAsJsonObject()
        .getString("message"));
    assertError(phone.post("face", face(0.2, 1)), 422, "FACE_CHECK_FAILED");
    expectState(phone.post("face", face(0.95, 1)), "signature");
    assertError(phone.post("signature", signature(1)), 400, "IMAGE_INVALID");
    assertError(phone.post("signature", new JsonObject().put("png", dot()).put("strokes", 5)),
        400, "IMAGE_INVALID");
    expectState(phone.post("signature", signature(2)), "review");
    JsonObject submitted = phone.post("submit", new JsonObject()).bodyAsJsonObject();

    HttpResponse<Buffer> rejected = reviewer("POST", "/api/v1/admin/enrolments/"
        + submitted.getString("id") + "/reject", new JsonObject().put("reason", "照片不清晰"));
    assertEquals(200, rejected.statusCode(), rejected.bodyAsString());
    assertEquals("REJECTED", rejected.bodyAsJsonObject().getString("status"));
    assertEquals("REJECTED", outboxResult(mobile));
    assertError(reviewer("POST", "/api/v1/admin/enrolments/" + submitted.getString("id")
        + "/approve", null), 409, "ENROLMENT_NOT_PENDING");
    assertEquals(signersBefore, count("SELECT count(*) FROM signers"));
    assertEquals(tokensBefore + 1, tokenCount(), "the rejected key stays in its one token");
    String actor = "'enrolment:" + phone.id() + "'";
    assertEquals(5, count("SELECT count(*) FROM audit_events WHERE actor = " + actor
        + " AND outcome = 'SMS_CODE_INCORRECT'"));
    assertEquals(2, count("SELECT count(*) FROM audit_events WHERE actor = " + actor
        + " AND outcome = 'PIN_TOO_WEAK'"));
    assertEquals(1, count("SELECT count(*) FROM audit_events WHERE actor = " + actor
        + " AND outcome = 'PIN_MISMATCH'"));
    assertEquals(0, count("SELECT count(*) FROM audit_events WHERE details LIKE '%" + mobile
        + "%' OR details LIKE '%" + idNumber + "%' OR details LIKE '%250913%'"));
  }

  @Test
  void expiredAndRevokedLinksAreRefused() {
    String expiring = createLink("three-step", 1).getString("code");
    String revoked = createLink("three-step", 24).getString("code");
    assertEquals(200, reviewer("POST", "/api/v1/admin/enrolment-links/" + revoked + "/revoke",
        null).statusCode());
    HttpResponse<Buffer> qr = reviewer("GET", "/api/v1/admin/enrolment-links/" + expiring
        + "/qr.png", null);
    assertEquals("image/png", qr.getHeader("content-type"));
    assertEquals(401, client.get("/api/v1/admin/enrolment-links").send().await().statusCode());
    assertEquals(401, client.get("/api/v1/admin/enrolments").send().await().statusCode());
    assertError(reviewer("GET", "/api/v1/admin/enrolment-links/unknown/qr.png", null), 404,
        "LINK_NOT_FOUND");
    assertError(reviewer("GET", "/api/v1/admin/enrolments/" + java.util.UUID.randomUUID(),
        null), 404, "ENROLMENT_NOT_FOUND");

    assertError(client.post("/api/v1/enrolments").sendJsonObject(new JsonObject()
        .put("link", revoked)).await(), 410, "LINK_REVOKED");
    CLOCK.advance(Duration.ofHours(2));
    assertError(client.post("/api/v1/enrolments").sendJsonObject(new JsonObject()
        .put("link", expiring)).await(), 410, "LINK_EXPIRED");
  }

  private record Phone(String link, String cookie, String id) {
    HttpResponse<Buffer> post(String step, JsonObject body) {
      return client.post("/api/v1/enrolments/current/" + step)
          .putHeader("cookie", EnrolmentRoutes.COOKIE + "=" + cookie)
          .sendJsonObject(body).await();
    }

    HttpResponse<Buffer> multipart(String step, MultipartForm form) {
      return client.post("/api/v1/enrolments/current/" + step)
          .putHeader("cookie", EnrolmentRoutes.COOKIE + "=" + cookie)
          .sendMultipartForm(form).await();
    }
  }

  private static Phone startEnrolment(String preset) {
    String link = createLink(preset, 72).getString("code");
    HttpResponse<Buffer> started = client.post("/api/v1/enrolments")
        .sendJsonObject(new JsonObject().put("link", link)).await();
    assertEquals(201, started.statusCode(), started.bodyAsString());
    String setCookie = started.cookies().get(0);
    assertTrue(setCookie.toLowerCase().contains("httponly"), setCookie);
    assertTrue(setCookie.contains("SameSite=Lax"), setCookie);
    String value = setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
    return new Phone(link, value, started.bodyAsJsonObject().getString("id"));
  }

  private static JsonObject createLink(String preset, int hours) {
    HttpResponse<Buffer> created = reviewer("POST", "/api/v1/admin/enrolment-links",
        new JsonObject().put("preset", preset).put("organisation", "测试交易中心")
            .put("validHours", hours));
    assertEquals(201, created.statusCode(), created.bodyAsString());
    assertTrue(created.bodyAsJsonObject().getString("code").length() >= 32);
    return created.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> reviewer(String method, String path, JsonObject body) {
    var request = client.request(io.vertx.core.http.HttpMethod.valueOf(method), path)
        .putHeader("authorization", "Bearer " + reviewerToken);
    return (body == null ? request.send() : request.sendJsonObject(body)).await();
  }

  private static void smsLogin(Phone phone, String mobile) {
    CLOCK.advance(Duration.ofSeconds(61));
    assertEquals(200, phone.post("sms/request", new JsonObject().put("mobile", mobile))
        .statusCode());
    expectState(phone.post("sms/verify", new JsonObject().put("mobile", mobile)
        .put("code", outboxCode(mobile))), "id-card");
  }

  private static String outboxCode(String mobile) {
    HttpResponse<Buffer> outbox = client.get("/api/v1/dev/sms-outbox?mobile=" + mobile).send()
        .await();
    assertEquals(200, outbox.statusCode());
    return outbox.bodyAsJsonObject().getString("code");
  }

  private static String outboxResult(String mobile) {
    HttpResponse<Buffer> outbox = client.get("/api/v1/dev/sms-outbox?mobile=" + mobile).send()
        .await();
    assertEquals(200, outbox.statusCode());
    return outbox.bodyAsJsonObject().getString("lastResult");
  }

  private static void expectState(HttpResponse<Buffer> response, String current) {
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(current, response.bodyAsJsonObject().getString("current"),
        response.bodyAsString());
  }

  private static void assertError(HttpResponse<Buffer> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals(code, response.bodyAsJsonObject().getString("error"), response.bodyAsString());
  }

  private static void signAndVerify(String signerId, String pin, String name) throws Exception {
    byte[] pdf;
    try (InputStream in = EnrolmentHttpTest.class.getResourceAsStream(
        "/corpus/plain-one-page.pdf")) {
      pdf = in.readAllBytes();
    }
    HttpResponse<Buffer> signed = client.post("/api/v1/signatures")
        .putHeader("authorization", "Bearer " + clientToken)
        .sendJsonObject(new JsonObject().put("signerId", signerId).put("pin", pin)
            .put("pdf", Base64.getEncoder().encodeToString(pdf))
            .put("placement", new JsonObject().put("page", 1).put("x", 100).put("y", 100)
                .put("width", 150).put("height", 60)))
        .await();
    assertEquals(200, signed.statusCode(), signed.bodyAsString());
    List<VerifiedSignature> signatures = SignatureVerifier.verify(signed.body().getBytes(), null);
    assertEquals(1, signatures.size());
    assertTrue(signatures.get(0).cryptographicallyValid(), signatures.get(0).failure());
    assertTrue(signatures.get(0).signerCertificate().getSubject().toString().contains(name));
  }

  private static long count(String sql) {
    return gateway.services().signers().pool().query(sql).execute().await().iterator().next()
        .getLong(0);
  }

  private static long tokenCount() throws IOException {
    Path tokens = Path.of(System.getenv("SOFTHSM2_CONF")).resolveSibling("tokens");
    try (var list = Files.list(tokens)) {
      return list.count();
    }
  }

  private static String newMobile() {
    return "139" + String.format("%08d", MOBILES.incrementAndGet());
  }

  private static String newIdNumber(String region, String birth) {
    String first17 = region + birth + String.format("%03d", (int) (Math.random() * 1000));
    return first17 + ResidentIdNumber.checkCharacter(first17);
  }

  private static JsonObject pin(String pin) {
    return new JsonObject().put("pin", pin).put("pinRepeat", pin);
  }

  private static JsonObject face(double liveness, int faces) throws IOException {
    return new JsonObject().put("evidenceJpeg", Base64.getEncoder().encodeToString(
        jpeg(320, 240))).put("livenessScore", liveness).put("faceCount", faces)
        .put("consent", true);
  }

  private static JsonObject signature(int strokes) throws IOException {
    BufferedImage image = new BufferedImage(400, 200, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(4));
    for (int i = 0; i < strokes; i++) {
      g.drawLine(40 + i * 80, 40, 90 + i * 80, 160);
    }
    g.dispose();
    return new JsonObject().put("png", Base64.getEncoder().encodeToString(write(image, "png")))
        .put("strokes", strokes);
  }

  private static String dot() throws IOException {
    BufferedImage image = new BufferedImage(400, 200, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(100, 100, 12, 12);
    g.dispose();
    return Base64.getEncoder().encodeToString(write(image, "png"));
  }

  private static MultipartForm idCardForm(byte[] front, byte[] back) {
    return MultipartForm.create()
        .binaryFileUpload("front", "front.jpg", Buffer.buffer(front), "image/jpeg")
        .binaryFileUpload("back", "back.jpg", Buffer.buffer(back), "image/jpeg");
  }

  private static byte[] jpeg(int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.LIGHT_GRAY);
    g.fillRect(0, 0, width, height);
    g.dispose();
    return write(image, "jpg");
  }

  private static byte[] png(int width, int height) throws IOException {
    return write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png");
  }

  private static byte[] heic() {
    byte[] bytes = new byte[4096];
    byte[] header = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'};
    System.arraycopy(header, 0, bytes, 0, header.length);
    return bytes;
  }

  private static byte[] write(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }

  /** A clock that tests move forward. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
