package cn.yunqian.pin;

import static cn.yunqian.pin.PinPhone.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.app.Gateway;
import cn.yunqian.enrolment.EnrolmentConfig;
import cn.yunqian.enrolment.sms.SmsTemplate;
import cn.yunqian.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PIN page's API over loopback HTTP against a real gateway (SoftHSM2, PostgreSQL): the
 * identification rules, the bad-input paths of change and reset, and the reviewer's reset
 * queue. The browser walk of the same pages is in {@code cn.yunqian.web.PinPagesBrowserTest}.
 */
class PinPageHttpTest {

  private static final MovableClock CLOCK = new MovableClock();
  private static final String NEW_PIN = "580314";
  private static Gateway gateway;
  private static PinPhone phone;

  @BeforeAll
  static void startGateway() {
    EnrolmentConfig config = EnrolmentConfig.fromEnvironment(Map.of())
        .withClockAndDevMode(CLOCK, true);
    gateway = Gateway.start(TestGateway.config("pin-page", Map.of()), config).await();
    phone = new PinPhone(gateway, () -> CLOCK.advance(Duration.ofSeconds(61)));
  }

  @AfterAll
  static void stopGateway() {
    if (gateway != null) {
      gateway.close();
    }
  }

  /** Moves past every rate-limit window, so each test starts with fresh limits. */
  @BeforeEach
  void freshWindows() {
    CLOCK.advance(Duration.ofMinutes(61));
  }

  @Test
  void sessionCookieIsHashedAndStrict() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("赵敏", true);

    HttpResponse<Buffer> opened = phone.identify(signer);

