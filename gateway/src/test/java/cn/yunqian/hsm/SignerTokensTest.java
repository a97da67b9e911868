package cn.yunqian.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.operator.ContentSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

class SignerTokensTest {

  private static final Logger LOG = LoggerFactory.getLogger(SignerTokensTest.class);
  private static final byte[] DOCUMENT = "标书 bid document".getBytes(StandardCharsets.UTF_8);

  private static SignerTokens tokens;

  @BeforeAll
  static void startHsm() {
    tokens = TestHsm.signerTokens();
  }

  @Test
  void ecKeySignsAndVerifies() throws Exception {
    String label = TestHsm.newLabel("ec");
    SignerKey key = createTimed(label, "123456", KeyAlgorithm.EC_P256);

    byte[] signature;
    long start = System.nanoTime();
    try (SigningHandle handle = tokens.openForSigning(label, "123456".toCharArray())) {
      signature = handle.sign(DOCUMENT);
    }
    LOG.info("First login, EC sign and logout took {} us", (System.nanoTime() - start) / 1000);
    logAverageSignCycle(label, "123456");

    assertEquals(label, key.tokenLabel());
    assertEquals(16, key.keyId().length);
    assertTrue(verifies(KeyAlgorithm.EC_P256, key.publicKey(), DOCUMENT, signature));
  }

  @Test
  void contentSignerOutputVerifies() throws Exception {
    String label = TestHsm.newLabel("cs");
    SignerKey key = tokens.create(label, "246810".toCharArray(), KeyAlgorithm.EC_P256);

    byte[] signature;
    try (SigningHandle handle = tokens.openForSigning(label, "246810".toCharArray())) {
      ContentSigner signer = handle.contentSigner();
      try (OutputStream out = signer.getOutputStream()) {
        out.write(DOCUMENT, 0, 5);
        out.write(DOCUMENT, 5, DOCUMENT.length - 5);
      }
      signature = signer.getSignature();
      assertEquals(KeyAlgorithm.EC_P256.signatureAlgorithm(), signer.getAlgorithmIdentifier());
    }

    assertEquals(0x30, signature[0], "ECDSA signature must be a DER SEQUENCE");
    assertTrue(verifies(KeyAlgorithm.EC_P256, key.publicKey(), DOCUMENT, signature));
  }

  @Test
  void rsaKeySignsAndVerifies() throws Exception {
    String label = TestHsm.newLabel("rsa");
    SignerKey key = createTimed(label, "654321", KeyAlgorithm.RSA_2048);

    byte[] signature;
    try (SigningHandle handle = tokens.openForSigning(label, "654321".toCharArray())) {
      signature = handle.sign(DOCUMENT);
    }

    assertEquals(KeyAlgorithm.RSA_2048, key.algorithm());
    assertEquals(256, signature.length);
    assertTrue(verifies(KeyAlgorithm.RSA_2048, key.publicKey(), DOCUMENT, signature));
  }

  @Test
  void wrongPinThenRightPin() throws Exception {
    String label = TestHsm.newLabel("pin");
    SignerKey key = tokens.create(label, "111111".toCharArray(), KeyAlgorithm.EC_P256);

    GatewayException wrong = assertThrows(GatewayException.class,
        () -> tokens.openForSigning(label, "999999".toCharArray()));

    assertEquals(ErrorCode.PIN_INCORRECT, wrong.code());
    assertFalse(wrong.getMessage().contains("999999"), "message must not contain the PIN");
    try (SigningHandle handle = tokens.openForSigning(label, "111111".toCharArray())) {
      assertTrue(verifies(KeyAlgorithm.EC_P256, key.publicKey(), DOCUMENT,
          handle.sign(DOCUMENT)));
    }
  }

  @Test
  void missingTokenIsSignerNotFound() {
    GatewayException missing = assertThrows(GatewayException.class,
        () -> tokens.openForSigning(TestHsm.newLabel("absent"), "123456".toCharArray()));

    assertEquals(ErrorCode.SIGNER_NOT_FOUND, missing.code());
  }

