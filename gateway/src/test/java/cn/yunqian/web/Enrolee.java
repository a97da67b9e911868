package cn.yunqian.web;

import cn.yunqian.identity.ResidentIdNumber;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * Test data of one person enrolling, with a random mobile number and a random valid GB 11643 ID
 * number, so test classes do not collide on rate limits or on unique ID numbers. Birth dates
 * lie in 1970 to 1999, so the test PIN 250913 never matches the birth-date rule.
 */
record Enrolee(String personType, String name, String idNumber, String mobile, String pin) {

  private static final SecureRandom RANDOM = new SecureRandom();

  static Enrolee random(String personType, String name) {
    LocalDate birth = LocalDate.of(1970, 1, 1).plusDays(RANDOM.nextInt(30 * 365));
    String first17 = "110101" + birth.format(DateTimeFormatter.BASIC_ISO_DATE)
        + String.format("%03d", RANDOM.nextInt(1000));
    String idNumber = first17 + ResidentIdNumber.checkCharacter(first17);
    String mobile = "139" + String.format("%08d", RANDOM.nextInt(100_000_000));
    return new Enrolee(personType, name, idNumber, mobile, "250913");
  }

  /** Returns the masked ID number the pages show: first 4 and last 4 characters. */
  String maskedIdNumber() {
    return idNumber.substring(0, 4) + "**********" + idNumber.substring(14);
  }

  /** Returns the masked mobile number the pages show: first 3 and last 4 digits. */
  String maskedMobile() {
    return mobile.substring(0, 3) + "****" + mobile.substring(7);
  }
}