    assertEquals(201, opened.statusCode(), opened.bodyAsString());
    String setCookie = opened.cookies().get(0);
    assertTrue(setCookie.toLowerCase(java.util.Locale.ROOT).contains("httponly"), setCookie);
    assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
    assertTrue(setCookie.contains("Path=/api/v1/pin"), setCookie);
    String cookie = setCookie.substring("yq_pin=".length(), setCookie.indexOf(';'));
    JsonObject state = opened.bodyAsJsonObject();
    assertEquals("赵敏", state.getString("name"));
    assertEquals(signer.idNumber().substring(0, 4) + "**********"
        + signer.idNumber().substring(14), state.getString("idNumber"));
    assertFalse(opened.bodyAsString().contains(signer.idNumber()));
    assertFalse(opened.bodyAsString().contains(signer.mobile()));
    Row stored = gateway.services().signers().pool()
        .preparedQuery("SELECT session_hash FROM pin_sessions WHERE signer_id = $1")
        .execute(Tuple.of(signer.signerId())).await().iterator().next();
    assertEquals(HexFormat.of().formatHex(PinSessions.sha256(cookie)),
        HexFormat.of().formatHex(stored.getBuffer("session_hash").getBytes()));
    assertEquals(200, phone.pin(cookie, HttpMethod.GET, "/session", null).statusCode());
  }

  @Test
  void unknownAndWrongClaimsAnswerAlike() throws Exception {
    PinPhone.Enrolled withMobile = phone.enrol("钱多", true);
    PinPhone.Enrolled withoutMobile = phone.enrol("孙丽", false);
    JsonObject unknown = new JsonObject().put("name", "周杰").put("idNumber",
        PinPhone.newIdNumber()).put("mobile", PinPhone.newMobile());

    HttpResponse<Buffer> unknownCode = phone.pin(null, HttpMethod.POST, "/sms", unknown);
    CLOCK.advance(Duration.ofSeconds(61));
    HttpResponse<Buffer> knownCode = phone.pin(null, HttpMethod.POST, "/sms",
        withMobile.claim());
    assertEquals(knownCode.statusCode(), unknownCode.statusCode());
    assertEquals(knownCode.bodyAsString(), unknownCode.bodyAsString());
    String code = phone.outboxCode(withMobile.mobile());
    String wrongCode = code.equals("000000") ? "000001" : "000000";

    JsonObject[] claims = {
        unknown.copy().put("code", "123456"),
        withMobile.claim().put("name", "钱少").put("code", code),
        withMobile.claim().put("mobile", PinPhone.newMobile()).put("code", code),
        withMobile.claim().put("code", wrongCode),
        withMobile.claim().put("mobile", (String) null),
        withoutMobile.claim().put("mobile", PinPhone.newMobile()).put("code", "123456"),
        withoutMobile.claim().put("name", "孙莉")};
    String expected = null;
    for (JsonObject claim : claims) {
      HttpResponse<Buffer> response = phone.pin(null, HttpMethod.POST, "/session", claim);
      assertError(response, 401, "IDENTITY_NOT_CONFIRMED");
      assertTrue(response.cookies().isEmpty(), "cookie set for " + claim.encode());
      expected = expected == null ? response.bodyAsString() : expected;
      assertEquals(expected, response.bodyAsString());
    }
    CLOCK.advance(PinSessions.ID_WINDOW);
    assertEquals(201, phone.identify(withMobile).statusCode());
    assertEquals(201, phone.identify(withoutMobile).statusCode());
  }

  @Test
  void identificationIsRateLimited() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("李娜", false);
    for (int i = 0; i < PinSessions.MAX_PER_ID_NUMBER; i++) {
      assertError(phone.pin(null, HttpMethod.POST, "/session",
          signer.claim().put("name", "李那")), 401, "IDENTITY_NOT_CONFIRMED");
    }

    assertError(phone.identify(signer), 429, "TOO_MANY_ATTEMPTS");
    CLOCK.advance(PinSessions.ID_WINDOW.plusMinutes(1));
    assertEquals(201, phone.identify(signer).statusCode());

    CLOCK.advance(Duration.ofMinutes(61));
    for (int i = 0; i < PinSessions.MAX_PER_CLIENT; i++) {
      JsonObject other = new JsonObject().put("name", "路人").put("idNumber",
          PinPhone.newIdNumber());
      assertError(phone.pin(null, HttpMethod.POST, "/session", other), 401,
          "IDENTITY_NOT_CONFIRMED");
    }
    assertError(phone.identify(signer), 429, "TOO_MANY_ATTEMPTS");
  }

  @Test
  void malformedInputIsRejected() throws Exception {
    assertError(phone.pin(null, HttpMethod.POST, "/session", new JsonObject()
        .put("name", "张三").put("idNumber", "110101199001011234")), 400, "ID_NUMBER_INVALID");
    assertError(phone.pin(null, HttpMethod.POST, "/sms", new JsonObject().put("name", "张三")
        .put("idNumber", PinPhone.newIdNumber()).put("mobile", "12345")), 400,
        "MOBILE_INVALID");
    assertError(phone.pin(null, HttpMethod.POST, "/session", new JsonObject()
        .put("name", 5).put("idNumber", PinPhone.newIdNumber())), 400, "INVALID_REQUEST");
    HttpResponse<Buffer> notJson = phone.client().post("/api/v1/pin/session")
        .putHeader("content-type", "text/plain").sendBuffer(Buffer.buffer("x")).await();
    assertError(notJson, 415, "UNSUPPORTED_MEDIA_TYPE");
  }

  @Test
  void changeRejectsWeakAndMismatchedPins() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("吴刚", true);
    String cookie = phone.session(signer);
    String birth = signer.idNumber().substring(8, 14);

    assertError(change(cookie, signer.pin(), NEW_PIN, "580315"), 400, "PIN_MISMATCH");
    assertError(change(cookie, signer.pin(), "123456", "123456"), 400, "PIN_TOO_WEAK");
    assertError(change(cookie, signer.pin(), "777777", "777777"), 400, "PIN_TOO_WEAK");
    assertError(change(cookie, signer.pin(), birth, birth), 400, "PIN_TOO_WEAK");
    assertError(change(cookie, signer.pin(), signer.pin(), signer.pin()), 400, "PIN_TOO_WEAK");
    assertError(change(cookie, "12ab56", NEW_PIN, NEW_PIN), 400, "PIN_FORMAT_INVALID");

    JsonObject state = phone.pin(cookie, HttpMethod.GET, "/session", null).bodyAsJsonObject();
    assertEquals(5, state.getInteger("attemptsLeft"), "a rejected new PIN cost a try");
    assertEquals(200, phone.sign(signer.signerId(), signer.pin()).statusCode());
  }

  @Test
  void changeCountsWrongOldPinsAndLocks() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("郑和", true);
    String cookie = phone.session(signer);

    for (int left = 4; left >= 1; left--) {
      HttpResponse<Buffer> wrong = change(cookie, "864209", NEW_PIN, NEW_PIN);
      assertError(wrong, 403, "PIN_INCORRECT");
      assertEquals(left, wrong.bodyAsJsonObject().getInteger("attemptsLeft"));
      assertEquals("原PIN码错误，还可尝试" + left + "次",
          wrong.bodyAsJsonObject().getString("message"));
    }
    HttpResponse<Buffer> locking = change(cookie, "864209", NEW_PIN, NEW_PIN);
    assertError(locking, 423, "PIN_LOCKED");
    assertTrue(locking.bodyAsJsonObject().getString("message").contains("已锁定"));

    assertError(change(cookie, signer.pin(), NEW_PIN, NEW_PIN), 423, "PIN_LOCKED");
    assertTrue(phone.pin(cookie, HttpMethod.GET, "/session", null).bodyAsJsonObject()
        .getBoolean("locked"));
  }

  @Test
  void changeTakesEffectAndTextsSigner() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("冯雪", true);
    String cookie = phone.session(signer);

    HttpResponse<Buffer> changed = change(cookie, signer.pin(), NEW_PIN, NEW_PIN);

    assertEquals(200, changed.statusCode(), changed.bodyAsString());
    assertEquals(403, phone.sign(signer.signerId(), signer.pin()).statusCode());
    assertEquals(200, phone.sign(signer.signerId(), NEW_PIN).statusCode());
    assertEquals(Optional.of(Map.of("event", "PIN_CHANGED")), gateway.enrolmentModule()
        .outbox().lastMessage(signer.mobile(), SmsTemplate.SECURITY_NOTICE));
  }

  @Test
  void resetNeedsFaceFirstAndAFreshSession() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("陈晨", false);
    String cookie = phone.session(signer);

    assertError(reset(cookie, NEW_PIN, NEW_PIN), 409, "STEP_OUT_OF_ORDER");
    assertError(phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.95, 1)
        .put("consent", false)), 400, "FACE_CONSENT_REQUIRED");
    assertError(phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.95, 0)), 422,
        "FACE_NOT_DETECTED");
    assertError(phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.2, 1)), 422,
        "FACE_CHECK_FAILED");
    assertError(reset(cookie, NEW_PIN, NEW_PIN), 409, "STEP_OUT_OF_ORDER");
    assertEquals(2L, count("SELECT count(*) FROM face_verifications WHERE signer_id = '"
        + signer.signerId() + "' AND NOT passed"));
    assertEquals(200, phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.95, 1))
        .statusCode());
    assertError(reset(cookie, NEW_PIN, "580315"), 400, "PIN_MISMATCH");
    assertError(reset(cookie, "654321", "654321"), 400, "PIN_TOO_WEAK");

    assertError(phone.pin(null, HttpMethod.POST, "/reset", new JsonObject()
        .put("newPin", NEW_PIN).put("newPinRepeat", NEW_PIN)), 401, "PIN_SESSION_EXPIRED");
    assertError(phone.pin("forged-cookie-value", HttpMethod.GET, "/session", null), 401,
        "PIN_SESSION_EXPIRED");
    CLOCK.advance(PinSessions.LIFETIME.plusSeconds(1));
    assertError(reset(cookie, NEW_PIN, NEW_PIN), 401, "PIN_SESSION_EXPIRED");
    assertEquals(0L, count("SELECT count(*) FROM pin_resets WHERE signer_id = '"
        + signer.signerId() + "'"));
  }

  @Test
  void builtinResetWaitsForReviewerThenRekeys() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("褚红", true);
    lockWithWrongPins(signer);
    String cookie = phone.session(signer);
    BigInteger oldSerial = phone.currentSerial(signer.signerId());
    assertEquals(200, phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.95, 1))
        .statusCode());

    HttpResponse<Buffer> submitted = reset(cookie, NEW_PIN, NEW_PIN);

    assertEquals(200, submitted.statusCode(), submitted.bodyAsString());
    assertEquals("PENDING_REVIEW", submitted.bodyAsJsonObject().getString("status"));
    String resetId = submitted.bodyAsJsonObject().getString("pinResetId");
    assertError(reset(cookie, NEW_PIN, NEW_PIN), 409, "STEP_OUT_OF_ORDER");
    assertEquals(423, phone.sign(signer.signerId(), signer.pin()).statusCode());
    JsonObject pending = phone.reviewer(HttpMethod.GET, "/api/v1/admin/pin-resets", null)
        .bodyAsJsonObject();
    assertTrue(pending.getJsonArray("resets").encode().contains(resetId), pending.encode());
    for (String image : new String[] {"/face", "/enrolment-face"}) {
      HttpResponse<Buffer> frame = phone.reviewer(HttpMethod.GET, "/api/v1/admin/pin-resets/"
          + resetId + image, null);
      assertEquals(200, frame.statusCode(), image + ": " + frame.bodyAsString());
      assertEquals("image/jpeg", frame.getHeader("content-type"));
      assertNotNull(PinPhone.read(frame.body().getBytes()), image + " is not an image");
    }

    HttpResponse<Buffer> approved = phone.reviewer(HttpMethod.POST, "/api/v1/admin/pin-resets/"
        + resetId + "/approve", null);

    assertEquals(200, approved.statusCode(), approved.bodyAsString());
    assertEquals("APPROVED", approved.bodyAsJsonObject().getString("status"));
    assertEquals(200, phone.sign(signer.signerId(), NEW_PIN).statusCode());
    assertEquals(403, phone.sign(signer.signerId(), signer.pin()).statusCode());
    assertNotNull(phone.crl().getRevokedCertificate(oldSerial), "old certificate not on CRL");
    assertEquals(Optional.of(Map.of("event", "PIN_RESET")), gateway.enrolmentModule().outbox()
        .lastMessage(signer.mobile(), SmsTemplate.SECURITY_NOTICE));
    assertError(phone.reviewer(HttpMethod.POST, "/api/v1/admin/pin-resets/" + resetId
        + "/approve", null), 409, "PIN_RESET_NOT_PENDING");
    assertEquals(1L, count("SELECT count(*) FROM audit_events WHERE action = 'SIGNER_REKEYED'"
        + " AND signer_id = '" + signer.signerId() + "'"));
  }

  @Test
  void rejectedResetKeepsOldPin() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("卫东", false);
    String cookie = phone.session(signer);
    assertEquals(200, phone.pin(cookie, HttpMethod.POST, "/face", PinPhone.face(0.95, 1))
        .statusCode());
    String resetId = reset(cookie, NEW_PIN, NEW_PIN).bodyAsJsonObject().getString("pinResetId");
    assertNotNull(resetId);

    assertError(phone.reviewer(HttpMethod.POST, "/api/v1/admin/pin-resets/" + resetId
        + "/reject", new JsonObject().put("reason", " ")), 400, "INVALID_REQUEST");
    HttpResponse<Buffer> rejected = phone.reviewer(HttpMethod.POST, "/api/v1/admin/pin-resets/"
        + resetId + "/reject", new JsonObject().put("reason", "人脸与登记照片不符"));

    assertEquals(200, rejected.statusCode(), rejected.bodyAsString());
    assertEquals("REJECTED", rejected.bodyAsJsonObject().getString("status"));
    assertEquals(200, phone.sign(signer.signerId(), signer.pin()).statusCode());
    assertEquals(403, phone.sign(signer.signerId(), NEW_PIN).statusCode());
    assertFalse(phone.pin(cookie, HttpMethod.GET, "/session", null).bodyAsJsonObject()
        .getBoolean("pendingReset"));
    assertError(phone.reviewer(HttpMethod.POST, "/api/v1/admin/pin-resets/" + resetId
        + "/approve", null), 409, "PIN_RESET_NOT_PENDING");
  }

  @Test
  void auditHoldsNoSecrets() throws Exception {
    PinPhone.Enrolled signer = phone.enrol("蒋平", true);
    String cookie = phone.session(signer);
    change(cookie, "864209", NEW_PIN, NEW_PIN);
    change(cookie, signer.pin(), NEW_PIN, NEW_PIN);

    String details = gateway.services().signers().pool()
        .preparedQuery("SELECT string_agg(actor || ' ' || action || ' ' || details, ' | ')"
            + " FROM audit_events WHERE signer_id = $1")
        .execute(Tuple.of(signer.signerId())).await().iterator().next().getString(0);
    assertTrue(details.contains("PIN_IDENTIFY"), details);
    assertTrue(details.contains("PIN_CHANGED"), details);
    for (String secret : new String[] {signer.idNumber(), signer.mobile(), NEW_PIN,
        signer.pin(), "864209", cookie}) {
      assertFalse(details.contains(secret), "audit contains a secret: " + details);
    }
  }

  private static HttpResponse<Buffer> change(String cookie, String oldPin, String newPin,
      String repeat) {
    return phone.pin(cookie, HttpMethod.POST, "/change", new JsonObject().put("oldPin", oldPin)
        .put("newPin", newPin).put("newPinRepeat", repeat));
  }

  private static HttpResponse<Buffer> reset(String cookie, String newPin, String repeat) {
    return phone.pin(cookie, HttpMethod.POST, "/reset", new JsonObject().put("newPin", newPin)
        .put("newPinRepeat", repeat));
  }

  private static void lockWithWrongPins(PinPhone.Enrolled signer) {
    for (int i = 0; i < 5; i++) {
      phone.sign(signer.signerId(), "864209");
    }
    assertEquals(423, phone.sign(signer.signerId(), signer.pin()).statusCode());
  }

  private static long count(String sql) {
    return gateway.services().signers().pool().query(sql).execute().await().iterator().next()
        .getLong(0);
  }

  /** A clock near the real time that tests move forward past rate-limit windows. */
  static final class MovableClock extends Clock {
    private volatile Instant now = Instant.now();

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
