package cn.yunqian.identity;

import cn.yunqian.ErrorCode;
import cn.yunqian.GatewayException;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Set;

/**
 * An 18-character resident identity number as defined by GB 11643-1999: a 6-digit
 * administrative region code, an 8-digit birth date, a 3-digit sequence number and an
 * ISO 7064 MOD 11-2 check character (0-9 or X).
 *
 * <p>{@link #toString()} returns the masked form, so the full number never reaches a log line by
 * accident; {@link #value()} is for the few places that need it (hashing, the CA).
 */
public final class ResidentIdNumber {

  private static final int[] WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  private static final char[] CHECK_CHARS = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

  /** Province-level codes of GB/T 2260, the first two digits of every region code. */
  private static final Set<String> PROVINCE_CODES = Set.of(
      "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
      "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
      "65", "71", "81", "82");

  private final String value;

  private ResidentIdNumber(String value) {
    this.value = value;
  }

  /**
   * Validates and normalises (upper-case X) an ID number.
   *
   * @throws GatewayException ID_NUMBER_INVALID with the rule that failed, never the number
   */
  public static ResidentIdNumber parse(String text) {
    if (text == null) {
      throw invalid("the ID number is missing");
    }
    String value = text.trim().toUpperCase();
    if (!value.matches("\\d{17}[\\dX]")) {
      throw invalid("an ID number has 17 digits followed by a digit or X");
    }
    if (!PROVINCE_CODES.contains(value.substring(0, 2))) {
      throw invalid("the ID number does not start with a valid province code");
    }
    LocalDate birthDate;
    try {
      birthDate = LocalDate.of(Integer.parseInt(value.substring(6, 10)),
          Integer.parseInt(value.substring(10, 12)), Integer.parseInt(value.substring(12, 14)));
    } catch (DateTimeException e) {
      throw invalid("the birth date in the ID number is not a real date");
    }
    if (birthDate.getYear() < 1900 || birthDate.isAfter(LocalDate.now())) {
      throw invalid("the birth date in the ID number is out of range");
    }
    if (value.charAt(17) != checkCharacter(value.substring(0, 17))) {
      throw invalid("the check digit of the ID number does not match");
    }
    return new ResidentIdNumber(value);
  }

  /** Computes the MOD 11-2 check character for the first 17 digits. */
  public static char checkCharacter(String first17Digits) {
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      sum += (first17Digits.charAt(i) - '0') * WEIGHTS[i];
    }
    return CHECK_CHARS[sum % 11];
  }

  public String value() {
    return value;
  }

  public String regionCode() {
    return value.substring(0, 6);
  }

  public LocalDate birthDate() {
    return LocalDate.of(Integer.parseInt(value.substring(6, 10)),
        Integer.parseInt(value.substring(10, 12)), Integer.parseInt(value.substring(12, 14)));
  }

  /** Returns the display form: first 4 and last 4 characters, the rest as asterisks. */
  public String masked() {
    return value.substring(0, 4) + "**********" + value.substring(14);
  }

  @Override
  public String toString() {
    return masked();
  }

  private static GatewayException invalid(String rule) {
    return new GatewayException(ErrorCode.ID_NUMBER_INVALID, "Invalid ID number: " + rule);
  }
}
