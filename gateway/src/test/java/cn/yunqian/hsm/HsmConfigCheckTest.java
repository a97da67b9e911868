package cn.yunqian.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HsmConfigCheckTest {

  @TempDir
  Path dir;

  @Test
  void everyProblemIsListedAtOnce() throws IOException {
    Path caPin = pinFile("ca-token.pin", "rw-r--r--");
    Path softHsmConfig = Files.writeString(dir.resolve("softhsm2.conf"),
        "directories.tokendir = " + dir.resolve("no-such-dir") + "\n");
    HsmSettings settings = new HsmSettings("hsm-magic", dir.resolve("libsofthsm2.so"),
        Optional.of(softHsmConfig), caPin, dir.resolve("service-token.pin"), "keys", 0,
        WrappedKeyCustody.DEFAULT_ITERATIONS);

    GatewayException e = assertThrows(GatewayException.class,
        () -> HsmConfigCheck.requireValid(settings));

    assertEquals(ErrorCode.HSM_UNAVAILABLE, e.code());
    String message = e.getMessage();
    assertTrue(message.startsWith("the HSM configuration has 5 problem(s):"), message);
    assertTrue(message.contains("unknown key custody mode 'hsm-magic'"), message);
    assertTrue(message.contains("ca-token.pin has mode rw-r--r--; run chmod 600"), message);
    assertTrue(message.contains("YUNQIAN_HSM_MAX_SESSIONS must be at least 1"), message);
    assertTrue(message.contains("no-such-dir (from " + softHsmConfig + ") is missing"), message);
    assertTrue(message.contains("libsofthsm2.so does not exist"), message);
  }

  @Test
  void wrappedModeChecksServicePinAndIterations() throws IOException {
    Path caPin = pinFile("ca-token.pin", "rw-------");
    Path servicePin = pinFile("service-token.pin", "rw-rw----");
    HsmSettings settings = new HsmSettings("wrapped-key", library(), softHsmConfig(), caPin,
        servicePin, "keys", 4, 1_000);

    List<String> problems = HsmConfigCheck.problems(settings);

    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("service-token.pin has mode rw-rw----"), problems.get(0));
    assertTrue(problems.get(1).contains("YUNQIAN_PIN_KDF_ITERATIONS"), problems.get(1));
  }

  @Test
  void softHsmConfigurationPassesInBothModes() throws IOException {
    Path caPin = pinFile("ca-token.pin", "rw-------");
    for (CustodyMode mode : CustodyMode.values()) {
      HsmSettings settings = new HsmSettings(mode.configValue(), library(), softHsmConfig(),
          caPin, dir.resolve("service-token.pin"), "keys", 4,
          WrappedKeyCustody.DEFAULT_ITERATIONS);

      List<String> problems = HsmConfigCheck.problems(settings);

      assertEquals(List.of(), problems, mode.configValue());
    }
  }

  @Test
  void missingSoftHsmConfigIsReported() throws IOException {
    HsmSettings settings = new HsmSettings("token-per-signer", library(), Optional.empty(),
        dir.resolve("ca-token.pin"), dir.resolve("service-token.pin"), "keys", 4,
        WrappedKeyCustody.DEFAULT_ITERATIONS);

    List<String> problems = HsmConfigCheck.problems(settings);

    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("SOFTHSM2_CONF is not set"), problems.get(0));
  }

  private Path pinFile(String name, String mode) throws IOException {
    Path file = Files.writeString(dir.resolve(name), "0123456789abcdef");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  private static Path library() {
    return TestHsm.module().libraryPath();
  }

  private static Optional<Path> softHsmConfig() {
    TestHsm.module();
    return Optional.of(Path.of(System.getenv("SOFTHSM2_CONF")));
  }
}
