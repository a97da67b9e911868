package cn.yunqian.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Token;

/**
 * SoftHSM2 2.6.1 reports CK_TOKEN_INFO.ulSessionCount as CK_UNAVAILABLE_INFORMATION, so the
 * leak checks count sessions in {@link HsmModule#openSessionCount()} and in the pool.
 *
 * <p>Sessions closed behind the custody's back (C_CloseAllSessions, as a network HSM that drops
 * its connection does) are reopened, and no session is left open after many signatures or
 * after failures.
 */
class SessionRecoveryTest {

  private static final Logger LOG = LoggerFactory.getLogger(SessionRecoveryTest.class);
  private static final byte[] DATA = "投标文件".getBytes(StandardCharsets.UTF_8);
  private static final int SIGNATURES = 10_000;
  /** Signatures per opened handle in the leak test; 2 keeps 10,000 signatures near 20 s. */
  private static final int SIGNATURES_PER_HANDLE = 2;
  /** The leak test verifies the signatures of every 250th handle; JCA verification is slow. */
  private static final int VERIFY_EVERY = 250;
  private static final int THREADS = 4;

  @Test
  void wrappedCustodyReopensClosedIdleSessions() throws Exception {
    WrappedKeyCustody custody = TestHsm.wrappedKeyCustody();
    KeyCustody.NewKey key = custody.create(TestHsm.newLabel("rec"), "604215".toCharArray(),
        KeyAlgorithm.EC_P256);
    runConcurrently(THREADS * 4, i -> signOnce(custody, key));
    int idleBefore = custody.openSessions();

    closeAllSessions(sharedTokenLabel(custody));

    signOnce(custody, key);
    signOnce(custody, key);
    assertTrue(idleBefore > 1, "the pool had only " + idleBefore + " idle sessions");
  }

  @Test
  void wrappedHandleFailsCleanlyWhenSessionCloses() throws Exception {
    WrappedKeyCustody custody = TestHsm.wrappedKeyCustody();
    KeyCustody.NewKey key = custody.create(TestHsm.newLabel("hnd"), "604216".toCharArray(),
        KeyAlgorithm.EC_P256);
    signOnce(custody, key);
    int baseline = custody.openSessions();

    GatewayException e;
    try (SigningHandle handle = custody.openForSigning(key.custodyKey(),
        "604216".toCharArray())) {
      closeAllSessions(sharedTokenLabel(custody));
      e = assertThrows(GatewayException.class, () -> handle.sign(DATA));
    }

    assertEquals(ErrorCode.HSM_UNAVAILABLE, e.code());
    assertTrue(custody.openSessions() <= baseline, "sessions open: " + custody.openSessions());
    signOnce(custody, key);
  }

  @Test
  void tokenCustodyRecoversAfterSessionsClose() throws Exception {
    SignerTokens tokens = TestHsm.signerTokens();
    TokenPerSignerCustody custody = new TokenPerSignerCustody(tokens);
    String label = TestHsm.newLabel("tok");
    KeyCustody.NewKey key = custody.create(label, "604217".toCharArray(), KeyAlgorithm.EC_P256);

    GatewayException e;
    try (SigningHandle handle = custody.openForSigning(key.custodyKey(),
        "604217".toCharArray())) {
      closeAllSessions(label);
      e = assertThrows(GatewayException.class, () -> handle.sign(DATA));
    }

    assertEquals(ErrorCode.HSM_UNAVAILABLE, e.code());
    signOnce(custody, key);
  }

  @Test
  void wrappedSessionsReturnToBaselineAfterManySignatures() throws Exception {
    WrappedKeyCustody custody = TestHsm.wrappedKeyCustody();
    KeyCustody.NewKey key = custody.create(TestHsm.newLabel("leak"), "938271".toCharArray(),
        KeyAlgorithm.EC_P256);
    signOnce(custody, key);
    int moduleBaseline = TestHsm.module().openSessionCount();
    int poolBaseline = custody.openSessions();

    long start = System.nanoTime();
    runConcurrently(SIGNATURES / SIGNATURES_PER_HANDLE,
        i -> sign(custody, key, SIGNATURES_PER_HANDLE, i % VERIFY_EVERY == 0));
    LOG.info("{} wrapped-key signatures on {} threads took {} ms", SIGNATURES, THREADS,
        (System.nanoTime() - start) / 1_000_000);
    runConcurrently(50, i -> failInside(custody, key, i));

    assertTrue(custody.openSessions() <= 4, "pool sessions: " + custody.openSessions());
    assertTrue(custody.openSessions() >= poolBaseline - 1,
        "pool sessions: " + custody.openSessions());
    assertEquals(custody.openSessions() - poolBaseline,
        TestHsm.module().openSessionCount() - moduleBaseline,
        "the module's session count and the pool's count disagree");
  }

