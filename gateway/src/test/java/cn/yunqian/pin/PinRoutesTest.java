package cn.yunqian.pin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.api.BearerAuth;
import cn.yunqian.api.ErrorResponses;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.ca.CaPinFile;
import cn.yunqian.ca.CaSettings;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateRepository;
import cn.yunqian.ca.CrlPublisher;
import cn.yunqian.ca.SigningCertificates;
import cn.yunqian.db.Database;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SigningHandle;
import cn.yunqian.hsm.TestHsm;
import cn.yunqian.hsm.TokenPerSignerCustody;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.identity.ResidentIdNumber;
import cn.yunqian.signer.EnrolmentRequest;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerRepository;
import cn.yunqian.testing.TestDatabase;
import cn.yunqian.signing.Placement;
import cn.yunqian.signing.SignatureVerifier;
import cn.yunqian.signing.SignedDocument;
import cn.yunqian.signing.SigningRequest;
import cn.yunqian.signing.SigningService;
import cn.yunqian.signing.VerifiedSignature;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PIN change and the locked-signer list over HTTP on loopback, with real SoftHSM2 and
 * PostgreSQL, in both custody modes: one loopback server per mode, sharing one database.
 */
class PinRoutesTest {

  private static final String CLIENT_TOKEN = "client-token-for-pin-tests";
  private static final String OFFICER_TOKEN = "officer-token-for-pin-tests";
  private static final String FIRST_PIN = "135792";
  private static final String SECOND_PIN = "246813";
  /** The birth date that every test signer has; "800512" is a PIN taken from it. */
  private static final String BIRTH_DATE = "19800512";
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final SecureRandom RANDOM = new SecureRandom();

