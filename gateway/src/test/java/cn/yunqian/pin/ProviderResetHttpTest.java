package cn.yunqian.pin;

import static cn.yunqian.pin.PinPhone.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.app.Gateway;
import cn.yunqian.enrolment.EnrolmentConfig;
import cn.yunqian.enrolment.TencentCloudClient;
import cn.yunqian.enrolment.TencentCloudSettings;
import cn.yunqian.enrolment.TencentCloudStandIn;
import cn.yunqian.enrolment.TencentCloudStandIn.Reply;
import cn.yunqian.enrolment.face.TencentFaceSettings;
import cn.yunqian.enrolment.face.TencentFaceVerification;
import cn.yunqian.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A forgotten PIN with an external face provider: Tencent Cloud's face verification, answered
 * by a stand-in HTTP server on loopback. A passed comparison re-keys at once, with no reviewer.
 */
class ProviderResetHttpTest {

  private static final String NEW_PIN = "580314";
  private static final String BIZ_TOKEN = "9A6D1B52-7C3E-4F0A-8B21-5E4C7D9F0A13";
  private static Vertx standInVertx;
  private static TencentCloudStandIn standIn;
  private static Gateway gateway;
  private static PinPhone phone;

  @BeforeAll
  static void start() {
    standInVertx = Vertx.vertx();
    standIn = TencentCloudStandIn.start(standInVertx, TencentFaceVerification.SERVICE,
        TencentFaceVerification.VERSION);
    TencentCloudClient client = new TencentCloudClient(WebClient.create(standInVertx),
        standIn.endpoint(), new TencentCloudClient.Api(TencentFaceVerification.SERVICE,
            TencentFaceVerification.VERSION, Optional.empty()),
        new TencentCloudSettings(TencentCloudStandIn.SECRET_ID, TencentCloudStandIn.SECRET_KEY,
            "ap-guangzhou", Duration.ofSeconds(5)),
        ErrorCode.FACE_VERIFICATION_FAILED, Clock.systemUTC());
    TencentFaceVerification provider = new TencentFaceVerification(client,
        new TencentFaceSettings("unused", "7"));
    EnrolmentConfig defaults = EnrolmentConfig.fromEnvironment(Map.of());
    EnrolmentConfig config = new EnrolmentConfig(Clock.systemUTC(), true, provider.name(),
        defaults.livenessThreshold(), defaults.smsDailyCapPerMobile(),
        defaults.smsDailyCapPerIp(), Optional.empty(), Optional.empty());
    gateway = Gateway.start(TestGateway.config("pin-provider", Map.of()), config,
        Map.of(provider.name(), provider)).await();
    phone = new PinPhone(gateway, () -> {
      throw new AssertionError("these signers have no mobile number");
    });
    phone.useExternalFaceStep(cookie -> {
      standIn.reply("DetectAuth", Reply.json(new JsonObject()
          .put("Url", "https://h5.faceid.qq.com/api/authen/ruleid?token=" + BIZ_TOKEN)
          .put("BizToken", BIZ_TOKEN).put("RequestId", "r-enrol")));
      phone.step(cookie, "face/start", new JsonObject().put("consent", true));
      standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(0, "成功", "97.10")));
      phone.step(cookie, "face/result", new JsonObject());
    });
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    standIn.close();
    standInVertx.close().await();
  }

  @Test
  void passedProviderCheckRekeysAtOnce() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("杨帆", false);
    String cookie = phone.session(signer);
    assertError(phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.99, 1)), 400,
        "INVALID_REQUEST");
    assertError(phone.pin(cookie, HttpMethod.POST, "/face/result", new JsonObject()), 409,
        "STEP_OUT_OF_ORDER");
    standIn.reply("DetectAuth", Reply.json(new JsonObject()
        .put("Url", "https://h5.faceid.qq.com/api/authen/ruleid?token=" + BIZ_TOKEN)
        .put("BizToken", BIZ_TOKEN).put("RequestId", "r-1")));

    HttpResponse<Buffer> started = phone.pin(cookie, HttpMethod.POST, "/face/start",
        new JsonObject().put("consent", true));

    assertEquals(200, started.statusCode(), started.bodyAsString());
    assertTrue(started.bodyAsJsonObject().getString("redirectUrl").contains(BIZ_TOKEN));
    JsonObject sent = standIn.received().get(standIn.received().size() - 1).body();
    assertEquals(signer.idNumber(), sent.getString("IdCard"));
    assertTrue(sent.getString("RedirectUrl").endsWith("/m/pin.html?face=done"),
        sent.getString("RedirectUrl"));

    standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(0, "成功", "96.02")));
    HttpResponse<Buffer> verified = phone.pin(cookie, HttpMethod.POST, "/face/result",
        new JsonObject());
    assertEquals(200, verified.statusCode(), verified.bodyAsString());
    assertTrue(verified.bodyAsJsonObject().getBoolean("faceVerified"));

    HttpResponse<Buffer> reset = phone.pin(cookie, HttpMethod.POST, "/reset", new JsonObject()
        .put("newPin", NEW_PIN).put("newPinRepeat", NEW_PIN));

    assertEquals(200, reset.statusCode(), reset.bodyAsString());
    assertEquals("COMPLETED", reset.bodyAsJsonObject().getString("status"));
    assertEquals(200, phone.sign(signer.signerId(), NEW_PIN).statusCode());
    assertEquals(403, phone.sign(signer.signerId(), signer.pin()).statusCode());
    assertEquals(1L, count("SELECT count(*) FROM face_verifications WHERE signer_id = '"
        + signer.signerId() + "' AND method = 'tencent' AND passed AND used_at IS NOT NULL"
        + " AND evidence_enc IS NOT NULL"));
  }

  @Test
  void failedProviderCheckIsRecorded() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("邓超", false);
    String cookie = phone.session(signer);
    standIn.reply("DetectAuth", Reply.json(new JsonObject()
        .put("Url", "https://h5.faceid.qq.com/api/authen/ruleid?token=" + BIZ_TOKEN)
        .put("BizToken", BIZ_TOKEN).put("RequestId", "r-2")));
    assertEquals(200, phone.pin(cookie, HttpMethod.POST, "/face/start",
        new JsonObject().put("consent", true)).statusCode());
    standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(2016, "相似度未达到通过阈值",
        "41.50")));

    assertError(phone.pin(cookie, HttpMethod.POST, "/face/result", new JsonObject()), 422,
        "FACE_CHECK_FAILED");

    assertError(phone.pin(cookie, HttpMethod.POST, "/reset", new JsonObject()
        .put("newPin", NEW_PIN).put("newPinRepeat", NEW_PIN)), 409, "STEP_OUT_OF_ORDER");
    assertEquals(1L, count("SELECT count(*) FROM face_verifications WHERE signer_id = '"
        + signer.signerId() + "' AND NOT passed"));
    assertEquals(200, phone.sign(signer.signerId(), signer.pin()).statusCode());
  }

  private static JsonObject detectInfo(int errCode, String errMsg, String similarity) {
    JsonObject text = new JsonObject()
        .put("ErrCode", errCode)
        .put("ErrMsg", errMsg)
        .put("LiveStatus", 0)
        .put("LiveMsg", "成功")
        .put("Comparestatus", errCode)
        .put("Comparemsg", errMsg)
        .put("Sim", similarity);
    byte[] jpeg = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16};
    return new JsonObject()
        .put("Text", text)
        .put("RequestId", "d4b4bd5f-5c2b-4a3c-9c44-94a5b4a8e4e1")
        .put("BestFrame", new JsonObject().put("BestFrame",
            Base64.getEncoder().encodeToString(jpeg)));
  }

  private static long count(String sql) {
    return gateway.services().signers().pool().query(sql).execute().await().iterator().next()
        .getLong(0);
  }
}
