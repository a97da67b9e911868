package cn.yunqian.enrolment.sms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.enrolment.TencentCloudClient;
import cn.yunqian.enrolment.TencentCloudSettings;
import cn.yunqian.enrolment.TencentCloudStandIn;
import cn.yunqian.enrolment.TencentCloudStandIn.Reply;
import cn.yunqian.enrolment.VendorProviders;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends through the Tencent Cloud SMS adapter to a loopback stand-in that checks the
 * TC3-HMAC-SHA256 signature. Reply bodies follow the SendSms page of the Tencent Cloud SMS API
 * documentation (version 2021-01-11).
 */
class TencentSmsSenderTest {

  private static final String MOBILE = "13800138000";
  private static Vertx vertx;
  private static TencentCloudStandIn standIn;

  private final TencentSmsSettings smsSettings = new TencentSmsSettings("unused", "1400000001",
      "云签", Map.of(
          SmsTemplate.VERIFICATION_CODE, new TencentSmsSettings.TemplateBinding("1100001",
              List.of("code")),
          SmsTemplate.ENROLMENT_RESULT, new TencentSmsSettings.TemplateBinding("1100002",
              List.of("result", "reason")),
          SmsTemplate.SECURITY_NOTICE, new TencentSmsSettings.TemplateBinding("1100003",
              List.of())));

  @BeforeAll
  static void startStandIn() {
    vertx = Vertx.vertx();
    standIn = TencentCloudStandIn.start(vertx, TencentSmsSender.SERVICE, TencentSmsSender.VERSION);
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
  void sendsSignedVerificationCode() {
    standIn.reply("SendSms", Reply.json(sendStatus("Ok", "send success")));

    sender(TencentCloudStandIn.SECRET_KEY, Duration.ofSeconds(5))
        .send(MOBILE, SmsTemplate.VERIFICATION_CODE, Map.of("code", "482913"))
        .await();

    assertEquals(List.of(), standIn.rejected());
    assertEquals(1, standIn.received().size());
    TencentCloudStandIn.Received request = standIn.received().get(0);
    assertEquals("ap-guangzhou", request.headers().get("X-TC-Region"));
    assertEquals(new JsonArray().add("+8613800138000"), request.body().getJsonArray(
        "PhoneNumberSet"));
    assertEquals("1400000001", request.body().getString("SmsSdkAppId"));
    assertEquals("云签", request.body().getString("SignName"));
    assertEquals("1100001", request.body().getString("TemplateId"));
    assertEquals(new JsonArray().add("482913"), request.body().getJsonArray("TemplateParamSet"));
  }

  @Test
  void parametersFollowTemplateOrder() {
    standIn.reply("SendSms", Reply.json(sendStatus("Ok", "send success")));

    sender(TencentCloudStandIn.SECRET_KEY, Duration.ofSeconds(5))
        .send(MOBILE, SmsTemplate.ENROLMENT_RESULT, Map.of("reason", "照片模糊", "result", "未通过"))
        .await();

    assertEquals(new JsonArray().add("未通过").add("照片模糊"),
        standIn.received().get(0).body().getJsonArray("TemplateParamSet"));
  }

  @Test
  void rejectedNumberNamesProviderCode() {
    standIn.reply("SendSms", Reply.json(sendStatus("LimitExceeded.PhoneNumberDailyLimit",
        "the number of SMS messages sent from a single mobile number every day exceeds the upper"
            + " limit")));

    GatewayException failure = sendExpectingFailure(TencentCloudStandIn.SECRET_KEY);

    assertEquals(ErrorCode.SMS_SEND_FAILED, failure.code());
    assertTrue(failure.reason().contains("LimitExceeded.PhoneNumberDailyLimit"),
        failure.reason());
    assertFalse(failure.reason().contains(MOBILE), failure.reason());
  }

  @Test
  void apiErrorNamesProviderCode() {
    standIn.reply("SendSms", Reply.error("FailedOperation.TemplateIncorrectOrUnapproved",
        "template is not approved or request content does not match the approved template"));

    GatewayException failure = sendExpectingFailure(TencentCloudStandIn.SECRET_KEY);

    assertEquals(ErrorCode.SMS_SEND_FAILED, failure.code());
    assertTrue(failure.reason().contains("FailedOperation.TemplateIncorrectOrUnapproved"),
        failure.reason());
  }

  @Test
  void wrongSecretFailsSignatureCheck() {
    standIn.reply("SendSms", Reply.json(sendStatus("Ok", "send success")));

    GatewayException failure = sendExpectingFailure("not-the-secret-key");

    assertEquals(ErrorCode.SMS_SEND_FAILED, failure.code());
    assertTrue(failure.reason().contains("AuthFailure.SignatureFailure"), failure.reason());
    assertEquals(List.of("signature does not match"), standIn.rejected());
  }

  @Test
  void httpErrorIsMapped() {
    standIn.reply("SendSms", new Reply(503, "busy", false));

    GatewayException failure = sendExpectingFailure(TencentCloudStandIn.SECRET_KEY);

    assertEquals(ErrorCode.SMS_SEND_FAILED, failure.code());
    assertTrue(failure.reason().contains("HTTP 503"), failure.reason());
  }

  @Test
  void unreadableReplyIsMapped() {
    standIn.reply("SendSms", new Reply(200, "<html>gateway</html>", false));

    GatewayException failure = sendExpectingFailure(TencentCloudStandIn.SECRET_KEY);

    assertTrue(failure.reason().contains("not JSON"), failure.reason());
  }

  @Test
  void timeoutIsMapped() {
    standIn.reply("SendSms", new Reply(200, "", true));

    Throwable failure = assertThrows(Exception.class,
        () -> sender(TencentCloudStandIn.SECRET_KEY, Duration.ofMillis(300))
            .send(MOBILE, SmsTemplate.VERIFICATION_CODE, Map.of("code", "482913")).await());

    GatewayException gatewayFailure = assertInstanceOf(GatewayException.class, failure);
    assertEquals(ErrorCode.SMS_SEND_FAILED, gatewayFailure.code());
    assertTrue(gatewayFailure.reason().contains("timed out after 300 ms"),
        gatewayFailure.reason());
  }

  @Test
  void missingParameterIsNotSent() {
    Throwable failure = assertThrows(Exception.class,
        () -> sender(TencentCloudStandIn.SECRET_KEY, Duration.ofSeconds(5))
            .send(MOBILE, SmsTemplate.VERIFICATION_CODE, Map.of()).await());

    assertInstanceOf(IllegalArgumentException.class, failure);
    assertTrue(failure.getMessage().contains("'code'"), failure.getMessage());
    assertEquals(List.of(), standIn.received());
  }

  @Test
  void invalidMobileIsNotSent() {
    Throwable failure = assertThrows(Exception.class,
        () -> sender(TencentCloudStandIn.SECRET_KEY, Duration.ofSeconds(5))
            .send("+8613800138000", SmsTemplate.SECURITY_NOTICE, Map.of()).await());

    assertInstanceOf(IllegalArgumentException.class, failure);
    assertEquals(List.of(), standIn.received());
  }

  @Test
  void factoryReadsEnvironment(@TempDir Path dir) throws Exception {
    Path secretFile = dir.resolve("tencent-secret");
    Files.writeString(secretFile, TencentCloudStandIn.SECRET_KEY + "\n");
    standIn.reply("SendSms", Reply.json(sendStatus("Ok", "send success")));
    Map<String, String> env = Map.of(
        VendorProviders.SMS_PROVIDER, "tencent",
        TencentCloudSettings.SECRET_ID, TencentCloudStandIn.SECRET_ID,
        TencentCloudSettings.SECRET_KEY_FILE, secretFile.toString(),
        TencentSmsSettings.ENDPOINT, standIn.endpoint(),
        TencentSmsSettings.SDK_APP_ID, "1400000001",
        TencentSmsSettings.SIGN_NAME, "云签",
        "YUNQIAN_SMS_TEMPLATE_VERIFICATION_CODE", "1100001:code",
        "YUNQIAN_SMS_TEMPLATE_ENROLMENT_RESULT", "1100002:result,reason",
        "YUNQIAN_SMS_TEMPLATE_SECURITY_NOTICE", "1100003");

    SmsSender sender = VendorProviders.smsSender(vertx, env).orElseThrow();
    sender.send(MOBILE, SmsTemplate.SECURITY_NOTICE, Map.of()).await();

    assertEquals("tencent", sender.name());
    assertEquals("1100003", standIn.received().get(0).body().getString("TemplateId"));
    assertEquals(List.of(), standIn.rejected());
  }

  @Test
  void factoryListsEveryProblem() {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> VendorProviders.smsSender(vertx, Map.of(
            VendorProviders.SMS_PROVIDER, "tencent",
            TencentCloudSettings.SECRET_KEY_FILE, "/nonexistent/secret",
            "YUNQIAN_SMS_TEMPLATE_VERIFICATION_CODE", "abc:code")));

    String message = failure.getMessage();
    assertTrue(message.contains(TencentCloudSettings.SECRET_ID + " is missing"), message);
    assertTrue(message.contains("/nonexistent/secret"), message);
    assertTrue(message.contains(TencentSmsSettings.SDK_APP_ID + " is missing"), message);
    assertTrue(message.contains("YUNQIAN_SMS_TEMPLATE_VERIFICATION_CODE must look like"),
        message);
    assertTrue(message.contains("YUNQIAN_SMS_TEMPLATE_SECURITY_NOTICE is missing"), message);
  }