  @Test
  void tokenSessionsReturnToBaseline() throws Exception {
    TokenPerSignerCustody custody = new TokenPerSignerCustody(TestHsm.signerTokens());
    String label = TestHsm.newLabel("tleak");
    KeyCustody.NewKey key = custody.create(label, "938272".toCharArray(), KeyAlgorithm.EC_P256);
    int baseline = TestHsm.module().openSessionCount();

    runConcurrently(2_000, i -> sign(custody, key, 1, i % VERIFY_EVERY == 0));
    runConcurrently(50, i -> failInside(custody, key, i));

    assertEquals(baseline, TestHsm.module().openSessionCount());
  }

  /** Alternates a wrong PIN and an exception thrown while the handle is open. */
  private static void failInside(KeyCustody custody, KeyCustody.NewKey key, int i) {
    if (i % 2 == 0) {
      GatewayException e = assertThrows(GatewayException.class,
          () -> custody.openForSigning(key.custodyKey(), "111112".toCharArray()).close());
      assertEquals(ErrorCode.PIN_INCORRECT, e.code());
      return;
    }
    assertThrows(IllegalStateException.class, () -> {
      try (SigningHandle handle = custody.openForSigning(key.custodyKey(), pinOf(custody))) {
        handle.sign(DATA);
        throw new IllegalStateException("failure inside the handle");
      }
    });
  }

  private static char[] pinOf(KeyCustody custody) {
    return custody.mode() == CustodyMode.WRAPPED_KEY ? "938271".toCharArray()
        : "938272".toCharArray();
  }

  private static void signOnce(KeyCustody custody, KeyCustody.NewKey key) throws Exception {
    sign(custody, key, 1, true);
  }

  /** Opens the key once and makes {@code count} signatures, verifying them if asked. */
  private static void sign(KeyCustody custody, KeyCustody.NewKey key, int count,
      boolean verify) throws Exception {
    char[] pin = pinFor(key);
    try (SigningHandle handle = custody.openForSigning(key.custodyKey(), pin)) {
      for (int i = 0; i < count; i++) {
        byte[] signature = handle.sign(DATA);
        if (!verify) {
          continue;
        }
        Signature verifier = Signature.getInstance(key.signerKey().algorithm()
            .jcaSignatureAlgorithm());
        verifier.initVerify(key.signerKey().publicKey());
        verifier.update(DATA);
        assertTrue(verifier.verify(signature));
      }
    }
  }

  /** Returns the PIN that the test using this label prefix enrolled with. */
  private static char[] pinFor(KeyCustody.NewKey key) {
    String label = key.custodyKey().label();
    if (label.startsWith("rec-")) {
      return "604215".toCharArray();
    }
    if (label.startsWith("hnd-")) {
      return "604216".toCharArray();
    }
    if (label.startsWith("tok-")) {
      return "604217".toCharArray();
    }
    return label.startsWith("leak-") ? "938271".toCharArray() : "938272".toCharArray();
  }

  private static String sharedTokenLabel(WrappedKeyCustody custody) {
    return custody.tokenLabel();
  }

  private static void closeAllSessions(String tokenLabel) throws PKCS11Exception {
    Token token = TestHsm.module().token(tokenLabel);
    try {
      TestHsm.module().pkcs11().getPKCS11Module().C_CloseAllSessions(token.getTokenID());
    } catch (iaik.pkcs.pkcs11.wrapper.PKCS11Exception e) {
      throw new IllegalStateException("C_CloseAllSessions failed", e);
    }
  }

  private interface Step {
    void run(int index) throws Exception;
  }

  private static void runConcurrently(int count, Step step) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int first = t;
        results.add(executor.submit(() -> {
          for (int i = first; i < count; i += THREADS) {
            step.run(i);
          }
          return null;
        }));
      }
      for (Future<?> result : results) {
        result.get();
      }
    } finally {
      executor.shutdownNow();
    }
  }
}
