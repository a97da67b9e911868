package cn.yunqian.enrolment.face;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.enrolment.TencentCloudClient;
import cn.yunqian.enrolment.TencentCloudSettings;
import cn.yunqian.enrolment.TencentCloudStandIn;
import cn.yunqian.enrolment.TencentCloudStandIn.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the FaceID H5 flow against a loopback stand-in that checks the TC3-HMAC-SHA256
 * signature. Reply bodies follow the DetectAuth and GetDetectInfoEnhanced pages of the Tencent
 * Cloud FaceID API documentation (version 2018-03-01). Result codes come from its H5 error-code
 * table: 0 is success, 17 is not finished and 2016 is similarity below the threshold.
 */
class TencentFaceVerificationTest {

  private static final String ID_NUMBER = "11010519491231002X";
  private static final String BIZ_TOKEN = "CE661F1A-0F1E-45BD-BE13-34C05CEA7681";
  private static final byte[] JPEG = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16};
  private static Vertx vertx;
  private static TencentCloudStandIn standIn;
  private static TencentFaceVerification provider;

  @BeforeAll
  static void startStandIn() {
    vertx = Vertx.vertx();
    standIn = TencentCloudStandIn.start(vertx, TencentFaceVerification.SERVICE,
        TencentFaceVerification.VERSION);
    TencentCloudSettings cloud = new TencentCloudSettings(TencentCloudStandIn.SECRET_ID,
        TencentCloudStandIn.SECRET_KEY, "ap-guangzhou", Duration.ofSeconds(5));
    TencentCloudClient client = new TencentCloudClient(WebClient.create(vertx),
        standIn.endpoint(), new TencentCloudClient.Api(TencentFaceVerification.SERVICE,
            TencentFaceVerification.VERSION, Optional.empty()),
        cloud, ErrorCode.FACE_VERIFICATION_FAILED, Clock.systemUTC());
    provider = new TencentFaceVerification(client, new TencentFaceSettings("unused", "7"));
  }

  @AfterAll
  static void stop() {
    standIn.close();
    vertx.close().await();
  }

  @BeforeEach
  void clearRequests() {
    standIn.received().clear();
    standIn.rejected().clear();
  }

  @Test
  void startReturnsTokenAndRedirectUrl() {
    String h5Url = "https://h5.faceid.qq.com/api/authen/ruleid?token=" + BIZ_TOKEN;
    standIn.reply("DetectAuth", Reply.json(new JsonObject()
        .put("Url", h5Url)
        .put("BizToken", BIZ_TOKEN)
        .put("RequestId", "f904f4cf-75db-4f8f-dc4f-942c7f7a0001")));

    FaceSession session = provider.start(new FaceStartRequest("enrolment-42", "张三", ID_NUMBER,
        "https://sign.example.cn/enrol/face-done")).await();

    assertEquals(BIZ_TOKEN, session.providerSessionId());
    assertEquals(h5Url, session.redirectUrl());
    assertEquals(List.of(), standIn.rejected());
    JsonObject body = standIn.received().get(0).body();
    assertEquals("7", body.getString("RuleId"));
    assertEquals(ID_NUMBER, body.getString("IdCard"));
    assertEquals("张三", body.getString("Name"));
    assertEquals("https://sign.example.cn/enrol/face-done", body.getString("RedirectUrl"));
    assertEquals("enrolment-42", body.getString("Extra"));
    assertNull(standIn.received().get(0).headers().get("X-TC-Region"));
  }

  @Test
  void startWithoutUrlFails() {
    standIn.reply("DetectAuth", Reply.json(new JsonObject()
        .put("BizToken", BIZ_TOKEN)
        .put("Url", "javascript:alert(1)")
        .put("RequestId", "r-1")));

    GatewayException failure = expectFailure(() -> provider.start(
        new FaceStartRequest("enrolment-42", "张三", ID_NUMBER, "https://x.example/done"))
        .await());

    assertEquals(ErrorCode.FACE_VERIFICATION_FAILED, failure.code());
    assertTrue(failure.reason().contains("Url"), failure.reason());
  }

  @Test
  void passedResultCarriesSimilarityAndFrame() {
    standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(0, "成功", "95.31",
        Base64.getEncoder().encodeToString(JPEG))));

    FaceResult result = provider.result(BIZ_TOKEN).await();

    assertTrue(result.passed());
    assertEquals(95.31, result.similarity(), 1e-9);
    assertArrayEquals(JPEG, result.bestFrameJpeg());
    assertTrue(result.detail().startsWith("ErrCode=0 ErrMsg=成功"), result.detail());
    assertFalse(result.detail().contains(ID_NUMBER), result.detail());
    JsonObject body = standIn.received().get(0).body();
    assertEquals(BIZ_TOKEN, body.getString("BizToken"));
    assertEquals("7", body.getString("RuleId"));
    assertEquals("13", body.getString("InfoType"));
  }

  @Test
  void lowSimilarityIsNotPassed() {
    standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(2016,
        "无法判断为同一人,请确认身份后重试(相似度未达到通过阈值)", "42.10", null)));

    FaceResult result = provider.result(BIZ_TOKEN).await();

    assertFalse(result.passed());
    assertEquals(42.10, result.similarity(), 1e-9);
    assertTrue(result.detail().startsWith("ErrCode=2016"), result.detail());
    assertNull(result.bestFrameJpeg());
  }

  @Test
  void unfinishedFlowIsNotPassed() {
    standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(17, "本次流程未完成", null,
        null)));

    FaceResult result = provider.result(BIZ_TOKEN).await();

    assertFalse(result.passed());
    assertEquals(-1, result.similarity());
    assertTrue(result.detail().contains("verification not finished"), result.detail());
  }

  @Test
  void nonJpegFrameIsDropped() {
    standIn.reply("GetDetectInfoEnhanced", Reply.json(detectInfo(0, "成功", "99.00",
        Base64.getEncoder().encodeToString("<svg/>".getBytes()))));

    FaceResult result = provider.result(BIZ_TOKEN).await();

    assertTrue(result.passed());
    assertNull(result.bestFrameJpeg());
    assertTrue(result.detail().contains("BestFrame=dropped"), result.detail());
  }

  @Test
  void expiredTokenNamesProviderCode() {
    standIn.reply("GetDetectInfoEnhanced", Reply.error("InvalidParameterValue.BizTokenExpired",
        "BizToken expired."));

    GatewayException failure = expectFailure(() -> provider.result(BIZ_TOKEN).await());

    assertEquals(ErrorCode.FACE_VERIFICATION_FAILED, failure.code());
    assertTrue(failure.reason().contains("InvalidParameterValue.BizTokenExpired"),
        failure.reason());
  }

  @Test
  void wrongFieldTypeIsMapped() {
    standIn.reply("GetDetectInfoEnhanced", Reply.json(new JsonObject()
        .put("Text", new JsonObject().put("ErrCode", "zero"))
        .put("RequestId", "r-2")));

    GatewayException failure = expectFailure(() -> provider.result(BIZ_TOKEN).await());

    assertEquals(ErrorCode.FACE_VERIFICATION_FAILED, failure.code());
  }

  private static GatewayException expectFailure(Runnable call) {
    Throwable failure = assertThrows(Exception.class, call::run);
    return assertInstanceOf(GatewayException.class, failure);
  }

  /** Builds a GetDetectInfoEnhanced reply with the documented Text and BestFrame parts. */
  private static JsonObject detectInfo(int errCode, String errMsg, String sim,
      String bestFrameBase64) {
    JsonObject text = new JsonObject()
        .put("ErrCode", errCode)
        .put("ErrMsg", errMsg)
        .put("IdCard", ID_NUMBER)
        .put("Name", "张三")
        .put("LiveStatus", errCode == 17 ? null : 0)
        .put("LiveMsg", "成功")
        .put("Comparestatus", errCode)
        .put("Comparemsg", errMsg)
        .put("Sim", sim)
        .put("Extra", "enrolment-42");
    JsonObject reply = new JsonObject()
        .put("Text", text)
        .put("IdCardData", null)
        .put("RequestId", "d4b4bd5f-5c2b-4a3c-9c44-94a5b4a8e4e1");
    if (bestFrameBase64 != null) {
      reply.put("BestFrame", new JsonObject().put("BestFrame", bestFrameBase64));
    }
    return reply;
  }
}
