package cn.yunqian.hsm;

import cn.yunqian.GatewayException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Slot;

/**
 * Checks the whole HSM configuration before the gateway starts and collects every problem, so
 * that one start reports all of them instead of the first.
 *
 * <p>Checks: the custody mode is known; the PKCS#11 library exists and loads; a token offers the
 * mechanisms the gateway uses (CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_RSA_PKCS_KEY_PAIR_GEN and
 * CKM_RSA_PKCS, and for wrapped-key custody also CKM_AES_KEY_GEN, CKM_AES_ECB_ENCRYPT_DATA and
 * CKM_AES_KEY_WRAP_PAD); the SoftHSM2 token directory is writable; PIN files that exist have
 * mode 600; token-per-signer custody has a free (uninitialised) token to create signer tokens in.
 */
public final class HsmConfigCheck {

  private static final Pattern TOKEN_DIR = Pattern.compile(
      "^\\s*directories\\.tokendir\\s*=\\s*(\\S.*?)\\s*$", Pattern.MULTILINE);
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private HsmConfigCheck() {
  }

  /**
   * Runs every check and throws if any failed.
   *
   * @throws GatewayException HSM_UNAVAILABLE whose message lists every problem, one per line
   */
  public static void requireValid(HsmSettings settings) {
    List<String> problems = problems(settings);
    if (!problems.isEmpty()) {
      throw new GatewayException(cn.yunqian.ErrorCode.HSM_UNAVAILABLE,
          "the HSM configuration has " + problems.size() + " problem(s):\n  - "
              + String.join("\n  - ", problems));
    }
  }

  /** Runs every check and returns the problems found, in a stable order; empty when valid. */
  public static List<String> problems(HsmSettings settings) {
    List<String> problems = new ArrayList<>();
    Optional<CustodyMode> mode = checkMode(settings.custodyMode(), problems);
    checkPinFile("CA PIN file", settings.caPinFile(), problems);
    if (mode.orElse(null) == CustodyMode.WRAPPED_KEY) {
      checkPinFile("shared token PIN file", settings.servicePinFile(), problems);
    }
    if (settings.maxSessions() < 1) {
      problems.add("YUNQIAN_HSM_MAX_SESSIONS must be at least 1, got " + settings.maxSessions());
    }
    if (settings.pinKdfIterations() < 10_000 && mode.orElse(null) == CustodyMode.WRAPPED_KEY) {
      problems.add("YUNQIAN_PIN_KDF_ITERATIONS must be at least 10000 for wrapped-key custody,"
          + " got " + settings.pinKdfIterations());
    }
    checkSoftHsmTokenDir(settings, problems);
    Optional<HsmModule> module = loadLibrary(settings.libraryPath(), problems);
    module.ifPresent(loaded -> checkTokens(loaded, mode.orElse(null), problems));
    return problems;
  }

  private static Optional<CustodyMode> checkMode(String value, List<String> problems) {
    try {
      return Optional.of(CustodyMode.parse(value));
    } catch (IllegalArgumentException e) {
      problems.add("YUNQIAN_KEY_CUSTODY: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static void checkPinFile(String name, Path file, List<String> problems) {
    if (!Files.exists(file)) {
      return;
    }
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(permissions)) {
        problems.add(name + " " + file + " has mode "
            + PosixFilePermissions.toString(permissions) + "; run chmod 600 on it");
      }
    } catch (IOException | UnsupportedOperationException e) {
      problems.add(name + " " + file + " cannot be checked: " + e.getMessage());
    }
  }

