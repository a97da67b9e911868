package cn.yunqian.pin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.app.Gateway;
import cn.yunqian.ca.CrlPublisher;
import cn.yunqian.identity.ResidentIdNumber;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.Base64;
import java.util.UUID;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * HTTP client of a test gateway's PIN page and reviewer API, plus enrolment of test signers
 * through the phone enrolment API (three-step preset, built-in face check).
 */
public final class PinPhone {

  static final SecureRandom RANDOM = new SecureRandom();

  private final Gateway gateway;
  private final WebClient client;
  private final Runnable awaitResendDelay;
  private Consumer<String> externalFaceStep;

  /**
   * @param awaitResendDelay moves the test clock past the SMS resend delay, because enrolment
   *     just sent a code to the same number
   */
  public PinPhone(Gateway gateway, Runnable awaitResendDelay) {
    this.gateway = gateway;
    this.awaitResendDelay = awaitResendDelay;
    this.client = WebClient.create(gateway.vertx(), new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(gateway.port()));
  }

  WebClient client() {
    return client;
  }

  /**
   * An enrolled signer. {@code mobile} is null when the enrolment gave none.
   */
  public record Enrolled(UUID signerId, String name, String idNumber, String mobile, String pin) {

    JsonObject claim() {
      JsonObject claim = new JsonObject().put("name", name).put("idNumber", idNumber);
      if (mobile != null) {
        claim.put("mobile", mobile);
      }
      return claim;
    }
  }

