package cn.yunqian.pin;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import cn.yunqian.identity.ResidentIdNumber;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * Rules for a signer's PIN: exactly 6 digits, and not one that an attacker tries first
 * (one repeated digit, an ascending or descending run, or the birth date in the ID number).
 * Messages name the rule, never the PIN.
 */
public final class PinPolicy {

  public static final int LENGTH = 6;

  private PinPolicy() {
  }

  /** Checks the format only; used where an existing PIN is presented. */
  public static void requireWellFormed(char[] pin) {
    if (pin == null || pin.length != LENGTH) {
      throw new GatewayException(ErrorCode.PIN_FORMAT_INVALID, "The PIN must be 6 digits");
    }
    for (char c : pin) {
      if (c < '0' || c > '9') {
        throw new GatewayException(ErrorCode.PIN_FORMAT_INVALID, "The PIN must be 6 digits");
      }
    }
  }

  /** Checks a new PIN chosen by the signer whose ID number is given. */
  public static void requireStrong(char[] pin, ResidentIdNumber idNumber) {
    requireStrong(pin, idNumber.birthDate());
  }

  /**
   * Checks a new PIN chosen by a signer born on {@code birthDate}. A null birth date skips
   * only the birth-date rule, for signers whose birth date is not stored.
   */
  public static void requireStrong(char[] pin, LocalDate birthDate) {
    requireWellFormed(pin);
    if (isRepeated(pin) || isRun(pin, 1) || isRun(pin, -1)) {
      throw new GatewayException(ErrorCode.PIN_TOO_WEAK,
          "The PIN must not be one repeated digit or a run such as 123456");
    }
    if (birthDate == null) {
      return;
    }
    String birth = birthDate.format(DateTimeFormatter.BASIC_ISO_DATE);
    String pinText = new String(pin);
    if (birth.substring(2).equals(pinText) || birth.substring(0, 6).equals(pinText)
        || birth.substring(4).concat(birth.substring(2, 4)).equals(pinText)) {
      throw new GatewayException(ErrorCode.PIN_TOO_WEAK,
          "The PIN must not be taken from the birth date");
    }
  }

  private static boolean isRepeated(char[] pin) {
    for (char c : pin) {
      if (c != pin[0]) {
        return false;
      }
    }
    return true;
  }

  private static boolean isRun(char[] pin, int step) {
    for (int i = 1; i < pin.length; i++) {
      if (pin[i] - pin[i - 1] != step) {
        return false;
      }
    }
    return true;
  }
}
