package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.StaticLogger;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenException;
import org.xipki.pkcs11.wrapper.TokenInfo;

/**
 * A loaded and initialised PKCS#11 library, with token look-up by label and one lock per token.
 *
 * <p>A library is loaded and {@code C_Initialize}d at most once per JVM, so instances are
 * per-library singletons obtained through {@link #forLibrary(Path)}. SoftHSM2 reads
 * {@code SOFTHSM2_CONF} during that first initialisation only. Slot IDs change when a token is
 * initialised, so tokens are always found by label.
 *
 * <p>All methods block on native calls; call them from a worker thread, never the event loop.
 */
public final class HsmModule {

  /** Maximum length of a PKCS#11 token label (CK_TOKEN_INFO.label is 32 bytes). */
  public static final int MAX_LABEL_LENGTH = 32;

  private static final Logger LOG = LoggerFactory.getLogger(HsmModule.class);
  private static final Map<Path, HsmModule> MODULES = new ConcurrentHashMap<>();

  private final Path libraryPath;
  private final PKCS11Module module;
  private final Map<String, Slot> slotsByLabel = new ConcurrentHashMap<>();
  private final Map<String, Semaphore> tokenLocks = new ConcurrentHashMap<>();
  private final Object slotListLock = new Object();
  private final java.util.concurrent.atomic.AtomicInteger openSessions =
      new java.util.concurrent.atomic.AtomicInteger();

  private HsmModule(Path libraryPath, PKCS11Module module) {
    this.libraryPath = libraryPath;
    this.module = module;
  }

  /**
   * Returns the module for a PKCS#11 library, loading and initialising it on first use.
   *
   * @throws GatewayException HSM_UNAVAILABLE if the library is missing or fails to initialise
   */
  public static HsmModule forLibrary(Path libraryPath) {
    Path key = libraryPath.toAbsolutePath().normalize();
    return MODULES.computeIfAbsent(key, HsmModule::load);
  }

  /** Returns the loaded module that wraps this wrapper module, or null if none does. */
  static HsmModule of(PKCS11Module pkcs11) {
    for (HsmModule loaded : MODULES.values()) {
      if (loaded.module == pkcs11) {
        return loaded;
      }
    }
    return null;
  }