  @Test
  void factoryLeavesOtherProvidersToEngine() {
    assertEquals(Optional.empty(),
        VendorProviders.smsSender(vertx, Map.of(VendorProviders.SMS_PROVIDER, "dev-outbox")));
  }

  private GatewayException sendExpectingFailure(String secretKey) {
    Throwable failure = assertThrows(Exception.class,
        () -> sender(secretKey, Duration.ofSeconds(5))
            .send(MOBILE, SmsTemplate.VERIFICATION_CODE, Map.of("code", "482913")).await());
    return assertInstanceOf(GatewayException.class, failure);
  }

  private TencentSmsSender sender(String secretKey, Duration timeout) {
    TencentCloudSettings cloud = new TencentCloudSettings(TencentCloudStandIn.SECRET_ID,
        secretKey, "ap-guangzhou", timeout);
    TencentCloudClient client = new TencentCloudClient(WebClient.create(vertx),
        standIn.endpoint(), new TencentCloudClient.Api(TencentSmsSender.SERVICE,
            TencentSmsSender.VERSION, Optional.of("ap-guangzhou")),
        cloud, ErrorCode.SMS_SEND_FAILED, Clock.systemUTC());
    return new TencentSmsSender(client, smsSettings);
  }

  /** Builds a SendSms reply for one number, shaped like the documented example. */
  private static JsonObject sendStatus(String code, String message) {
    return new JsonObject()
        .put("SendStatusSet", new JsonArray().add(new JsonObject()
            .put("SerialNo", "5000:1045710669157053657849499619")
            .put("PhoneNumber", "+8613800138000")
            .put("Fee", 1)
            .put("SessionContext", "")
            .put("Code", code)
            .put("Message", message)
            .put("IsoCode", "CN")))
        .put("RequestId", "a0aabda6-cf91-4f3e-a81f-9198114a2279");
  }
}
