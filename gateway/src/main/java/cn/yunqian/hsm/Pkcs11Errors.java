package cn.yunqian.hsm;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.TokenException;

/**
 * Translates PKCS#11 return values ({@code CKR_*}) into gateway error codes. This is the only
 * place that maps them, and it keeps the original exception as the cause.
 */
final class Pkcs11Errors {

  private Pkcs11Errors() {
  }

  /**
   * Returns the gateway exception for a failed PKCS#11 call on a token.
   *
   * @param operation what was attempted, for example "login"
   * @param tokenLabel label of the token the call went to
   */
  static GatewayException translate(String operation, String tokenLabel, TokenException e) {
    if (!(e instanceof PKCS11Exception p11)) {
      return new GatewayException(ErrorCode.HSM_UNAVAILABLE,
          operation + " failed on token " + tokenLabel + ": " + e.getMessage(), e);
    }
    long code = p11.getErrorCode();
    String name = PKCS11Constants.ckrCodeToName(code);
    if (code == PKCS11Constants.CKR_PIN_INCORRECT) {
      return new GatewayException(ErrorCode.PIN_INCORRECT, "PIN incorrect", e);
    }
    if (code == PKCS11Constants.CKR_PIN_LOCKED) {
      return new GatewayException(ErrorCode.PIN_LOCKED, "PIN locked on the HSM", e);
    }
    if (code == PKCS11Constants.CKR_PIN_LEN_RANGE || code == PKCS11Constants.CKR_PIN_INVALID) {
      return new GatewayException(ErrorCode.PIN_FORMAT_INVALID,
          "the HSM rejected the PIN format (" + name + ")", e);
    }
    return new GatewayException(ErrorCode.HSM_UNAVAILABLE,
        operation + " failed on token " + tokenLabel + ": " + name, e);
  }

  /**
   * Returns whether the error means that the session is gone and a new one has to be opened:
   * the session was closed behind the caller's back (for example by {@code C_CloseAllSessions}
   * or a network HSM that dropped the connection) or the token was removed.
   */
  static boolean isSessionLost(PKCS11Exception e) {
    long code = e.getErrorCode();
    return code == PKCS11Constants.CKR_SESSION_HANDLE_INVALID
        || code == PKCS11Constants.CKR_SESSION_CLOSED
        || code == PKCS11Constants.CKR_DEVICE_REMOVED
        || code == PKCS11Constants.CKR_TOKEN_NOT_PRESENT;
  }

  /** Returns whether a translated gateway exception was caused by a lost session. */
  static boolean isSessionLost(GatewayException e) {
    return e.getCause() instanceof PKCS11Exception p11 && isSessionLost(p11);
  }

  /** Returns the gateway exception for a token label that no slot carries. */
  static GatewayException tokenNotFound(String tokenLabel) {
    return new GatewayException(ErrorCode.SIGNER_NOT_FOUND, "no token with label " + tokenLabel);
  }
}
