package cn.yunqian.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;

/**
 * Which return values make the session pools reopen a session. SoftHSM2 cannot be made to
 * return CKR_DEVICE_REMOVED or CKR_TOKEN_NOT_PRESENT, so those two are covered here only.
 */
class Pkcs11ErrorsTest {

  @ParameterizedTest
  @CsvSource({
      "CKR_SESSION_HANDLE_INVALID, true",
      "CKR_SESSION_CLOSED, true",
      "CKR_DEVICE_REMOVED, true",
      "CKR_TOKEN_NOT_PRESENT, true",
      "CKR_PIN_INCORRECT, false",
      "CKR_GENERAL_ERROR, false",
      "CKR_OBJECT_HANDLE_INVALID, false"})
  void sessionLostClassification(String name, boolean lost) {
    long code = PKCS11Constants.ckrNameToCode(name);

    assertEquals(lost, Pkcs11Errors.isSessionLost(new PKCS11Exception(code)), name);
  }
}