  /**
   * Enrols a signer with the three-step preset and has the reviewer approve it (with the
   * built-in face check every preset ends with staff review).
   */
  public Enrolled enrol(String name, boolean withMobile) throws IOException {
    String link = reviewer(HttpMethod.POST, "/api/v1/admin/enrolment-links", new JsonObject()
        .put("preset", "three-step").put("organisation", "PIN 测试"))
        .bodyAsJsonObject().getString("code");
    HttpResponse<Buffer> started = client.post("/api/v1/enrolments")
        .sendJsonObject(new JsonObject().put("link", link)).await();
    assertEquals(201, started.statusCode(), started.bodyAsString());
    String setCookie = started.cookies().get(0);
    String cookie = "yq_enrol=" + setCookie.substring(setCookie.indexOf('=') + 1,
        setCookie.indexOf(';'));
    String idNumber = newIdNumber();
    String mobile = withMobile ? newMobile() : null;
    step(cookie, "signature", signature());
    JsonObject identity = new JsonObject().put("personType", "专家").put("name", name)
        .put("idNumber", idNumber);
    if (withMobile) {
      step(cookie, "sms/request", new JsonObject().put("mobile", mobile));
      identity.put("mobile", mobile).put("code", outboxCode(mobile));
    }
    step(cookie, "identity", identity);
    if (externalFaceStep != null) {
      externalFaceStep.accept(cookie);
    } else {
      step(cookie, "face", face(0.95, 1));
    }
    step(cookie, "pin", new JsonObject().put("pin", "250913").put("pinRepeat", "250913"));
    JsonObject done = step(cookie, "submit", new JsonObject());
    if (externalFaceStep == null) {
      assertEquals("PENDING_REVIEW", done.getString("status"), done.encode());
      HttpResponse<Buffer> approved = reviewer(HttpMethod.POST, "/api/v1/admin/enrolments/"
          + done.getString("id") + "/approve", null);
      assertEquals(200, approved.statusCode(), approved.bodyAsString());
      done = approved.bodyAsJsonObject();
    }
    assertEquals("APPROVED", done.getString("status"), done.encode());
    UUID signerId = gateway.services().signers().pool()
        .preparedQuery("SELECT signer_id FROM enrolments WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(UUID.fromString(done.getString("id"))))
        .await().iterator().next().getUUID(0);
    return new Enrolled(signerId, name, idNumber, mobile, "250913");
  }

  /**
   * Makes {@link #enrol} pass the face step through an external provider: the hook gets the
   * enrolment cookie and completes the step (with a provider stand-in). Such enrolments need
   * no reviewer.
   */
  void useExternalFaceStep(Consumer<String> hook) {
    this.externalFaceStep = hook;
  }

  JsonObject step(String cookie, String step, JsonObject body) {
    HttpResponse<Buffer> response = client.post("/api/v1/enrolments/current/" + step)
        .putHeader("cookie", cookie).sendJsonObject(body).await();
    assertEquals(200, response.statusCode(), step + ": " + response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  /** Sends a JSON request to the PIN API with the session cookie (or none when null). */
  HttpResponse<Buffer> pin(String cookie, HttpMethod method, String path, JsonObject body) {
    var request = client.request(method, "/api/v1/pin" + path);
    if (cookie != null) {
      request.putHeader("cookie", "yq_pin=" + cookie);
    }
    return (body == null ? request.send() : request.sendJsonObject(body)).await();
  }

  /** Identifies the signer (requesting and reading the SMS code first when it has a mobile). */
  HttpResponse<Buffer> identify(Enrolled signer) {
    JsonObject claim = signer.claim();
    if (signer.mobile() != null) {
      awaitResendDelay.run();
      assertEquals(200, pin(null, HttpMethod.POST, "/sms", claim).statusCode());
      claim.put("code", outboxCode(signer.mobile()));
    }
    return pin(null, HttpMethod.POST, "/session", claim);
  }

  /** Identifies the signer and returns the session cookie's value. */
  String session(Enrolled signer) {
    HttpResponse<Buffer> response = identify(signer);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    String setCookie = response.cookies().stream().filter(c -> c.startsWith("yq_pin="))
        .findFirst().orElseThrow();
    return setCookie.substring("yq_pin=".length(), setCookie.indexOf(';'));
  }

  HttpResponse<Buffer> reviewer(HttpMethod method, String path, JsonObject body) {
    var request = client.request(method, path).putHeader("authorization", "Bearer "
        + gateway.services().secrets().reviewerToken());
    return (body == null ? request.send() : request.sendJsonObject(body)).await();
  }

  /** Signs a one-page PDF as the signer and returns the response. */
  public HttpResponse<Buffer> sign(UUID signerId, String pin) {
    byte[] pdf;
    try (InputStream in = PinPhone.class.getResourceAsStream("/corpus/plain-one-page.pdf")) {
      pdf = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return client.post("/api/v1/signatures")
        .putHeader("authorization", "Bearer " + gateway.services().secrets().clientToken())
        .sendJsonObject(new JsonObject().put("signerId", signerId.toString()).put("pin", pin)
            .put("pdf", Base64.getEncoder().encodeToString(pdf))
            .put("placement", new JsonObject().put("page", 1).put("x", 100).put("y", 100)
                .put("width", 150).put("height", 60)))
        .await();
  }

  /** Returns the serial number of the signer's current certificate. */
  public java.math.BigInteger currentSerial(UUID signerId) {
    String serial = gateway.services().signers().pool()
        .preparedQuery("SELECT serial FROM certificates WHERE signer_id = $1"
            + " AND status = 'CURRENT'")
        .execute(io.vertx.sqlclient.Tuple.of(signerId)).await().iterator().next().getString(0);
    return new java.math.BigInteger(serial, 16);
  }

  public X509CRL crl() throws Exception {
    HttpResponse<Buffer> response = client.get(CrlPublisher.PATH).send().await();
    assertEquals(200, response.statusCode());
    return (X509CRL) CertificateFactory.getInstance("X.509")
        .generateCRL(new ByteArrayInputStream(response.body().getBytes()));
  }

  String outboxCode(String mobile) {
    HttpResponse<Buffer> outbox = client.get("/api/v1/dev/sms-outbox?mobile=" + mobile).send()
        .await();
    assertEquals(200, outbox.statusCode(), "no SMS code for " + mobile);
    return outbox.bodyAsJsonObject().getString("code");
  }

  static void assertError(HttpResponse<Buffer> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals(code, response.bodyAsJsonObject().getString("error"), response.bodyAsString());
    assertTrue(response.bodyAsJsonObject().getString("message", "").length() > 0,
        "no Chinese message: " + response.bodyAsString());
  }

  static String newIdNumber() {
    String birth = String.format("19%02d%02d%02d", 60 + RANDOM.nextInt(40),
        1 + RANDOM.nextInt(12), 1 + RANDOM.nextInt(28));
    String first17 = "110101" + birth + String.format("%03d", RANDOM.nextInt(1000));
    return first17 + ResidentIdNumber.checkCharacter(first17);
  }

  static String newMobile() {
    return "137" + String.format("%08d", RANDOM.nextInt(100_000_000));
  }

  static JsonObject face(double liveness, int faces) throws IOException {
    BufferedImage image = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(RANDOM.nextInt(0xffffff)));
    g.fillRect(0, 0, 320, 240);
    g.dispose();
    return new JsonObject().put("evidenceJpeg", Base64.getEncoder().encodeToString(
            write(image, "jpg"))).put("livenessScore", liveness).put("faceCount", faces)
        .put("consent", true);
  }

  private static JsonObject signature() throws IOException {
    BufferedImage image = new BufferedImage(400, 200, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(4));
    for (int i = 0; i < 3; i++) {
      g.drawLine(40 + i * 80, 40, 90 + i * 80, 160);
    }
    g.dispose();
    return new JsonObject().put("png", Base64.getEncoder().encodeToString(write(image, "png")))
        .put("strokes", 3);
  }

  static byte[] write(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, format, out);
    return out.toByteArray();
  }

  static BufferedImage read(byte[] bytes) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(bytes));
  }
}