  @Test
  void privateKeyIsNotExtractable() {
    String label = TestHsm.newLabel("attr");
    tokens.create(label, "135790".toCharArray(), KeyAlgorithm.EC_P256);

    PrivateKeyAttributes attributes =
        tokens.readPrivateKeyAttributes(label, "135790".toCharArray());

    assertTrue(attributes.sensitive(), "CKA_SENSITIVE");
    assertFalse(attributes.extractable(), "CKA_EXTRACTABLE");
    assertTrue(attributes.alwaysSensitive(), "CKA_ALWAYS_SENSITIVE");
    assertTrue(attributes.neverExtractable(), "CKA_NEVER_EXTRACTABLE");
    assertTrue(attributes.local(), "CKA_LOCAL");
    assertTrue(attributes.sign(), "CKA_SIGN");
    assertFalse(attributes.decrypt(), "CKA_DECRYPT");
    assertFalse(attributes.unwrap(), "CKA_UNWRAP");
    assertFalse(attributes.derive(), "CKA_DERIVE");
  }

  @Test
  void rsaPrivateKeyIsNotExtractable() {
    String label = TestHsm.newLabel("rattr");
    tokens.create(label, "135790".toCharArray(), KeyAlgorithm.RSA_2048);

    PrivateKeyAttributes attributes =
        tokens.readPrivateKeyAttributes(label, "135790".toCharArray());

    assertTrue(attributes.sensitive(), "CKA_SENSITIVE");
    assertFalse(attributes.extractable(), "CKA_EXTRACTABLE");
    assertTrue(attributes.neverExtractable(), "CKA_NEVER_EXTRACTABLE");
    assertFalse(attributes.decrypt(), "CKA_DECRYPT");
    assertFalse(attributes.unwrap(), "CKA_UNWRAP");
  }

  @Test
  void closedHandleLeavesTokenLoggedOut() throws Exception {
    String label = TestHsm.newLabel("out");
    tokens.create(label, "424242".toCharArray(), KeyAlgorithm.EC_P256);
    long privateKey;
    try (SigningHandle handle = tokens.openForSigning(label, "424242".toCharArray())) {
      privateKey = handle.privateKeyHandle();
      handle.sign(DOCUMENT);
    }

    Session session = TestHsm.module().token(label).openSession(true);
    try {
      assertEquals(PKCS11Constants.CKS_RW_PUBLIC_SESSION, session.getSessionInfo().getState());
      assertEquals(0,
          session.findObjectsSingle(AttributeVector.newPrivateKey(), 1).length,
          "private key must be invisible without a login");
      PKCS11Exception signFailure = assertThrows(PKCS11Exception.class,
          () -> session.signSingle(new Mechanism(PKCS11Constants.CKM_ECDSA), privateKey,
              new byte[32]));
      LOG.info("Signing without login failed with {}", signFailure.getErrorName());
    } finally {
      session.closeSession();
    }
  }

  @Test
  void changePinReplacesOldPin() throws Exception {
    String label = TestHsm.newLabel("chg");
    SignerKey key = tokens.create(label, "202020".toCharArray(), KeyAlgorithm.EC_P256);

    tokens.changePin(label, "202020".toCharArray(), "303030".toCharArray());

    GatewayException old = assertThrows(GatewayException.class,
        () -> tokens.openForSigning(label, "202020".toCharArray()));
    assertEquals(ErrorCode.PIN_INCORRECT, old.code());
    try (SigningHandle handle = tokens.openForSigning(label, "303030".toCharArray())) {
      assertTrue(verifies(KeyAlgorithm.EC_P256, key.publicKey(), DOCUMENT,
          handle.sign(DOCUMENT)));
    }
  }

  @Test
  void changePinWithWrongOldPinFails() {
    String label = TestHsm.newLabel("chgw");
    tokens.create(label, "202020".toCharArray(), KeyAlgorithm.EC_P256);

    GatewayException wrong = assertThrows(GatewayException.class,
        () -> tokens.changePin(label, "000000".toCharArray(), "303030".toCharArray()));

    assertEquals(ErrorCode.PIN_INCORRECT, wrong.code());
  }