  private static Vertx vertx;
  private static Database database;
  private static WorkerExecutor workers;
  private static final Map<CustodyMode, HttpServer> SERVERS = new EnumMap<>(CustodyMode.class);
  private static SignerRepository signers;
  private static SignerKeys keys;
  private static final Map<CustodyMode, KeyCustody> CUSTODIES = new EnumMap<>(CustodyMode.class);
  private static final Map<CustodyMode, SignerEnrolment> ENROLMENTS =
      new EnumMap<>(CustodyMode.class);
  private static final Map<CustodyMode, SigningService> SIGNING =
      new EnumMap<>(CustodyMode.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start(@org.junit.jupiter.api.io.TempDir Path dataDir) {
    vertx = Vertx.vertx();
    GatewayConfig config = GatewayConfig.fromEnvironment(Map.of(
        "YUNQIAN_PG_URL", TestDatabase.newDatabaseUrl(),
        "YUNQIAN_DATA_DIR", dataDir.toString()));
    database = Database.open(vertx, config, "unused-with-an-external-database").await();
    workers = vertx.createSharedWorkerExecutor("pin-test-hsm", 4);
    signers = new SignerRepository(database.pool());
    byte[] personalDataKey = new byte[32];
    RANDOM.nextBytes(personalDataKey);
    PersonalDataCipher cipher = new PersonalDataCipher(personalDataKey);
    keys = new SignerKeys(database.pool(), cipher);

    Path caPin = dataDir.resolve("ca-token.pin");
    CaPinFile.createIfMissing(caPin);
    CertificateAuthority ca = CertificateAuthority.openOrCreate(TestHsm.signerTokens(),
        new CaSettings(TestHsm.newLabel("pinca"), caPin, "PIN Test CA", Duration.ofDays(3650)));
    CUSTODIES.put(CustodyMode.TOKEN_PER_SIGNER,
        new TokenPerSignerCustody(TestHsm.signerTokens()));
    CUSTODIES.put(CustodyMode.WRAPPED_KEY, TestHsm.wrappedKeyCustody());
    byte[] idNumberKey = new byte[32];
    RANDOM.nextBytes(idNumberKey);
    CertificateRepository certificates = new CertificateRepository(database.pool());
    SigningCertificates signingCertificates = new SigningCertificates(certificates, ca,
        new CrlPublisher(ca, certificates, workers, Clock.systemUTC(), Duration.ofDays(1)),
        "B-B", workers, Clock.systemUTC());
    for (Map.Entry<CustodyMode, KeyCustody> entry : CUSTODIES.entrySet()) {
      KeyCustody custody = entry.getValue();
      ENROLMENTS.put(entry.getKey(), new SignerEnrolment(signers, custody, ca, cipher,
          idNumberKey, workers, 512 * 1024));
      SIGNING.put(entry.getKey(), new SigningService(signers, custody, signingCertificates, cipher,
          workers,
          20L * 1024 * 1024, new SimpleMeterRegistry()));
      SERVERS.put(entry.getKey(), vertx.createHttpServer()
          .requestHandler(router(new PinChange(signers, keys, custody, workers)))
          .listen(0, "127.0.0.1")
          .await());
    }
  }

  @AfterAll
  static void stop() {
    for (HttpServer server : SERVERS.values()) {
      server.close().await();
    }
    if (database != null) {
      database.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void changedPinSignsAndOldPinFails(CustodyMode mode) throws Exception {
    UUID signerId = enrol(mode);

    HttpResponse<String> response = changePin(mode, signerId, FIRST_PIN, SECOND_PIN,
        SECOND_PIN);

    assertEquals(200, response.statusCode(), response.body());
    CustodyKey key = keys.custodyKey(signerId).await().orElseThrow();
    assertEquals(mode, key.mode());
    KeyCustody custody = CUSTODIES.get(mode);
    GatewayException old = assertThrows(GatewayException.class,
        () -> custody.openForSigning(key, FIRST_PIN.toCharArray()).close());
    assertEquals(ErrorCode.PIN_INCORRECT, old.code());
    try (SigningHandle handle = custody.openForSigning(key, SECOND_PIN.toCharArray())) {
      assertTrue(handle.sign(new byte[] {1, 2, 3}).length > 0);
    }
    assertEquals(1, countAudit(signerId, "PIN_CHANGED", "SUCCESS"));
    assertFalse(auditText(signerId).contains(FIRST_PIN));
    assertFalse(auditText(signerId).contains(SECOND_PIN));
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void signedPdfVerifiesAfterPinChange(CustodyMode mode) throws Exception {
    UUID signerId = enrol(mode);
    byte[] pdf = Files.readAllBytes(Path.of("src/test/resources/corpus/plain-one-page.pdf"));

    HttpResponse<String> response = changePin(mode, signerId, FIRST_PIN, SECOND_PIN,
        SECOND_PIN);
    SignedDocument signed = SIGNING.get(mode).sign(new SigningRequest(signerId,
        SECOND_PIN.toCharArray(), pdf, null, new Placement.OnPage(1, 50, 50, 150, 62), "test"))
        .await();
    GatewayException oldPin = assertThrows(GatewayException.class,
        () -> SIGNING.get(mode).sign(new SigningRequest(signerId, FIRST_PIN.toCharArray(), pdf,
            null, new Placement.OnPage(1, 50, 50, 150, 62), "test")).await());

    assertEquals(200, response.statusCode(), response.body());
    List<VerifiedSignature> signatures = SignatureVerifier.verify(signed.pdf(), null);
    assertEquals(1, signatures.size());
    assertTrue(signatures.get(0).cryptographicallyValid(), signatures.get(0).failure());
    assertTrue(signatures.get(0).coversWholeDocument());
    assertEquals(ErrorCode.PIN_INCORRECT, oldPin.code());
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void wrongOldPinLocksAfterFiveTries(CustodyMode mode) throws Exception {
    UUID signerId = enrol(mode);

    for (int i = 1; i < Signer.MAX_PIN_ATTEMPTS; i++) {
      HttpResponse<String> wrong = changePin(mode, signerId, "975310", SECOND_PIN, SECOND_PIN);
      assertEquals(403, wrong.statusCode(), wrong.body());
      assertEquals("PIN_INCORRECT", errorOf(wrong));
    }
    HttpResponse<String> last = changePin(mode, signerId, "975310", SECOND_PIN, SECOND_PIN);
    HttpResponse<String> right = changePin(mode, signerId, FIRST_PIN, SECOND_PIN, SECOND_PIN);
    HttpResponse<String> list = get(mode, "/api/v1/admin/locked-signers", OFFICER_TOKEN);

    assertEquals(423, last.statusCode(), last.body());
    assertEquals(423, right.statusCode(), right.body());
    assertEquals(200, list.statusCode(), list.body());
    assertTrue(listedIds(list).contains(signerId.toString()), list.body());
    assertEquals(Signer.MAX_PIN_ATTEMPTS,
        countAudit(signerId, "PIN_CHANGE_REJECTED", "PIN_INCORRECT"));
    assertEquals(1, countAudit(signerId, "PIN_CHANGE_REJECTED", "PIN_LOCKED"));
    assertEquals(1, countAudit(signerId, "SIGNER_LOCKED", "PIN_LOCKED"));

    new PinUnlock(signers).unlock(signerId, "officer", "identity checked in person").await();
    HttpResponse<String> afterUnlock = changePin(mode, signerId, FIRST_PIN, SECOND_PIN,
        SECOND_PIN);
    assertEquals(200, afterUnlock.statusCode(), afterUnlock.body());
    assertFalse(listedIds(get(mode, "/api/v1/admin/locked-signers", OFFICER_TOKEN))
        .contains(signerId.toString()));
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void weakOrMismatchedNewPinCostsNoTry(CustodyMode mode) throws Exception {
    UUID signerId = enrol(mode);

    HttpResponse<String> birthDate = changePin(mode, signerId, FIRST_PIN, "800512", "800512");
    HttpResponse<String> run = changePin(mode, signerId, FIRST_PIN, "654321", "654321");
    HttpResponse<String> mismatch = changePin(mode, signerId, FIRST_PIN, SECOND_PIN, "246814");
    HttpResponse<String> letters = changePin(mode, signerId, "12ab56", SECOND_PIN, SECOND_PIN);

    assertEquals(400, birthDate.statusCode(), birthDate.body());
    assertEquals("PIN_TOO_WEAK", errorOf(birthDate));
    assertEquals("PIN_TOO_WEAK", errorOf(run));
    assertEquals("INVALID_REQUEST", errorOf(mismatch));
    assertEquals("PIN_FORMAT_INVALID", errorOf(letters));
    assertEquals(0, signers.findById(signerId).await().orElseThrow().failedPinAttempts());
    assertEquals(4, countAudit(signerId, "PIN_CHANGE_REJECTED", null));
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void requestsWithoutValidTokenOrBodyFail(CustodyMode mode) throws Exception {
    UUID signerId = enrol(mode);
    String path = "/api/v1/signers/" + signerId + "/pin";

    HttpResponse<String> noToken = send(HttpRequest.newBuilder(uri(mode, path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    HttpResponse<String> officerList = get(mode, "/api/v1/admin/locked-signers", CLIENT_TOKEN);
    HttpResponse<String> notJson = send(HttpRequest.newBuilder(uri(mode, path))
        .header("authorization", "Bearer " + CLIENT_TOKEN)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("[1,2")).build());
    HttpResponse<String> numberPin = send(HttpRequest.newBuilder(uri(mode, path))
        .header("authorization", "Bearer " + CLIENT_TOKEN)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"oldPin\":135792,\"newPin\":\"246813\",\"newPinRepeat\":\"246813\"}")).build());

    assertEquals(401, noToken.statusCode(), noToken.body());
    assertTrue(officerList.statusCode() == 401 || officerList.statusCode() == 403,
        officerList.body());
    assertEquals(400, notJson.statusCode(), notJson.body());
    assertEquals("PIN_FORMAT_INVALID", errorOf(numberPin));
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void unknownSignerIsAuditedWithoutPin(CustodyMode mode) throws Exception {
    UUID unknown = UUID.randomUUID();

    HttpResponse<String> response = changePin(mode, unknown, FIRST_PIN, SECOND_PIN, SECOND_PIN);

    assertEquals(404, response.statusCode(), response.body());
    assertEquals("SIGNER_NOT_FOUND", errorOf(response));
    Row row = database.pool().preparedQuery("SELECT outcome, details FROM audit_events"
            + " WHERE signer_id IS NULL AND action = 'PIN_CHANGE_REJECTED'"
            + " AND details LIKE '%' || $1 || '%'")
        .execute(Tuple.of(unknown.toString())).await().iterator().next();
    assertEquals("SIGNER_NOT_FOUND", row.getString(0));
    assertFalse(row.getString(1).contains(FIRST_PIN));
  }

  private static Router router(PinChange pinChange) {
    Router router = Router.router(vertx);
    router.route("/api/*").handler(BodyHandler.create().setBodyLimit(64 * 1024));
    PinRoutes.mount(router, new BearerAuth("client", CLIENT_TOKEN),
        new BearerAuth("officer", OFFICER_TOKEN), pinChange, keys);
    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(ErrorResponses::handle);
    return router;
  }

  private static UUID enrol(CustodyMode mode) {
    // A counter, not a random number: all signers share one birth date, and the database
    // refuses a second signer with the same ID number.
    String first17 = "110101" + BIRTH_DATE + String.format("%03d", SEQUENCE.getAndIncrement());
    String idNumber = first17 + ResidentIdNumber.checkCharacter(first17);
    EnrolmentRequest request = new EnrolmentRequest("张伟", idNumber, "EXPERT",
        FIRST_PIN.toCharArray(), signaturePng(), KeyAlgorithm.EC_P256, "test");
    return ENROLMENTS.get(mode).enrol(request).await().id();
  }

  private static HttpResponse<String> changePin(CustodyMode mode, UUID signerId, String oldPin,
      String newPin, String newPinRepeat) throws Exception {
    JsonObject body = new JsonObject().put("oldPin", oldPin).put("newPin", newPin)
        .put("newPinRepeat", newPinRepeat);
    return send(HttpRequest.newBuilder(uri(mode, "/api/v1/signers/" + signerId + "/pin"))
        .header("authorization", "Bearer " + CLIENT_TOKEN)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build());
  }

  private static HttpResponse<String> get(CustodyMode mode, String path, String token)
      throws Exception {
    return send(HttpRequest.newBuilder(uri(mode, path))
        .header("authorization", "Bearer " + token)
        .GET().build());
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Returns the URI on the loopback server of the custody mode. */
  private static URI uri(CustodyMode mode, String path) {
    return URI.create("http://127.0.0.1:" + SERVERS.get(mode).actualPort() + path);
  }

  private static String errorOf(HttpResponse<String> response) {
    return new JsonObject(response.body()).getString("error");
  }

  private static String listedIds(HttpResponse<String> list) {
    JsonArray items = new JsonObject(list.body()).getJsonArray("signers");
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < items.size(); i++) {
      ids.append(items.getJsonObject(i).getString("id")).append(' ');
    }
    return ids.toString();
  }

  private static int countAudit(UUID signerId, String action, String outcome) {
    String sql = "SELECT count(*) FROM audit_events WHERE signer_id = $1 AND action = $2"
        + (outcome == null ? "" : " AND outcome = $3");
    Tuple args = outcome == null ? Tuple.of(signerId, action)
        : Tuple.of(signerId, action, outcome);
    Row row = database.pool().preparedQuery(sql).execute(args).await().iterator().next();
    return row.getLong(0).intValue();
  }

  private static String auditText(UUID signerId) {
    StringBuilder text = new StringBuilder();
    for (Row row : database.pool().preparedQuery(
            "SELECT action, outcome, details FROM audit_events WHERE signer_id = $1")
        .execute(Tuple.of(signerId)).await()) {
      text.append(row.getString(0)).append(row.getString(1)).append(row.getString(2));
    }
    return text.toString();
  }

  private static byte[] signaturePng() {
    BufferedImage image = new BufferedImage(240, 80, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(10, 20, 120));
    g.setStroke(new BasicStroke(5f));
    g.drawPolyline(new int[] {10, 60, 110, 160, 220}, new int[] {60, 20, 65, 15, 55}, 5);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
