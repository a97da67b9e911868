package cn.yunqian.web;

import cn.yunqian.identity.ResidentIdNumber;
import java.security.SecureRandom;

/**
 * Test data of one person enrolling: a random mobile number and a valid GB 11643 ID number
 * (region 110101, born 1980-01-01 as far as the PIN rules are concerned), so test classes do
 * not collide on rate limits or unique ID numbers.
 */
record Enrolee(String personType, String name, String idNumber, String mobile, String pin) {

  private static final SecureRandom RANDOM = new SecureRandom();

  static Enrolee random(String personType, String name) {
    String first17 = "11010119800101" + String.format("%03d", RANDOM.nextInt(1000));
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
