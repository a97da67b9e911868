package cn.yunqian.hsm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Test support: writes the SoftHSM2 configuration named by {@code SOFTHSM2_CONF} and returns the
 * initialised module. libsofthsm2 reads that file once per JVM, at {@code C_Initialize}, so the
 * first call of a JVM writes it and empties the token directory, and later calls reuse the
 * module. Tests share one token directory and must use unique labels, see {@link #newLabel}.
 */
public final class TestHsm {

  /** Library path; override with the system property {@code yunqian.softhsm.library}. */
  public static final String DEFAULT_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int TEST_ITERATIONS = 1_000;
  private static HsmModule module;
  private static WrappedKeyCustody wrapped;

  private TestHsm() {
  }

  /** Returns the module, writing the configuration and initialising the library on first use. */
  public static synchronized HsmModule module() {
    if (module == null) {
      Path library = Path.of(System.getProperty("yunqian.softhsm.library", DEFAULT_LIBRARY));
      if (!Files.isReadable(library)) {
        throw new IllegalStateException("SoftHSM2 is not installed: " + library
            + " is missing. Run ./yunqian test, or set the system property"
            + " yunqian.softhsm.library to the path of libsofthsm2.so.");
      }
      writeConfiguration();
      module = HsmModule.forLibrary(library);
    }
    return module;
  }

  /** Returns signer token custody on the test module, with a 30-second lock timeout. */
  public static SignerTokens signerTokens() {
    return new SignerTokens(module(), Duration.ofSeconds(30));
  }

  /**
   * Returns wrapped-key custody on a shared token of the test module, created once per JVM with
   * a random service PIN. PBKDF2 runs 1,000 iterations, not the production count, to keep tests
   * fast; the iteration count does not change what the HSM checks.
   */
  public static synchronized WrappedKeyCustody wrappedKeyCustody() {
    if (wrapped == null) {
      char[] servicePin = newLabel("svc").toCharArray();
      wrapped = WrappedKeyCustody.open(signerTokens(), newLabel("shared"), servicePin, 4,
          Duration.ofSeconds(30), TEST_ITERATIONS);
    }
    return wrapped;
  }

  /** Returns a token label that no other test uses: the prefix and 12 random hex digits. */
  public static String newLabel(String prefix) {
    byte[] suffix = new byte[6];
    RANDOM.nextBytes(suffix);
    return prefix + "-" + HexFormat.of().formatHex(suffix);
  }

  private static void writeConfiguration() {
    String configured = System.getenv("SOFTHSM2_CONF");
    if (configured == null || configured.isBlank()) {
      throw new IllegalStateException("SOFTHSM2_CONF is not set. Run the tests through Maven"
          + " (the gateway pom sets it) or ./yunqian test.");
    }
    Path config = Path.of(configured);
    Path tokenDir = config.resolveSibling("tokens");
    try {
      deleteRecursively(tokenDir);
      Files.createDirectories(tokenDir);
      String template = Files.readString(templatePath(), StandardCharsets.UTF_8);
      Files.writeString(config, template.replace("@TOKENDIR@", tokenDir.toString()),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to write the SoftHSM2 configuration " + config, e);
    }
  }

  private static Path templatePath() {
    String root = System.getProperty("yunqian.root", "..");
    Path template = Path.of(root, "hsm-config", "softhsm2.conf.template");
    if (!Files.isReadable(template)) {
      throw new IllegalStateException("SoftHSM2 configuration template missing: " + template);
    }
    return template;
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