  private static void checkSoftHsmTokenDir(HsmSettings settings, List<String> problems) {
    if (!settings.libraryPath().getFileName().toString().contains("softhsm")) {
      return;
    }
    if (settings.softHsmConfig().isEmpty()) {
      problems.add("SOFTHSM2_CONF is not set; point it to a copy of"
          + " hsm-config/softhsm2.conf.template with a token directory of its own");
      return;
    }
    Path config = settings.softHsmConfig().get();
    String text;
    try {
      text = Files.readString(config);
    } catch (IOException e) {
      problems.add("SOFTHSM2_CONF " + config + " cannot be read: " + e.getMessage());
      return;
    }
    Matcher matcher = TOKEN_DIR.matcher(text);
    if (!matcher.find()) {
      problems.add("SOFTHSM2_CONF " + config + " sets no directories.tokendir");
      return;
    }
    Path tokenDir = Path.of(matcher.group(1));
    if (!Files.isDirectory(tokenDir) || !Files.isWritable(tokenDir)) {
      problems.add("SoftHSM2 token directory " + tokenDir + " (from " + config
          + ") is missing or not writable");
    }
  }

  private static Optional<HsmModule> loadLibrary(Path library, List<String> problems) {
    if (!Files.isRegularFile(library) || !Files.isReadable(library)) {
      problems.add("PKCS#11 library " + library + " does not exist or is not readable");
      return Optional.empty();
    }
    try {
      return Optional.of(HsmModule.forLibrary(library));
    } catch (GatewayException e) {
      problems.add("PKCS#11 library " + library + " failed to load: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static void checkTokens(HsmModule module, CustodyMode mode, List<String> problems) {
    Slot[] slots;
    try {
      slots = module.pkcs11().getSlotList(true);
    } catch (PKCS11Exception e) {
      problems.add("C_GetSlotList failed on " + module.libraryPath() + ": " + e.getErrorName());
      return;
    }
    if (slots.length == 0) {
      problems.add("PKCS#11 library " + module.libraryPath() + " offers no token");
      return;
    }
    boolean freeSlot = false;
    for (Slot slot : slots) {
      try {
        freeSlot |= !slot.getToken().getTokenInfo().isTokenInitialized();
      } catch (PKCS11Exception e) {
        problems.add("C_GetTokenInfo failed on slot " + slot.getSlotID() + ": "
            + e.getErrorName());
      }
    }
    if (mode == CustodyMode.TOKEN_PER_SIGNER && !freeSlot) {
      problems.add("token-per-signer custody needs a free (uninitialised) token to create"
          + " signer tokens in, and " + module.libraryPath() + " offers none; add partitions"
          + " or use YUNQIAN_KEY_CUSTODY=wrapped-key");
    }
    checkMechanisms(module, slots[0], mode, problems);
  }

  private static void checkMechanisms(HsmModule module, Slot slot, CustodyMode mode,
      List<String> problems) {
    Map<Long, String> required = new LinkedHashMap<>();
    required.put(PKCS11Constants.CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN");
    required.put(PKCS11Constants.CKM_ECDSA, "CKM_ECDSA");
    required.put(PKCS11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN");
    required.put(PKCS11Constants.CKM_RSA_PKCS, "CKM_RSA_PKCS");
    if (mode == CustodyMode.WRAPPED_KEY) {
      required.put(PKCS11Constants.CKM_AES_KEY_GEN, "CKM_AES_KEY_GEN");
      required.put(PKCS11Constants.CKM_AES_ECB_ENCRYPT_DATA, "CKM_AES_ECB_ENCRYPT_DATA");
      required.put(PKCS11Constants.CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD");
    }
    long[] offered = slot.getToken().getMechanismList();
    if (offered == null) {
      problems.add("C_GetMechanismList failed on slot " + slot.getSlotID() + " of "
          + module.libraryPath());
      return;
    }
    for (Map.Entry<Long, String> mechanism : required.entrySet()) {
      if (!contains(offered, mechanism.getKey())) {
        problems.add("slot " + slot.getSlotID() + " of " + module.libraryPath()
            + " does not offer " + mechanism.getValue());
      }
    }
  }

  private static boolean contains(long[] values, long value) {
    for (long candidate : values) {
      if (candidate == value) {
        return true;
      }
    }
    return false;
  }
}
