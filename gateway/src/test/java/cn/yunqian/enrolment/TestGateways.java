package cn.yunqian.enrolment;

import cn.yunqian.app.Gateway;
import cn.yunqian.app.GatewayConfig;
import cn.yunqian.enrolment.face.FaceVerificationProvider;
import cn.yunqian.hsm.TestHsm;
import cn.yunqian.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Starts real gateways for enrolment tests, each on a fresh database. All gateways of one JVM
 * share one data folder, because the CA token on the shared SoftHSM2 store opens only with the
 * PIN file written by the first gateway.
 */
final class TestGateways {

  private static Path dataDir;

  private TestGateways() {
  }

  static Gateway start(EnrolmentConfig enrolment,
      Map<String, FaceVerificationProvider> faceProviders) {
    TestHsm.module();
    Path dir = dataDir();
    GatewayConfig config = new GatewayConfig(dir, "127.0.0.1", 0,
        Optional.of(TestDatabase.newDatabaseUrl()), dir.resolve("pg"), 0,
        TestHsm.DEFAULT_LIBRARY, 20L * 1024 * 1024, 512L * 1024);
    return Gateway.start(config, enrolment, faceProviders).await();
  }

  private static synchronized Path dataDir() {
    if (dataDir == null) {
      try {
        dataDir = Files.createTempDirectory("yq-enrol-test");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dataDir;
  }
}
