package cn.yunqian.enrolment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.app.Gateway;
import cn.yunqian.enrolment.face.FaceResult;
import cn.yunqian.enrolment.face.FaceSession;
import cn.yunqian.enrolment.face.FaceStartRequest;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gateway with dev mode off, a per-address SMS cap of 2 and an external face provider:
 * checks the settings that the other enrolment tests leave at their defaults.
 */
class EnrolmentSettingsTest {

  private static final StandInProvider PROVIDER = new StandInProvider();
  private static Gateway gateway;
  private static WebClient client;
  private static String reviewerToken;

  @BeforeAll
  static void startGateway() {
    EnrolmentConfig config = new EnrolmentConfig(Clock.systemUTC(), false, "stand-in", 0.8, 10,
        2, Optional.of("https://sign.example.test/"), Optional.empty());
    gateway = TestGateways.start(config, Map.of("stand-in", PROVIDER));
    reviewerToken = gateway.services().secrets().reviewerToken();
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
  void smsOutboxIsHiddenOutsideDevMode() {
    HttpResponse<Buffer> response = client.get("/api/v1/dev/sms-outbox?mobile=13800138000")
        .send().await();

    assertEquals(404, response.statusCode());
  }

  @Test
  void smsCapPerClientAddress() {
    String cookie = start("phone-first");

    assertEquals(200, requestSms(cookie, "13700000001").statusCode());
    assertEquals(200, requestSms(cookie, "13700000002").statusCode());
    HttpResponse<Buffer> third = requestSms(cookie, "13700000003");

    assertEquals(429, third.statusCode());
    assertEquals("SMS_RATE_LIMITED", third.bodyAsJsonObject().getString("error"));
  }

  @Test
  void externalFaceProviderPassesAfterRedirect() throws IOException {
    String cookie = start("three-step");
    String idNumber = "11010119850615" + idSuffix("11010119850615");
    post(cookie, "signature", signature());
    post(cookie, "identity", new JsonObject().put("name", "陈静").put("idNumber", idNumber));
    assertEquals("STEP_OUT_OF_ORDER", post(cookie, "face/result", new JsonObject())
        .bodyAsJsonObject().getString("error"), "result asked before face/start");

    HttpResponse<Buffer> started = post(cookie, "face/start", new JsonObject()
        .put("consent", true));
    assertEquals(200, started.statusCode(), started.bodyAsString());
    String redirect = started.bodyAsJsonObject().getString("redirectUrl");
    String prefix = "https://face.example.test/h5?session=";
    assertEquals(prefix, redirect.substring(0, prefix.length()));
    assertEquals("FACE_CHECK_FAILED", post(cookie, "face/result", new JsonObject())
        .bodyAsJsonObject().getString("error"), "result asked before the person finished");
    PROVIDER.pass(redirect.substring(prefix.length()));
    HttpResponse<Buffer> result = post(cookie, "face/result", new JsonObject());

    assertEquals(200, result.statusCode(), result.bodyAsString());
    assertEquals("pin", result.bodyAsJsonObject().getString("current"));
    assertEquals("1101**********" + idNumber.substring(14),
        result.bodyAsJsonObject().getString("idNumber"));
    assertEquals(idNumber, PROVIDER.lastIdNumber, "the provider gets the full ID number");
  }

  private static String idSuffix(String first14) {
    String first17 = first14 + "123";
    return "123" + cn.yunqian.identity.ResidentIdNumber.checkCharacter(first17);
  }

  private static String start(String preset) {
    HttpResponse<Buffer> link = client.post("/api/v1/admin/enrolment-links")
        .putHeader("authorization", "Bearer " + reviewerToken)
        .sendJsonObject(new JsonObject().put("preset", preset).put("organisation", "测试"))
        .await();
    assertEquals(201, link.statusCode(), link.bodyAsString());
    assertEquals("https://sign.example.test/m/enrol.html?link="
        + link.bodyAsJsonObject().getString("code"), link.bodyAsJsonObject().getString("url"));
    HttpResponse<Buffer> started = client.post("/api/v1/enrolments")
        .sendJsonObject(new JsonObject().put("link", link.bodyAsJsonObject().getString("code")))
        .await();
    String setCookie = started.cookies().get(0);
    assertTrue(setCookie.toLowerCase().contains("secure"), setCookie);
    return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
  }

  private static HttpResponse<Buffer> requestSms(String cookie, String mobile) {
    return post(cookie, "sms/request", new JsonObject().put("mobile", mobile));
  }

  private static HttpResponse<Buffer> post(String cookie, String step, JsonObject body) {
    return client.post("/api/v1/enrolments/current/" + step)
        .putHeader("cookie", EnrolmentRoutes.COOKIE + "=" + cookie)
        .sendJsonObject(body).await();
  }

  private static JsonObject signature() throws IOException {
    BufferedImage image = new BufferedImage(400, 200, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(4));
    g.drawLine(40, 40, 90, 160);
    g.drawLine(140, 40, 190, 160);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return new JsonObject().put("png", Base64.getEncoder().encodeToString(out.toByteArray()))
        .put("strokes", 2);
  }

  /**
   * Stands in for a face-verification service: hands out session ids and reports a pass only
   * for sessions the test marked as passed.
   */
  private static final class StandInProvider implements FaceVerificationProvider {
    private final Map<String, Boolean> sessions = new ConcurrentHashMap<>();
    private volatile String lastIdNumber;

    @Override
    public String name() {
      return "stand-in";
    }

    @Override
    public Future<FaceSession> start(FaceStartRequest request) {
      lastIdNumber = request.idNumber();
      String id = "s" + sessions.size() + "-" + request.enrolmentId().substring(0, 8);
      sessions.put(id, false);
      return Future.succeededFuture(new FaceSession(id,
          "https://face.example.test/h5?session=" + id));
    }

    @Override
    public Future<FaceResult> result(String providerSessionId) {
      boolean passed = sessions.getOrDefault(providerSessionId, false);
      return Future.succeededFuture(new FaceResult(passed, passed ? 92.5 : -1,
          passed ? "0 passed" : "1 not finished", null));
    }

    void pass(String sessionId) {
      sessions.put(sessionId, true);
    }
  }
}
