package cn.yunqian.pin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.ca.CaPinFile;
import cn.yunqian.ca.CaSettings;
import cn.yunqian.ca.CertificateAuthority;
import cn.yunqian.ca.CertificateLifecycle;
import cn.yunqian.ca.CertificateRepository;
import cn.yunqian.ca.CrlPublisher;
import cn.yunqian.db.Database;
import cn.yunqian.enrolment.sms.DevOutboxSmsSender;
import cn.yunqian.hsm.CustodyKey;
import cn.yunqian.hsm.CustodyMode;
import cn.yunqian.hsm.KeyAlgorithm;
import cn.yunqian.hsm.KeyCustody;
import cn.yunqian.hsm.SigningHandle;
import cn.yunqian.hsm.TestHsm;
import cn.yunqian.hsm.TokenPerSignerCustody;
import cn.yunqian.identity.PersonalDataCipher;
import cn.yunqian.signer.EnrolmentRequest;
import cn.yunqian.signer.Signer;
import cn.yunqian.signer.SignerEnrolment;
import cn.yunqian.signer.SignerKeys;
import cn.yunqian.signer.SignerMobiles;
import cn.yunqian.signer.SignerRepository;
import cn.yunqian.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.sqlclient.Tuple;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Re-keying and the reviewer's PIN resets in both custody modes, on real SoftHSM2 and
 * PostgreSQL: the new key is made in the configured custody and the old PIN stops working.
 */
class RekeyingCustodyTest {

  private static final String OLD_PIN = "250913";
  private static final String NEW_PIN = "580314";

  private static Vertx vertx;
  private static Database database;
  private static SignerRepository signers;
  private static SignerKeys keys;
  private static final Map<CustodyMode, KeyCustody> CUSTODIES = new EnumMap<>(CustodyMode.class);
  private static final Map<CustodyMode, SignerEnrolment> ENROLMENTS =
      new EnumMap<>(CustodyMode.class);
  private static final Map<CustodyMode, Rekeying> REKEYINGS = new EnumMap<>(CustodyMode.class);
  private static final Map<CustodyMode, PinResets> RESETS = new EnumMap<>(CustodyMode.class);
  private static FaceVerifications faces;

  @BeforeAll
  static void start(@org.junit.jupiter.api.io.TempDir Path dataDir) {
    vertx = Vertx.vertx();
    GatewayConfig config = GatewayConfig.fromEnvironment(Map.of(
        "YUNQIAN_PG_URL", TestDatabase.newDatabaseUrl(),
        "YUNQIAN_DATA_DIR", dataDir.toString()));
    database = Database.open(vertx, config, "unused-with-an-external-database").await();
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("rekey-test-hsm", 4);
    signers = new SignerRepository(database.pool());
    byte[] secret = new byte[32];
    PinPhone.RANDOM.nextBytes(secret);
    PersonalDataCipher cipher = new PersonalDataCipher(secret);
    keys = new SignerKeys(database.pool(), cipher);
    Path caPin = dataDir.resolve("ca-token.pin");
    CaPinFile.createIfMissing(caPin);
    CertificateAuthority ca = CertificateAuthority.openOrCreate(TestHsm.signerTokens(),
        new CaSettings(TestHsm.newLabel("rkca"), caPin, "Rekey Test CA", Duration.ofDays(3650)));
    CertificateRepository certificates = new CertificateRepository(database.pool());
    CrlPublisher crl = new CrlPublisher(ca, certificates, workers, Clock.systemUTC(),
        Duration.ofDays(1));
    CertificateLifecycle lifecycle = new CertificateLifecycle(signers, certificates,
        TestHsm.signerTokens(), crl, Set.of(), workers, Clock.systemUTC());
    CUSTODIES.put(CustodyMode.TOKEN_PER_SIGNER,
        new TokenPerSignerCustody(TestHsm.signerTokens()));
    CUSTODIES.put(CustodyMode.WRAPPED_KEY, TestHsm.wrappedKeyCustody());
    SecurityNotices notices = new SecurityNotices(new SignerMobiles(database.pool(), cipher,
        secret), new DevOutboxSmsSender());
    faces = new FaceVerifications(database.pool(), cipher, Clock.systemUTC());
    for (Map.Entry<CustodyMode, KeyCustody> entry : CUSTODIES.entrySet()) {
      ENROLMENTS.put(entry.getKey(), new SignerEnrolment(signers, entry.getValue(), ca, cipher,
          secret, workers, 512 * 1024));
      Rekeying rekeying = new Rekeying(signers, entry.getValue(), ca, lifecycle, workers,
          Clock.systemUTC());
      REKEYINGS.put(entry.getKey(), rekeying);
      RESETS.put(entry.getKey(), new PinResets(database.pool(), rekeying, cipher, notices,
          Clock.systemUTC()));
    }
  }