  private static HsmModule load(Path libraryPath) {
    if (!Files.isReadable(libraryPath)) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "PKCS#11 library not found or not readable: " + libraryPath);
    }
    StaticLogger.setLogger(new Pkcs11LogBridge());
    long start = System.nanoTime();
    try {
      PKCS11Module module = PKCS11Module.getInstance(libraryPath.toString());
      initialize(module);
      LOG.info("Initialised PKCS#11 library {} in {} ms", libraryPath, elapsedMillis(start));
      return new HsmModule(libraryPath, module);
    } catch (java.io.IOException e) {
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "failed to load PKCS#11 library " + libraryPath + ": " + e.getMessage(), e);
    } catch (TokenException e) {
      throw Pkcs11Errors.translate("C_Initialize", "(none)", e);
    }
  }

  private static void initialize(PKCS11Module module) throws PKCS11Exception {
    try {
      module.initialize();
    } catch (PKCS11Exception e) {
      // Another component of this JVM (for example the JDK SunPKCS11 provider) may have
      // initialised the library first; the library is then usable as it is.
      if (e.getErrorCode() != PKCS11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        throw e;
      }
    }
  }

  public Path libraryPath() {
    return libraryPath;
  }

  /**
   * Returns the number of sessions that this process opened through {@link Sessions} and has
   * not closed yet. SoftHSM2 2.6.1 reports CK_TOKEN_INFO.ulSessionCount as
   * CK_UNAVAILABLE_INFORMATION, so this count is what leak checks rely on.
   */
  public int openSessionCount() {
    return openSessions.get();
  }

  /** Counts a session opened ({@code +1}) or closed ({@code -1}). */
  void countSession(int delta) {
    openSessions.addAndGet(delta);
  }

  /** Returns the wrapper's module, for low-level calls such as {@code C_InitToken}. */
  PKCS11Module pkcs11() {
    return module;
  }

  /**
   * Finds the initialised token with this label, re-reading the slot list once when the label
   * is not cached (a token created by this process gets a new slot ID).
   *
   * @throws GatewayException HSM_UNAVAILABLE if the slot list cannot be read
   */
  public Optional<Token> findToken(String label) {
    Slot cached = slotsByLabel.get(label);
    if (cached != null && labelMatches(cached, label)) {
      return Optional.of(cached.getToken());
    }
    slotsByLabel.remove(label);
    rescanSlots();
    return Optional.ofNullable(slotsByLabel.get(label)).map(Slot::getToken);
  }

  /**
   * Returns the token with this label.
   *
   * @throws GatewayException SIGNER_NOT_FOUND if no slot carries a token with the label
   */
  public Token token(String label) {
    return findToken(label).orElseThrow(() -> Pkcs11Errors.tokenNotFound(label));
  }

  /**
   * Runs {@code C_InitToken} on the library's free (uninitialised) token and returns it under
   * its new label. Token creation is serialised for the whole module because every call uses
   * the one free slot. The caller owns {@code soPin} and clears it.
   *
   * @throws GatewayException HSM_UNAVAILABLE if there is no free slot or the call fails
   */
  Token initializeToken(String label, char[] soPin) {
    synchronized (slotListLock) {
      if (findToken(label).isPresent()) {
        throw new IllegalArgumentException("a token with label " + label + " already exists");
      }
      Slot free = findFreeSlot();
      try {
        module.getPKCS11Module().C_InitToken(free.getSlotID(), soPin, paddedLabel(label), false);
      } catch (iaik.pkcs.pkcs11.wrapper.PKCS11Exception e) {
        throw Pkcs11Errors.translate("C_InitToken", label, module.convertException(e));
      }
      return findToken(label).orElseThrow(() -> new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "token " + label + " was initialised but is not in the slot list"));
    }
  }

  /**
   * Acquires the lock of one token, waiting at most {@code timeoutMillis}. PKCS#11 login state
   * belongs to the token, not to a session, so every login on a token must hold its lock. The
   * lock is a semaphore, so it may be released from a thread other than the one that took it.
   *
   * @throws GatewayException HSM_UNAVAILABLE if the wait times out or is interrupted
   */
  TokenLock lockToken(String label, long timeoutMillis) {
    Semaphore semaphore = tokenLocks.computeIfAbsent(label, l -> new Semaphore(1, true));
    try {
      if (!semaphore.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
        throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
            "timed out after " + timeoutMillis + " ms waiting for token " + label);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          "interrupted while waiting for token " + label, e);
    }
    return new TokenLock(semaphore);
  }

  /**
   * Returns the label blank-padded to 32 characters, as C_InitToken expects a 32-byte label.
   * With an unpadded array through ipkcs11wrapper 1.0.9 and SoftHSM2 2.6.1, some new tokens
   * intermittently could not be found by their label afterwards.
   */
  private static char[] paddedLabel(String label) {
    char[] padded = new char[MAX_LABEL_LENGTH];
    Arrays.fill(padded, ' ');
    label.getChars(0, label.length(), padded, 0);
    return padded;
  }

  private void rescanSlots() {
    synchronized (slotListLock) {
      try {
        for (Slot slot : module.getSlotList(true)) {
          TokenInfo info = slot.getToken().getTokenInfo();
          if (info.isTokenInitialized()) {
            slotsByLabel.put(info.getLabel().trim(), slot);
          }
        }
      } catch (PKCS11Exception e) {
        throw Pkcs11Errors.translate("C_GetSlotList", "(all)", e);
      }
    }
  }

  private Slot findFreeSlot() {
    try {
      for (Slot slot : module.getSlotList(true)) {
        if (!slot.getToken().getTokenInfo().isTokenInitialized()) {
          return slot;
        }
      }
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_GetSlotList", "(all)", e);
    }
    throw new GatewayException(ErrorCode.HSM_UNAVAILABLE,
        "the PKCS#11 library " + libraryPath + " offers no uninitialised token");
  }

  private static boolean labelMatches(Slot slot, String label) {
    try {
      return label.equals(slot.getToken().getTokenInfo().getLabel().trim());
    } catch (PKCS11Exception e) {
      LOG.debug("Cached slot {} for token {} is gone: {}", slot.getSlotID(), label,
          e.getErrorName());
      return false;
    }
  }

  private static long elapsedMillis(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /** A held token lock; closing it releases the lock once. */
  static final class TokenLock implements AutoCloseable {
    private final Semaphore semaphore;
    private boolean released;

    private TokenLock(Semaphore semaphore) {
      this.semaphore = semaphore;
    }

    @Override
    public synchronized void close() {
      if (!released) {
        released = true;
        semaphore.release();
      }
    }
  }
}