  @Test
  void destroyKeyRemovesKeyPair() {
    String label = TestHsm.newLabel("del");
    tokens.create(label, "777777".toCharArray(), KeyAlgorithm.EC_P256);

    tokens.destroyKey(label, "777777".toCharArray());

    GatewayException missingKey = assertThrows(GatewayException.class,
        () -> tokens.openForSigning(label, "777777".toCharArray()));
    assertEquals(ErrorCode.SIGNER_NOT_FOUND, missingKey.code());
    assertThrows(GatewayException.class, () -> tokens.readPublicKey(label));
  }

  @Test
  void readPublicKeyMatchesCreatedKey() {
    String label = TestHsm.newLabel("pub");
    SignerKey created = tokens.create(label, "121212".toCharArray(), KeyAlgorithm.EC_P256);

    SignerKey read = tokens.readPublicKey(label);

    assertArrayEquals(created.keyId(), read.keyId());
    assertEquals(created.publicKeyInfo(), read.publicKeyInfo());
  }

  @Test
  void concurrentSigningIsSerialised() throws Exception {
    String label = TestHsm.newLabel("conc");
    SignerKey key = tokens.create(label, "565656".toCharArray(), KeyAlgorithm.EC_P256);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger maxInside = new AtomicInteger();
    Callable<byte[]> signOnce = () -> {
      try (SigningHandle handle = tokens.openForSigning(label, "565656".toCharArray())) {
        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
        Thread.sleep(5);
        byte[] signature = handle.sign(DOCUMENT);
        inside.decrementAndGet();
        return signature;
      }
    };

    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<byte[]>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        results.add(pool.submit(signOnce));
      }
      for (Future<byte[]> result : results) {
        assertTrue(verifies(KeyAlgorithm.EC_P256, key.publicKey(), DOCUMENT,
            result.get(60, TimeUnit.SECONDS)));
      }
    } finally {
      pool.shutdownNow();
    }

    assertEquals(1, maxInside.get(), "only one caller may hold the token at a time");
  }

  @Test
  void invalidLabelIsRejected() {
    IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class,
        () -> tokens.create("label with spaces", "123456".toCharArray(), KeyAlgorithm.EC_P256));

    assertTrue(invalid.getMessage().contains("label with spaces"));
  }

  @Test
  void healthCheckSignsAndVerifies() {
    String label = TestHsm.newLabel("health");
    tokens.create(label, "808080".toCharArray(), KeyAlgorithm.EC_P256);
    HsmHealthCheck check = new HsmHealthCheck(tokens, label, () -> "808080".toCharArray());

    HsmHealthCheck.Result result = check.check();

    assertTrue(result.healthy(), result.detail());
  }

  @Test
  void healthCheckReportsWrongPin() {
    String label = TestHsm.newLabel("unhealthy");
    tokens.create(label, "808080".toCharArray(), KeyAlgorithm.EC_P256);
    HsmHealthCheck check = new HsmHealthCheck(tokens, label, () -> "000000".toCharArray());

    HsmHealthCheck.Result result = check.check();

    assertFalse(result.healthy());
    assertTrue(result.detail().contains("PIN_INCORRECT"), result.detail());
  }

  /** Logs the mean time of 20 warm open, sign and close cycles, for comparing HSM setups. */
  private static void logAverageSignCycle(String label, String pin) {
    int cycles = 20;
    long start = System.nanoTime();
    for (int i = 0; i < cycles; i++) {
      try (SigningHandle handle = tokens.openForSigning(label, pin.toCharArray())) {
        handle.sign(DOCUMENT);
      }
    }
    LOG.info("Mean login, EC sign and logout over {} cycles took {} us", cycles,
        (System.nanoTime() - start) / 1000 / cycles);
  }

  private static SignerKey createTimed(String label, String pin, KeyAlgorithm algorithm) {
    long start = System.nanoTime();
    SignerKey key = tokens.create(label, pin.toCharArray(), algorithm);
    LOG.info("Creating a token with a {} key took {} ms", algorithm,
        (System.nanoTime() - start) / 1_000_000);
    return key;
  }

  static boolean verifies(KeyAlgorithm algorithm, PublicKey publicKey, byte[] data,
      byte[] signature) throws GeneralSecurityException {
    Signature verifier = Signature.getInstance(algorithm.jcaSignatureAlgorithm());
    verifier.initVerify(publicKey);
    verifier.update(data);
    return verifier.verify(signature);
  }
}
