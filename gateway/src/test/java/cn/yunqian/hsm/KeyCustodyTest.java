package cn.yunqian.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Both custody modes on real SoftHSM2: sign and verify, wrong PIN, PIN change, attributes. */
class KeyCustodyTest {

  private static final byte[] DOCUMENT = "评标报告 evaluation report".getBytes(
      StandardCharsets.UTF_8);

  static Stream<Arguments> custodies() {
    return Stream.of(
        Arguments.of(new TokenPerSignerCustody(TestHsm.signerTokens()), KeyAlgorithm.EC_P256),
        Arguments.of(new TokenPerSignerCustody(TestHsm.signerTokens()), KeyAlgorithm.RSA_2048),
        Arguments.of(TestHsm.wrappedKeyCustody(), KeyAlgorithm.EC_P256),
        Arguments.of(TestHsm.wrappedKeyCustody(), KeyAlgorithm.RSA_2048));
  }

  @ParameterizedTest(autoCloseArguments = false)
  @MethodSource("custodies")
  void signatureVerifiesWithEnrolledKey(KeyCustody custody, KeyAlgorithm algorithm)
      throws Exception {
    KeyCustody.NewKey created = custody.create(TestHsm.newLabel("sig"), "428571".toCharArray(),
        algorithm);

    byte[] signature;
    try (SigningHandle handle = custody.openForSigning(created.custodyKey(),
        "428571".toCharArray())) {
      signature = handle.sign(DOCUMENT);
      assertEquals(created.signerKey().keyIdHex(), handle.key().keyIdHex());
    }

    assertEquals(custody.mode(), created.custodyKey().mode());
    assertTrue(verifies(created.signerKey(), DOCUMENT, signature));
  }

  @ParameterizedTest(autoCloseArguments = false)
  @MethodSource("custodies")
  void wrongPinIsRejectedByHsm(KeyCustody custody, KeyAlgorithm algorithm) {
    KeyCustody.NewKey created = custody.create(TestHsm.newLabel("bad"), "582931".toCharArray(),
        algorithm);

    GatewayException e = assertThrows(GatewayException.class,
        () -> custody.openForSigning(created.custodyKey(), "582932".toCharArray()).close());

    assertEquals(ErrorCode.PIN_INCORRECT, e.code());
  }

  @ParameterizedTest(autoCloseArguments = false)
  @MethodSource("custodies")
  void changedPinReplacesOldPin(KeyCustody custody, KeyAlgorithm algorithm) throws Exception {
    KeyCustody.NewKey created = custody.create(TestHsm.newLabel("chg"), "305917".toCharArray(),
        algorithm);

    CustodyKey changed = custody.changePin(created.custodyKey(), "305917".toCharArray(),
        "864209".toCharArray());

    GatewayException old = assertThrows(GatewayException.class,
        () -> custody.openForSigning(changed, "305917".toCharArray()).close());
    assertEquals(ErrorCode.PIN_INCORRECT, old.code());
    try (SigningHandle handle = custody.openForSigning(changed, "864209".toCharArray())) {
      assertTrue(verifies(created.signerKey(), DOCUMENT, handle.sign(DOCUMENT)));
    }
  }

  @ParameterizedTest(autoCloseArguments = false)
  @MethodSource("custodies")
  void pinChangeWithWrongOldPinFails(KeyCustody custody, KeyAlgorithm algorithm) {
    KeyCustody.NewKey created = custody.create(TestHsm.newLabel("cwp"), "730182".toCharArray(),
        algorithm);

    GatewayException e = assertThrows(GatewayException.class, () -> custody.changePin(
        created.custodyKey(), "730183".toCharArray(), "519264".toCharArray()));

    assertEquals(ErrorCode.PIN_INCORRECT, e.code());
  }

  @ParameterizedTest(autoCloseArguments = false)
  @MethodSource("custodies")
  void privateKeyIsSensitiveAndSignOnly(KeyCustody custody, KeyAlgorithm algorithm) {
    KeyCustody.NewKey created = custody.create(TestHsm.newLabel("att"), "690417".toCharArray(),
        algorithm);

    PrivateKeyAttributes attributes = custody.readAttributes(created.custodyKey(),
        "690417".toCharArray());

    assertTrue(attributes.sensitive());
    assertFalse(attributes.extractable());
    assertTrue(attributes.sign());
    assertFalse(attributes.decrypt());
    assertFalse(attributes.unwrap());
    assertFalse(attributes.derive());
    boolean tokenPerSigner = custody.mode() == CustodyMode.TOKEN_PER_SIGNER;
    assertEquals(tokenPerSigner, attributes.local());
    assertEquals(tokenPerSigner, attributes.neverExtractable());
    assertEquals(tokenPerSigner, attributes.alwaysSensitive());
  }

  @ParameterizedTest(autoCloseArguments = false)
  @MethodSource("custodies")
  void custodyKeyCarriesBlobOnlyWhenWrapped(KeyCustody custody, KeyAlgorithm algorithm) {
    KeyCustody.NewKey created = custody.create(TestHsm.newLabel("ref"), "157392".toCharArray(),
        algorithm);

    byte[] blob = created.custodyKey().wrappedKey();

    if (custody.mode() == CustodyMode.WRAPPED_KEY) {
      assertNotNull(blob);
      WrappedKey decoded = WrappedKey.decode(blob);
      assertArrayEquals(created.signerKey().keyId(), decoded.keyId());
      assertEquals(algorithm, decoded.algorithm());
    } else {
      assertNull(blob);
    }
  }

  private static boolean verifies(SignerKey key, byte[] data, byte[] signature)
      throws GeneralSecurityException {
    Signature verifier = Signature.getInstance(key.algorithm().jcaSignatureAlgorithm());
    verifier.initVerify(key.publicKey());
    verifier.update(data);
    return verifier.verify(signature);
  }
}