  @AfterAll
  static void stop() {
    if (database != null) {
      database.close();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void rekeyMakesKeyInConfiguredCustody(CustodyMode mode) {
    UUID signerId = enrol(mode);
    CustodyKey before = keys.custodyKey(signerId).await().orElseThrow();
    UUID face = faces.record(signerId, true, "officer", null, null).await();

    REKEYINGS.get(mode).rekey(signerId, NEW_PIN.toCharArray(), face, "test").await();

    CustodyKey after = keys.custodyKey(signerId).await().orElseThrow();
    assertEquals(mode, after.mode());
    assertNotEquals(before.label(), after.label());
    assertSigns(mode, after, NEW_PIN);
    assertPinRejected(mode, after, OLD_PIN);
    assertEquals(1L, count("SELECT count(*) FROM certificates WHERE signer_id = '" + signerId
        + "' AND status = 'REVOKED' AND revocation_reason = 'SUPERSEDED'"));
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void approvedResetActivatesQueuedKey(CustodyMode mode) {
    UUID signerId = enrol(mode);
    Signer signer = signers.findById(signerId).await().orElseThrow();
    UUID face = faces.record(signerId, true, FaceVerifications.BUILTIN, "test", jpeg()).await();

    UUID resetId = RESETS.get(mode).submit(signer, face, NEW_PIN.toCharArray(), "test").await();
    CustodyKey queued = keys.custodyKey(signerId).await().orElseThrow();
    assertSigns(mode, queued, OLD_PIN);
    RESETS.get(mode).approve(resetId, "reviewer").await();

    CustodyKey after = keys.custodyKey(signerId).await().orElseThrow();
    assertEquals(mode, after.mode());
    assertSigns(mode, after, NEW_PIN);
    assertPinRejected(mode, after, OLD_PIN);
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void rejectedResetDropsWrappedKey(CustodyMode mode) {
    UUID signerId = enrol(mode);
    Signer signer = signers.findById(signerId).await().orElseThrow();
    UUID face = faces.record(signerId, true, FaceVerifications.BUILTIN, "test", jpeg()).await();
    UUID resetId = RESETS.get(mode).submit(signer, face, NEW_PIN.toCharArray(), "test").await();

    RESETS.get(mode).reject(resetId, "不是本人", "reviewer").await();

    assertSigns(mode, keys.custodyKey(signerId).await().orElseThrow(), OLD_PIN);
    Object wrapped = database.pool().preparedQuery("SELECT wrapped_key FROM pin_resets"
        + " WHERE id = $1").execute(Tuple.of(resetId)).await().iterator().next().getValue(0);
    assertNull(wrapped, "the rejected reset still references a wrapped key");
    GatewayException twice = assertThrows(GatewayException.class,
        () -> RESETS.get(mode).approve(resetId, "reviewer").await());
    assertEquals(ErrorCode.PIN_RESET_NOT_PENDING, twice.code());
  }

  @ParameterizedTest
  @EnumSource(CustodyMode.class)
  void staleFaceIsRejected(CustodyMode mode) {
    UUID signerId = enrol(mode);
    Signer signer = signers.findById(signerId).await().orElseThrow();
    UUID face = faces.record(signerId, true, FaceVerifications.BUILTIN, "test", jpeg()).await();
    database.pool().preparedQuery("UPDATE face_verifications SET verified_at = $2 WHERE id = $1")
        .execute(Tuple.of(face, OffsetDateTime.now(ZoneOffset.UTC).minusHours(1))).await();

    GatewayException stale = assertThrows(GatewayException.class, () -> RESETS.get(mode)
        .submit(signer, face, NEW_PIN.toCharArray(), "test").await());

    assertEquals(ErrorCode.FACE_VERIFICATION_INVALID, stale.code());
    assertEquals(0L, count("SELECT count(*) FROM pin_resets WHERE signer_id = '" + signerId
        + "'"));
  }

  private static UUID enrol(CustodyMode mode) {
    EnrolmentRequest request = new EnrolmentRequest("张伟", PinPhone.newIdNumber(), "EXPERT",
        OLD_PIN.toCharArray(), png(), KeyAlgorithm.EC_P256, "test");
    return ENROLMENTS.get(mode).enrol(request).await().id();
  }

  private static void assertSigns(CustodyMode mode, CustodyKey key, String pin) {
    try (SigningHandle handle = CUSTODIES.get(mode).openForSigning(key, pin.toCharArray())) {
      assertTrue(handle.sign(new byte[] {1, 2, 3}).length > 0);
    }
  }

  private static void assertPinRejected(CustodyMode mode, CustodyKey key, String pin) {
    GatewayException rejected = assertThrows(GatewayException.class,
        () -> CUSTODIES.get(mode).openForSigning(key, pin.toCharArray()).close());
    assertEquals(ErrorCode.PIN_INCORRECT, rejected.code());
  }

  private static long count(String sql) {
    return database.pool().query(sql).execute().await().iterator().next().getLong(0);
  }

  private static byte[] jpeg() {
    return image("jpg");
  }

  private static byte[] png() {
    return image("png");
  }

  private static byte[] image(String format) {
    BufferedImage image = new BufferedImage(240, 80, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 240, 80);
    g.setColor(Color.BLUE);
    g.drawPolyline(new int[] {10, 60, 110, 160, 220}, new int[] {60, 20, 65, 15, 55}, 5);
    g.dispose();
    try {
      return PinPhone.write(image, format);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
